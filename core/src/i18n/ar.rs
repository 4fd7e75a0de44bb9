//! Arabic.

use super::{Direction, Plural, Strings};

/// The Arabic interface strings.
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
    earlier: "عرض الرسائل السابقة",
    reconnecting: "انقطع الاتصال. جارٍ إعادة المحاولة…",
    unavailable: "محادثة الدعم غير متاحة الآن.",
    conversation_closed: "أغلق فريق الدعم هذه المحادثة.",
    count: "{n} / {max}",
    near_limit: "اقتربت من الحد الأقصى البالغ {max} حرف.",
    too_long: "الرسالة طويلة جدًا: الحد الأقصى {max} حرف. اختصرها لإرسالها.",
    typing: "فريق الدعم يكتب…",
    seen: "تمت المشاهدة",
    #[cfg(feature = "conversations")]
    conversations: "محادثاتك",
    #[cfg(feature = "conversations")]
    new_conversation: "محادثة جديدة",
    #[cfg(feature = "conversations")]
    back: "العودة إلى المحادثات",
    #[cfg(feature = "conversations")]
    closed: "مغلقة",
    #[cfg(feature = "conversations")]
    start_new: "بدء محادثة جديدة",
    #[cfg(feature = "conversations")]
    still_sending: "لا تزال رسالتك قيد الإرسال. يمكنك التبديل بعد تسليمها.",
    #[cfg(feature = "contact")]
    contact_title: "بيانات الاتصال",
    #[cfg(feature = "contact")]
    name: "الاسم",
    #[cfg(feature = "contact")]
    email: "البريد الإلكتروني",
    #[cfg(feature = "contact")]
    offer: "استلم الرد عبر البريد الإلكتروني",
    #[cfg(feature = "contact")]
    save: "حفظ",
    #[cfg(feature = "contact")]
    dismiss: "لا، شكرًا",
    #[cfg(feature = "contact")]
    email_invalid: "أدخل بريدًا إلكترونيًا مثل name@example.com.",
    #[cfg(feature = "contact")]
    name_missing: "أدخل اسمك.",
    #[cfg(feature = "contact")]
    privacy: "سياسة الخصوصية",
    unread: |p| match p {
        Plural::Zero => "لا رسائل غير مقروءة",
        Plural::One => "رسالة واحدة غير مقروءة",
        Plural::Two => "رسالتان غير مقروءتين",
        Plural::Few => "{n} رسائل غير مقروءة",
        _ => "{n} رسالة غير مقروءة",
    },
    plural: plural_arabic,
};

/// CLDR Arabic: zero, one, two, few (n % 100 in 3..=10), many (n % 100 in 11..=99), other.
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
