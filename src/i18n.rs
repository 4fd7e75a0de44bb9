//! Interface strings per locale, plural rules and text direction.
//!
//! One `Strings` table per language; adding a language is adding one table and one line in
//! [`for_locale`]. Locale resolution: exact tag, then its language, then English.

/// Text direction of a locale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ltr,
    Rtl,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ltr => "ltr",
            Direction::Rtl => "rtl",
        }
    }
}

/// CLDR plural categories used by the shipped languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plural {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

/// Every string the interface shows.
#[derive(Debug)]
pub struct Strings {
    /// BCP 47 language of this table.
    pub lang: &'static str,
    pub dir: Direction,
    pub title: &'static str,
    pub greeting: &'static str,
    /// The launcher's name; constant, because `aria-expanded` already says open or closed.
    pub launcher: &'static str,
    pub close_chat: &'static str,
    pub composer_label: &'static str,
    pub composer_placeholder: &'static str,
    pub send: &'static str,
    pub you: &'static str,
    pub support: &'static str,
    pub pending: &'static str,
    pub failed: &'static str,
    pub retry: &'static str,
    pub reconnecting: &'static str,
    pub unavailable: &'static str,
    /// Unread count, by plural category; `{n}` is replaced by the number.
    pub unread: fn(Plural) -> &'static str,
    plural: fn(u32) -> Plural,
}

impl PartialEq for Strings {
    /// Tables are statics, one per language.
    fn eq(&self, other: &Self) -> bool {
        self.lang == other.lang
    }
}

impl Strings {
    /// "3 unread messages", in this language's plural form.
    pub fn unread_label(&self, n: u32) -> String {
        (self.unread)((self.plural)(n)).replace("{n}", &n.to_string())
    }
    pub fn plural(&self, n: u32) -> Plural {
        (self.plural)(n)
    }
}

fn plural_one_other(n: u32) -> Plural {
    if n == 1 {
        Plural::One
    } else {
        Plural::Other
    }
}

/// French: 0 and 1 are singular.
fn plural_french(n: u32) -> Plural {
    if n <= 1 {
        Plural::One
    } else {
        Plural::Other
    }
}

fn plural_none(_: u32) -> Plural {
    Plural::Other
}

fn plural_arabic(n: u32) -> Plural {
    match (n, n % 100) {
        (0, _) => Plural::Zero,
        (1, _) => Plural::One,
        (2, _) => Plural::Two,
        (_, 3..=10) => Plural::Few,
        (_, 11..=99) => Plural::Many,
        _ => Plural::Other,
    }
}

pub static EN: Strings = Strings {
    lang: "en",
    dir: Direction::Ltr,
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
    reconnecting: "Connection lost. Retrying…",
    unavailable: "Support chat is unavailable right now.",
    unread: |p| match p {
        Plural::One => "{n} unread message",
        _ => "{n} unread messages",
    },
    plural: plural_one_other,
};

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
    reconnecting: "Verbindung unterbrochen. Neuer Versuch…",
    unavailable: "Der Support-Chat ist gerade nicht erreichbar.",
    unread: |p| match p {
        Plural::One => "{n} ungelesene Nachricht",
        _ => "{n} ungelesene Nachrichten",
    },
    plural: plural_one_other,
};

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
    reconnecting: "Connexion perdue. Nouvelle tentative…",
    unavailable: "Le chat d'assistance est indisponible pour le moment.",
    unread: |p| match p {
        Plural::One => "{n} message non lu",
        _ => "{n} messages non lus",
    },
    plural: plural_french,
};

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
    reconnecting: "Conexión perdida. Reintentando…",
    unavailable: "El chat de soporte no está disponible ahora.",
    unread: |p| match p {
        Plural::One => "{n} mensaje sin leer",
        _ => "{n} mensajes sin leer",
    },
    plural: plural_one_other,
};

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
    reconnecting: "Conexão perdida. Tentando de novo…",
    unavailable: "O chat de suporte está indisponível agora.",
    unread: |p| match p {
        Plural::One => "{n} mensagem não lida",
        _ => "{n} mensagens não lidas",
    },
    plural: plural_french,
};

pub static JA: Strings = Strings {
    lang: "ja",
    dir: Direction::Ltr,
    title: "サポート",
    greeting: "こんにちは！何でもお気軽にお尋ねください。通常数分以内にお返事します。",
    launcher: "サポートチャット",
    close_chat: "サポートチャットを閉じる",
    composer_label: "サポートへのメッセージ",
    composer_placeholder: "メッセージを入力…",
    send: "送信",
    you: "あなた",
    support: "サポート",
    pending: "送信中…",
    failed: "未配信",
    retry: "再試行",
    reconnecting: "接続が切れました。再試行しています…",
    unavailable: "現在サポートチャットをご利用いただけません。",
    unread: |_| "未読メッセージ {n} 件",
    plural: plural_none,
};

pub static AR: Strings = Strings {
    lang: "ar",
    dir: Direction::Rtl,
    title: "الدعم",
    greeting: "مرحبًا! اسألنا عن أي شيء. نرد عادةً خلال دقائق.",
    launcher: "محادثة الدعم",
    close_chat: "إغلاق محادثة الدعم",
    composer_label: "رسالة إلى الدعم",
    composer_placeholder: "اكتب رسالة…",
    send: "إرسال",
    you: "أنت",
    support: "الدعم",
    pending: "جارٍ الإرسال…",
    failed: "لم يتم التسليم",
    retry: "إعادة المحاولة",
    reconnecting: "انقطع الاتصال. جارٍ إعادة المحاولة…",
    unavailable: "محادثة الدعم غير متاحة الآن.",
    unread: |p| match p {
        Plural::Zero => "لا رسائل غير مقروءة",
        Plural::One => "رسالة واحدة غير مقروءة",
        Plural::Two => "رسالتان غير مقروءتين",
        Plural::Few => "{n} رسائل غير مقروءة",
        _ => "{n} رسالة غير مقروءة",
    },
    plural: plural_arabic,
};

/// Every shipped language.
pub static ALL: [&Strings; 7] = [&EN, &DE, &FR, &ES, &PT, &JA, &AR];

/// The table for a BCP 47 tag: exact language match on the primary subtag, else English.
pub fn for_locale(tag: &str) -> &'static Strings {
    let lang = tag
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    ALL.iter().copied().find(|s| s.lang == lang).unwrap_or(&EN)
}

/// The first of `preferred` (config, `setLocale`, browser languages…) that we ship, else English.
pub fn resolve<'a>(preferred: impl IntoIterator<Item = &'a str>) -> &'static Strings {
    preferred
        .into_iter()
        .map(|tag| {
            let lang = tag
                .split(['-', '_'])
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            ALL.iter().copied().find(|s| s.lang == lang)
        })
        .find_map(|s| s)
        .unwrap_or(&EN)
}
