//! The chat panel: a dialog with a header, the conversation and the composer.

use super::composer::Composer;
use super::message_log::MessageLog;
use super::{Overrides, Shared};
use crate::chat::{Command, Notice};
use leptos::either::EitherOf3;
use leptos::prelude::*;

/// The dialog. Escape or the close button closes it and returns focus to the launcher.
#[component]
pub fn Panel(
    /// Closes through the engine and returns focus to the launcher; `hidden` follows the open state.
    shared: Shared,
    /// Site-provided title and greeting.
    overrides: Overrides,
) -> impl IntoView {
    let Shared {
        chat,
        locale,
        focus,
        open,
        ..
    } = shared;
    let close = move || {
        chat.dispatch(Command::Close);
        super::focus_launcher_soon(focus);
    };
    let title = {
        let custom = overrides.title.clone();
        move || {
            custom
                .clone()
                .unwrap_or_else(|| locale.get().title.to_string())
        }
    };
    view! {
        <section
            id="hw-panel"
            part="panel"
            class="panel"
            role="dialog"
            aria-labelledby="hw-title"
            hidden=move || !open.get()
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    close();
                }
            }
        >
            <header part="header" class="header">
                <h2 id="hw-title" class="title">{title}</h2>
                <button
                    type="button"
                    class="close"
                    aria-label=move || locale.get().close_chat
                    on:click=move |_| close()
                >
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                        <path d="M6 6l12 12M18 6L6 18" />
                    </svg>
                </button>
            </header>
            <NoticeBar shared=shared />
            <MessageLog shared=shared greeting=overrides.greeting />
            <Composer shared=shared />
        </section>
    }
}

/// Connection problems and refused messages, announced to assistive technology.
#[component]
fn NoticeBar(
    /// The engine's notice, in the interface language; Retry goes to the engine.
    shared: Shared,
) -> impl IntoView {
    let Shared { chat, locale, .. } = shared;
    let notice = Memo::new(move |_| chat.engine.with(|e| e.notice().cloned()));
    move || {
        notice.get().map(|n| match n {
            Notice::Reconnecting => EitherOf3::A(view! {
                <p class="notice notice-info" role="status">{locale.get().reconnecting}</p>
            }),
            Notice::Unavailable(detail) => EitherOf3::B(view! {
                <div class="notice notice-error" role="alert">
                    <p>{locale.get().unavailable}</p>
                    <p class="detail">{detail}</p>
                    <button type="button" class="retry" on:click=move |_| chat.dispatch(Command::RetryConnection)>
                        {move || locale.get().retry}
                    </button>
                </div>
            }),
            Notice::Rejected(reason) => EitherOf3::C(view! {
                <p class="notice notice-error" role="alert">{reason}</p>
            }),
        })
    }
}
