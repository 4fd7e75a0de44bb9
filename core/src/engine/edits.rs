//! Which part of the message list changed, so that a view re-renders from the first changed
//! message instead of comparing thousands of them on every change.

use std::collections::VecDeque;

/// How many recent edits are remembered; a reader further behind compares everything.
const REMEMBERED: usize = 64;

/// A counter of edits to the message list, with the first index each recent one touched.
/// An edit is anything that can change which message is at an index, its ids or its delivery
/// state: an insert, a removal, an id or delivery change, or replacing the whole list.
#[derive(Clone, Debug, Default)]
pub struct ListEdits {
    revision: u64,
    /// The first index touched by each of the latest edits, oldest first.
    recent: VecDeque<usize>,
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
        if self.recent.len() == REMEMBERED {
            self.recent.pop_front();
        }
        self.recent.push_back(index);
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
        let behind = self.revision.wrapping_sub(revision);
        if revision > self.revision || behind > self.recent.len() as u64 {
            return Since::Unknown;
        }
        let start = self.recent.len() - behind as usize;
        self.recent
            .range(start..)
            .min()
            .map_or(Since::Unknown, |&i| Since::From(i))
    }
}
