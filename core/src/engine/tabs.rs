//! Several tabs of one site share the stored conversation. Each tab sends only what it wrote,
//! follows what the others store (their messages, deliveries and resets), and adopts the
//! undelivered messages of tabs that are gone, so that each message is sent by exactly one tab.

use super::command::{Effect, WidgetEvent};
use super::machine::Engine;
use super::storage::Snapshot;
use crate::model::{Delivery, Message};

impl Engine {
    /// Names this tab (call once, before the first command).
    pub fn with_tab(mut self, tab: impl Into<String>) -> Self {
        self.tab = tab.into();
        self
    }

    /// Whether undelivered messages of other tabs are waiting (the driver then checks which tabs
    /// are still open).
    pub fn has_foreign_pending(&self) -> bool {
        self.data
            .messages
            .iter()
            .any(|m| matches!(m.delivery, Some(Delivery::Pending { .. })) && !self.may_send(m))
    }

    /// Whether this tab delivers `m`: it wrote it or adopted it (only a fresh
    /// [`Command::TabsAlive`](super::Command::TabsAlive) adopts, so a tab opened after an older
    /// check is never taken for closed).
    pub(super) fn may_send(&self, m: &Message) -> bool {
        self.send_all || m.origin.as_ref().is_none_or(|origin| *origin == self.tab)
    }

    /// The tabs known to be open (`None`: the browser cannot tell): this tab adopts the
    /// undelivered messages of tabs that are gone. Returns whether anything changed.
    pub(super) fn adopt_orphans(&mut self, live: Option<Vec<String>>) -> bool {
        let mut dirty = false;
        // No Web Locks: fall back to sending everything from every tab.
        self.send_all = live.is_none();
        let tab = self.tab.clone();
        let live = live.unwrap_or_default();
        for m in &mut self.data.messages {
            let orphan = matches!(&m.origin, Some(o) if *o != tab && !live.contains(o));
            if orphan && matches!(m.delivery, Some(Delivery::Pending { .. })) {
                m.origin = Some(tab.clone());
                self.adopted_mid_job |= m.unconfirmed && self.job.is_some();
                dirty = true;
            }
        }
        dirty
    }

    /// Takes in what another tab stored: its messages and their delivery, its session and
    /// conversation if this tab has none. Returns whether anything changed.
    pub(super) fn sync(&mut self, other: Snapshot, fx: &mut Vec<Effect>) -> bool {
        if other.visitor.anon_id != self.data.visitor.anon_id {
            // The other tab reset or switched the visitor: follow it.
            self.replace_data(other);
            self.generation += 1;
            self.job = None;
            self.session_confirmed = false;
            fx.push(Effect::Emit(WidgetEvent::Unread(self.unread())));
            return false;
        }
        // The other tab switched conversations: follow it, unless a message of this one's is
        // still on its way (it stays, and the other tab follows this one's next write).
        #[cfg(feature = "conversations")]
        {
            let id = |s: &Snapshot| s.conversation.as_ref().map(|c| c.id.clone());
            if id(&other) != id(&self.data) && !same_list(&other, &self.data) {
                if !self.can_switch() {
                    return false;
                }
                let before = self.unread();
                self.replace_data(other);
                self.generation += 1;
                self.job = None;
                self.fetch_soon(f64::MIN);
                self.unread_changed(before, fx);
                return false;
            }
            // What the other tab learned of the others (a light check) or left out.
            self.data.archive = other.archive;
        }
        let mut changed = false;
        if self.data.session.is_none() && other.session.is_some() {
            self.data.session = other.session.clone();
            changed = true;
        }
        if self.data.conversation.is_none() && other.conversation.is_some() {
            // The conversation may belong to a newer session of this visitor (the relay's
            // token that opened it): take that too.
            #[cfg(feature = "relay")]
            if let (Some(mine), Some(theirs)) = (&self.data.session, &other.session) {
                if mine.id == theirs.id && mine != theirs {
                    self.data.session = other.session.clone();
                }
            }
            self.data.conversation = other.conversation.clone();
            self.data.cursor = other.cursor.clone();
            self.fetch_soon(f64::MIN);
            changed = true;
        }
        for theirs in other.messages {
            let known = self.data.messages.iter().position(|m| {
                m.id == theirs.id || (m.local_id.is_some() && m.local_id == theirs.local_id)
            });
            let Some(index) = known else {
                self.push_message(theirs);
                changed = true;
                continue;
            };
            let mine = self.message_mut(index);
            if theirs.delivery == Some(Delivery::Sent) && mine.delivery != Some(Delivery::Sent) {
                mine.id = theirs.id.clone();
                mine.delivery = Some(Delivery::Sent);
                mine.created_at = theirs.created_at;
                changed = true;
                // This tab may have fetched the stored copy before hearing that it was this
                // message: keep the one written here.
                let id = theirs.id;
                let stale = |m: &Message| m.id == id && m.local_id.is_none();
                if let Some(first) = self.data.messages.iter().position(stale) {
                    self.data.messages.retain(|m| !stale(m));
                    self.edits.record(first);
                }
            }
        }
        // Only the other tab's view changed: nothing new to write unless we learned something.
        changed
    }
}

/// Whether two states list the same conversations besides the one on screen, by id and in order:
/// another tab that switched has put its conversation into its list. (By id: comparing every
/// field compiled to far more code, and a light check's news is not a switch.)
#[cfg(feature = "conversations")]
fn same_list(a: &Snapshot, b: &Snapshot) -> bool {
    a.archive.len() == b.archive.len()
        && a.archive
            .iter()
            .zip(&b.archive)
            .all(|(x, y)| x.conversation.id == y.conversation.id)
}
