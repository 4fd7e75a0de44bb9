//! German.

use super::{plural_one_other, Direction, Plural, Strings};

/// The German interface strings.
pub static DE: Strings = Strings {
    lang: "de",
    dir: Direction::Ltr,
    title: "Support",
    greeting: "Hallo! Fragen Sie uns alles. Wir antworten meist innerhalb weniger Minuten.",
    launcher: "Support-Chat",
    close_chat: "Support-Chat schließen",
    composer_label: "Nachricht an den Support",
    composer_placeholder: "Nachricht schreiben…",
    send: "Senden",
    you: "Sie",
    support: "Support",
    pending: "Wird gesendet…",
    failed: "Nicht zugestellt",
    retry: "Erneut versuchen",
    earlier: "Frühere Nachrichten anzeigen",
    reconnecting: "Verbindung unterbrochen. Neuer Versuch…",
    unavailable: "Der Support-Chat ist gerade nicht erreichbar.",
    conversation_closed: "Der Support hat dieses Gespräch beendet.",
    count: "{n} / {max}",
    near_limit: "Sie nähern sich der Grenze von {max} Zeichen.",
    too_long: "Die Nachricht ist zu lang: höchstens {max} Zeichen. Kürzen Sie sie, um sie zu senden.",
    typing: "Der Support schreibt…",
    seen: "Gesehen",
    #[cfg(feature = "conversations")]
    conversations: "Ihre Unterhaltungen",
    #[cfg(feature = "conversations")]
    new_conversation: "Neue Unterhaltung",
    #[cfg(feature = "conversations")]
    back: "Zurück zu den Unterhaltungen",
    #[cfg(feature = "conversations")]
    closed: "Beendet",
    #[cfg(feature = "conversations")]
    start_new: "Neue Unterhaltung beginnen",
    #[cfg(feature = "conversations")]
    still_sending: "Ihre Nachricht wird noch gesendet. Sie können wechseln, sobald sie zugestellt ist.",
    #[cfg(feature = "contact")]
    contact_title: "Kontaktdaten",
    #[cfg(feature = "contact")]
    name: "Name",
    #[cfg(feature = "contact")]
    email: "E-Mail",
    #[cfg(feature = "contact")]
    offer: "Antwort per E-Mail erhalten",
    #[cfg(feature = "contact")]
    save: "Speichern",
    #[cfg(feature = "contact")]
    dismiss: "Nein, danke",
    #[cfg(feature = "contact")]
    email_invalid: "Geben Sie eine E-Mail-Adresse wie name@example.com ein.",
    #[cfg(feature = "contact")]
    name_missing: "Geben Sie Ihren Namen ein.",
    #[cfg(feature = "contact")]
    privacy: "Datenschutzerklärung",
    unread: |p| match p {
        Plural::One => "{n} ungelesene Nachricht",
        _ => "{n} ungelesene Nachrichten",
    },
    plural: plural_one_other,
};
