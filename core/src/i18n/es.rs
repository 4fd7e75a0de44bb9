//! Spanish.

use super::{plural_one_other, Direction, Plural, Strings};

/// The Spanish interface strings.
pub static ES: Strings = Strings {
    lang: "es",
    dir: Direction::Ltr,
    title: "Soporte",
    greeting: "¡Hola! Pregúntanos lo que quieras. Solemos responder en pocos minutos.",
    launcher: "Chat de soporte",
    close_chat: "Cerrar el chat de soporte",
    composer_label: "Mensaje para soporte",
    composer_placeholder: "Escribe un mensaje…",
    send: "Enviar",
    you: "Tú",
    support: "Soporte",
    pending: "Enviando…",
    failed: "No entregado",
    retry: "Reintentar",
    earlier: "Mostrar mensajes anteriores",
    reconnecting: "Conexión perdida. Reintentando…",
    unavailable: "El chat de soporte no está disponible ahora.",
    conversation_closed: "El equipo de soporte cerró esta conversación.",
    count: "{n} / {max}",
    near_limit: "Te acercas al límite de {max} caracteres.",
    too_long: "El mensaje es demasiado largo: el límite es de {max} caracteres. Acórtalo para enviarlo.",
    typing: "Soporte está escribiendo…",
    seen: "Visto",
    #[cfg(feature = "conversations")]
    conversations: "Tus conversaciones",
    #[cfg(feature = "conversations")]
    new_conversation: "Nueva conversación",
    #[cfg(feature = "conversations")]
    back: "Volver a las conversaciones",
    #[cfg(feature = "conversations")]
    closed: "Cerrada",
    #[cfg(feature = "conversations")]
    start_new: "Iniciar una nueva conversación",
    #[cfg(feature = "conversations")]
    still_sending: "Tu mensaje aún se está enviando. Podrás cambiar cuando se entregue.",
    #[cfg(feature = "contact")]
    contact_title: "Datos de contacto",
    #[cfg(feature = "contact")]
    name: "Nombre",
    #[cfg(feature = "contact")]
    email: "Correo electrónico",
    #[cfg(feature = "contact")]
    offer: "Recibir la respuesta por correo",
    #[cfg(feature = "contact")]
    save: "Guardar",
    #[cfg(feature = "contact")]
    dismiss: "No, gracias",
    #[cfg(feature = "contact")]
    email_invalid: "Escribe un correo como nombre@example.com.",
    #[cfg(feature = "contact")]
    name_missing: "Escribe tu nombre.",
    #[cfg(feature = "contact")]
    privacy: "Política de privacidad",
    unread: |p| match p {
        Plural::One => "{n} mensaje sin leer",
        _ => "{n} mensajes sin leer",
    },
    plural: plural_one_other,
};
