//! Which part of the message list changed, so that a view re-renders from the first changed
//! message instead of comparing thousands of them on every change.

/// How many recent edits are remembered; a reader further behind compares everything.
const REMEMBERED: usize = 64;

/// A counter of edits to the message list, with the first index each recent one touched.
/// An edit is anything that can change which message is at an index, its ids or its delivery
/// state: an insert, a removal, an id or delivery change, or replacing the whole list.
#[derive(Clone, Debug)]
pub struct ListEdits {
    revision: u64,
    /// The first index touched by each of the latest edits, as a ring: the edit that made
    /// revision `r` at `slot(r)`, over the one [`REMEMBERED`] edits before it. (A ring of its
    /// own, not a `VecDeque`, whose growth code this would link alone.)
    recent: [usize; REMEMBERED],
}

impl Default for ListEdits {
    fn default() -> Self {
        ListEdits {
            revision: 0,
            recent: [0; REMEMBERED],
        }
    }
}

/// Where the edit that made revision `r` (from 1) is kept.
fn slot(r: u64) -> usize {
    ((r - 1) % REMEMBERED as u64) as usize
}

/// What changed since a revision a reader saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    /// Nothing: the reader is up to date.
    Unchanged,
    /// The messages before this index are as they were.
    From(usize),
    /// Too long ago to tell: compare everything.
    Unknown,
}

impl ListEdits {
    /// Records an edit at `index` (0 when the whole list was replaced).
    pub fn record(&mut self, index: usize) {
        self.revision += 1;
        self.recent[slot(self.revision)] = index;
    }

    /// The current revision, for a reader to remember.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// What changed after `revision`.
    pub fn since(&self, revision: u64) -> Since {
        if revision == self.revision {
            return Since::Unchanged;
        }
        let remembered = self.revision.min(REMEMBERED as u64);
        if revision > self.revision || self.revision - revision > remembered {
            return Since::Unknown;
        }
        let mut first = usize::MAX;
        for r in revision + 1..=self.revision {
            first = first.min(self.recent[slot(r)]);
        }
        Since::From(first)
    }
}
