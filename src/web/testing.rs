//! `Helpwire.testing`, the local helpdesk's test mode (`data-local-replies="script"`): a test's
//! replies and forced failures go into the helpdesk's stored state (core's `LocalHelpdesk` holds
//! the rules), and a reply is read the moment it falls due rather than at the next poll. The
//! loader offers these calls only in test mode.

use crate::web::driver::Chat;
use helpwire_core::engine::Command;
use helpwire_core::protocol::local::LocalHelpdesk;

/// Support answers `text` in the visitor's conversation `delay_ms` from now (on the page's
/// clock), closing it then if `close`; the widget reads it at that moment. False when refused:
/// no text, or the visitor has not written yet.
pub fn reply(chat: Chat, text: &str, delay_ms: f64, close: bool) -> bool {
    let Some(executor) = chat.executor() else {
        return true; // destroyed: nothing to answer, nothing to say
    };
    let due_at = executor.local_now() + delay_ms;
    let mut answered = false;
    executor.with_local_helpdesk(&mut |h| answered = h.script_reply(text, due_at, close));
    // The engine's own wake-up reads then (no timer of this module's).
    chat.dispatch(Command::ReadAt(due_at));
    answered
}

/// The visitor's next send fails as a refused delivery, which waits for their Retry.
pub fn fail_next_delivery(chat: Chat) {
    if let Some(executor) = chat.executor() {
        executor.with_local_helpdesk(&mut LocalHelpdesk::fail_next_delivery);
    }
}
