//! Portuguese.

use super::{plural_french, Direction, Plural, Strings};

/// The Portuguese interface strings.
pub static PT: Strings = Strings {
    lang: "pt",
    dir: Direction::Ltr,
    title: "Suporte",
    greeting: "Olá! Pergunte o que quiser. Costumamos responder em poucos minutos.",
    launcher: "Chat de suporte",
    close_chat: "Fechar o chat de suporte",
    composer_label: "Mensagem para o suporte",
    composer_placeholder: "Escreva uma mensagem…",
    send: "Enviar",
    you: "Você",
    support: "Suporte",
    pending: "Enviando…",
    failed: "Não entregue",
    retry: "Tentar de novo",
    earlier: "Mostrar mensagens anteriores",
    reconnecting: "Conexão perdida. Tentando de novo…",
    unavailable: "O chat de suporte está indisponível agora.",
    conversation_closed: "O suporte encerrou esta conversa.",
    count: "{n} / {max}",
    near_limit: "Você está perto do limite de {max} caracteres.",
    too_long: "A mensagem é longa demais: o limite é de {max} caracteres. Encurte-a para enviar.",
    typing: "O suporte está digitando…",
    seen: "Visto",
    #[cfg(feature = "conversations")]
    conversations: "Suas conversas",
    #[cfg(feature = "conversations")]
    new_conversation: "Nova conversa",
    #[cfg(feature = "conversations")]
    back: "Voltar às conversas",
    #[cfg(feature = "conversations")]
    closed: "Encerrada",
    #[cfg(feature = "conversations")]
    start_new: "Iniciar uma nova conversa",
    #[cfg(feature = "conversations")]
    still_sending: "Sua mensagem ainda está sendo enviada. Você poderá trocar quando ela for entregue.",
    #[cfg(feature = "contact")]
    contact_title: "Dados de contato",
    #[cfg(feature = "contact")]
    name: "Nome",
    #[cfg(feature = "contact")]
    email: "E-mail",
    #[cfg(feature = "contact")]
    offer: "Receber a resposta por e-mail",
    #[cfg(feature = "contact")]
    save: "Salvar",
    #[cfg(feature = "contact")]
    dismiss: "Não, obrigado",
    #[cfg(feature = "contact")]
    email_invalid: "Digite um e-mail como nome@example.com.",
    #[cfg(feature = "contact")]
    name_missing: "Digite seu nome.",
    #[cfg(feature = "contact")]
    privacy: "Política de privacidade",
    unread: |p| match p {
        Plural::One => "{n} mensagem não lida",
        _ => "{n} mensagens não lidas",
    },
    plural: plural_french,
};
