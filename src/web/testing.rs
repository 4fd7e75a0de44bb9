//! `Helpwire.testing`, the local helpdesk's test mode (`data-local-replies="script"`): a test's
//! replies and forced failures go into the helpdesk's stored state (core's `LocalHelpdesk` holds
//! the rules), and a reply is read the moment it falls due rather than at the next poll.

use crate::web::browser;
use crate::web::driver::Chat;
use helpwire_core::engine::Command;
use leptos::prelude::WithUntracked;

/// Why a testing call cannot work in this widget: not in test mode, or destroyed.
fn scripted_executor(chat: Chat) -> Result<crate::web::executor::Executor, String> {
    let executor = chat.executor().ok_or("the widget was destroyed")?;
    if !executor.is_scripted() {
        return Err(
            "only in the local helpdesk's test mode (data-local-replies=\"script\")".into(),
        );
    }
    Ok(executor)
}

/// Support answers `text` in the visitor's conversation `delay_ms` from now (on the page's
/// clock); the widget reads it at that moment.
pub fn reply(chat: Chat, text: &str, delay_ms: u32) -> Result<(), String> {
    let executor = scripted_executor(chat)?;
    let conversation = chat
        .engine
        .try_with_untracked(|e| e.conversation().map(|c| c.id.clone()))
        .flatten()
        .ok_or("the visitor has no conversation yet: send a message first")?;
    let due_at = executor.local_now() + f64::from(delay_ms);
    executor.with_local_helpdesk(|h| h.script_reply(&conversation, text, due_at))?;
    // A task and `sleep`, which the widget links anyway, rather than one more timer closure.
    leptos::task::spawn_local(async move {
        browser::sleep(delay_ms).await;
        chat.dispatch(Command::ReadNow);
    });
    Ok(())
}

/// The visitor's next send fails as a refused delivery, which waits for their Retry.
pub fn fail_next_delivery(chat: Chat) -> Result<(), String> {
    scripted_executor(chat)?.with_local_helpdesk(|h| h.fail_next_delivery());
    Ok(())
}
