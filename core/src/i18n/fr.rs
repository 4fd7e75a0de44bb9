//! French.

use super::{plural_french, Direction, Plural, Strings};

/// The French interface strings.
pub static FR: Strings = Strings {
    lang: "fr",
    dir: Direction::Ltr,
    title: "Assistance",
    greeting: "Bonjour ! Posez-nous vos questions. Nous répondons en général en quelques minutes.",
    launcher: "Chat d'assistance",
    close_chat: "Fermer le chat d'assistance",
    composer_label: "Message à l'assistance",
    composer_placeholder: "Écrivez un message…",
    send: "Envoyer",
    you: "Vous",
    support: "Assistance",
    pending: "Envoi…",
    failed: "Non distribué",
    retry: "Réessayer",
    earlier: "Afficher les messages précédents",
    reconnecting: "Connexion perdue. Nouvelle tentative…",
    unavailable: "Le chat d'assistance est indisponible pour le moment.",
    conversation_closed: "Le support a clôturé cette conversation.",
    count: "{n} / {max}",
    near_limit: "Vous approchez de la limite de {max} caractères.",
    too_long: "Le message est trop long : {max} caractères au maximum. Raccourcissez-le pour l'envoyer.",
    typing: "Le support écrit…",
    seen: "Vu",
    #[cfg(feature = "conversations")]
    conversations: "Vos conversations",
    #[cfg(feature = "conversations")]
    new_conversation: "Nouvelle conversation",
    #[cfg(feature = "conversations")]
    back: "Retour aux conversations",
    #[cfg(feature = "conversations")]
    closed: "Clôturée",
    #[cfg(feature = "conversations")]
    start_new: "Commencer une nouvelle conversation",
    #[cfg(feature = "conversations")]
    still_sending: "Votre message est encore en cours d’envoi. Vous pourrez changer une fois qu’il sera remis.",
    #[cfg(feature = "contact")]
    contact_title: "Coordonnées",
    #[cfg(feature = "contact")]
    name: "Nom",
    #[cfg(feature = "contact")]
    email: "E-mail",
    #[cfg(feature = "contact")]
    offer: "Recevoir la réponse par e-mail",
    #[cfg(feature = "contact")]
    save: "Enregistrer",
    #[cfg(feature = "contact")]
    dismiss: "Non merci",
    #[cfg(feature = "contact")]
    email_invalid: "Saisissez une adresse e-mail comme nom@example.com.",
    #[cfg(feature = "contact")]
    name_missing: "Saisissez votre nom.",
    #[cfg(feature = "contact")]
    privacy: "Politique de confidentialité",
    unread: |p| match p {
        Plural::One => "{n} message non lu",
        _ => "{n} messages non lus",
    },
    plural: plural_french,
};
