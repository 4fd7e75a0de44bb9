//! English.

use super::{plural_one_other, Direction, Strings, Texts};

/// The English interface strings.
pub static EN: Strings = Strings {
    lang: "en",
    dir: Direction::Ltr,
    texts: Texts {
        title: "Support",
        greeting: "Hi! Ask us anything. We usually answer within a few minutes.",
        launcher: "Support chat",
        close_chat: "Close support chat",
        composer_label: "Message to support",
        composer_placeholder: "Write a message…",
        send: "Send",
        you: "You",
        support: "Support",
        pending: "Sending…",
        failed: "Not delivered",
        retry: "Retry",
        earlier: "Show earlier messages",
        reconnecting: "Connection lost. Retrying…",
        unavailable: "Support chat is unavailable right now.",
        conversation_closed: "This conversation was closed by support.",
        count: "{n} / {max}",
        near_limit: "You are close to the limit of {max} characters.",
        too_long: "This message is too long: the limit is {max} characters. Shorten it to send it.",
        typing: "Support is typing…",
        seen: "Seen",
        #[cfg(feature = "conversations")]
        conversations: "Your conversations",
        #[cfg(feature = "conversations")]
        new_conversation: "New conversation",
        #[cfg(feature = "conversations")]
        back: "Back to conversations",
        #[cfg(feature = "conversations")]
        closed: "Closed",
        #[cfg(feature = "conversations")]
        start_new: "Start a new conversation",
        #[cfg(feature = "conversations")]
        still_sending: "Your message is still being sent. You can switch once it is delivered.",
        #[cfg(feature = "contact")]
        contact_title: "Contact details",
        #[cfg(feature = "contact")]
        name: "Name",
        #[cfg(feature = "contact")]
        email: "Email",
        #[cfg(feature = "contact")]
        offer: "Get the answer by email",
        #[cfg(feature = "contact")]
        save: "Save",
        #[cfg(feature = "contact")]
        dismiss: "No thanks",
        #[cfg(feature = "contact")]
        email_invalid: "Enter an email address like name@example.com.",
        #[cfg(feature = "contact")]
        name_missing: "Enter your name.",
        #[cfg(feature = "contact")]
        privacy: "Privacy policy",
        unread: [
            "{n} unread messages",
            "{n} unread message",
            "{n} unread messages",
            "{n} unread messages",
            "{n} unread messages",
            "{n} unread messages",
        ],
    },
    plural: plural_one_other,
};
