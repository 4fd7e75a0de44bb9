//! Interface strings per locale, plural rules and text direction.
//!
//! English is compiled in (`en.rs`): the fallback, and the texts most visitors see. Every other
//! language is a JSON file, `core/i18n/<lang>.json`, that the widget fetches beside its bundle
//! when a visitor needs it and reads with [`Strings::from_json`]: six languages in every bundle
//! would cost each bundle more than the code that reads one. Adding a language is adding its file
//! and its tag to [`LANGUAGES`] (see the README). Locale resolution: the primary language subtag
//! of each preferred tag in turn, then English.

use crate::fields::Fields;
use crate::json::Json;

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

/// CLDR plural categories used by the shipped languages, in the order of [`Strings::unread`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plural {
    Zero,
    One,
    Two,
    Few,
    Many,
    Other,
}

/// One language's table: its tag, direction and plural rule, and every string the interface
/// shows (`texts`, reached through `Deref`: `strings.send`).
#[derive(Debug)]
pub struct Strings {
    /// BCP 47 language of this table.
    pub lang: &'static str,
    pub dir: Direction,
    pub texts: Texts,
    plural: fn(u32) -> Plural,
}

impl core::ops::Deref for Strings {
    type Target = Texts;
    fn deref(&self) -> &Texts {
        &self.texts
    }
}

/// Every string the interface shows, in the order of the language files (`core/i18n/`).
/// `repr(C)` and nothing but `&'static str` fields: [`Texts::slots`] reads it as a slice.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct Texts {
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
    /// The button at the top of a long conversation that shows the messages before those shown.
    pub earlier: &'static str,
    pub reconnecting: &'static str,
    /// The backend refused the session; never with the backend's own words (those go to the console).
    pub unavailable: &'static str,
    /// A system message: support closed the conversation (the backend said no more).
    pub conversation_closed: &'static str,
    /// The composer's counter near the limit; `{n}` and `{max}` become the formatted numbers.
    pub count: &'static str,
    /// Announced once when the text comes near the limit of `{max}` characters.
    pub near_limit: &'static str,
    /// Why Send is off, and the notice for a refused message: over the limit of `{max}` characters.
    pub too_long: &'static str,
    /// In the log while support writes an answer; announced once by the polite log.
    pub typing: &'static str,
    /// Under the visitor's last message once an agent has read it.
    pub seen: &'static str,
    /// The conversation list's name (and its heading).
    #[cfg(feature = "conversations")]
    pub conversations: &'static str,
    /// The button that starts a new conversation.
    #[cfg(feature = "conversations")]
    pub new_conversation: &'static str,
    /// The header button from a conversation back to the list.
    #[cfg(feature = "conversations")]
    pub back: &'static str,
    /// The marker of a conversation support closed, in the list.
    #[cfg(feature = "conversations")]
    pub closed: &'static str,
    /// In place of the composer in a conversation support closed.
    #[cfg(feature = "conversations")]
    pub start_new: &'static str,
    /// Why the visitor cannot switch yet: a message of theirs is on its way.
    #[cfg(feature = "conversations")]
    pub still_sending: &'static str,
    /// The contact forms' name (the pre-chat form's heading).
    #[cfg(feature = "contact")]
    pub contact_title: &'static str,
    /// The name field's label.
    #[cfg(feature = "contact")]
    pub name: &'static str,
    /// The email field's label.
    #[cfg(feature = "contact")]
    pub email: &'static str,
    /// The one-line offer after the visitor's first message, and its form's name.
    #[cfg(feature = "contact")]
    pub offer: &'static str,
    /// The offer's submit button (not "Send", which names the composer's button alone).
    #[cfg(feature = "contact")]
    pub save: &'static str,
    /// The button that dismisses the offer.
    #[cfg(feature = "contact")]
    pub dismiss: &'static str,
    /// Inline error: the email field is empty or not an address.
    #[cfg(feature = "contact")]
    pub email_invalid: &'static str,
    /// Inline error: the name field is empty.
    #[cfg(feature = "contact")]
    pub name_missing: &'static str,
    /// The link to the site's privacy policy under the contact forms.
    #[cfg(feature = "contact")]
    pub privacy: &'static str,
    /// Unread count by plural category (indexed by [`Plural`]: zero, one, two, few, many,
    /// other); `{n}` is replaced by the number. In the files: `unread_zero` … `unread_other`.
    pub unread: [&'static str; 6],
}

impl Texts {
    /// Every text, in field order (the order of the language files).
    fn slots(&mut self) -> &mut [&'static str] {
        const SLOTS: usize = core::mem::size_of::<Texts>() / core::mem::size_of::<&str>();
        const _: () =
            assert!(core::mem::size_of::<Texts>() == SLOTS * core::mem::size_of::<&str>());
        // The files' texts this build keeps are exactly its fields.
        const _: () = {
            let (mut i, mut kept) = (0, 0);
            while i < IN_BUILD.len() {
                if IN_BUILD[i] {
                    kept += 1;
                }
                i += 1;
            }
            assert!(kept == SLOTS);
        };
        // SAFETY: `Texts` is `repr(C)` with only `&'static str` fields, so it is laid out as an
        // array of `SLOTS` of them (no padding: the assertion above), and the slice borrows it
        // mutably for its own lifetime.
        unsafe {
            core::slice::from_raw_parts_mut((self as *mut Texts).cast::<&'static str>(), SLOTS)
        }
    }
}

/// For each text of the language files in order, whether this build has its field: the files
/// hold every text, a bundle only those of its features.
const IN_BUILD: [bool; 42] = {
    let conversations = cfg!(feature = "conversations");
    let contact = cfg!(feature = "contact");
    let mut present = [true; 42];
    let mut i = 21;
    while i < 27 {
        present[i] = conversations;
        i += 1;
    }
    while i < 36 {
        present[i] = contact;
        i += 1;
    }
    present
};

impl PartialEq for Strings {
    /// Tables are statics, one per language.
    fn eq(&self, other: &Self) -> bool {
        self.lang == other.lang
    }
}

impl Strings {
    /// The words for a system notice the backend reported without any.
    pub fn notice(&self, notice: crate::model::SystemNotice) -> &'static str {
        match notice {
            crate::model::SystemNotice::ConversationClosed => self.conversation_closed,
        }
    }

    /// The inline error for a refused contact detail.
    #[cfg(feature = "contact")]
    pub fn contact_error(&self, error: crate::contact::ContactError) -> &'static str {
        use crate::contact::ContactError;
        match error {
            // One sentence for both: it says what to write.
            ContactError::EmailMissing | ContactError::EmailInvalid => self.email_invalid,
            ContactError::NameMissing => self.name_missing,
        }
    }

    /// Every text of the table by field name, plural forms included; the i18n test checks that
    /// none is empty. Destructured in full, so a new field cannot be left out.
    pub fn texts(&self) -> Vec<(&'static str, &'static str)> {
        let Texts {
            title,
            greeting,
            launcher,
            close_chat,
            composer_label,
            composer_placeholder,
            send,
            you,
            support,
            pending,
            failed,
            retry,
            earlier,
            reconnecting,
            unavailable,
            conversation_closed,
            count,
            near_limit,
            too_long,
            typing,
            seen,
            #[cfg(feature = "conversations")]
            conversations,
            #[cfg(feature = "conversations")]
            new_conversation,
            #[cfg(feature = "conversations")]
            back,
            #[cfg(feature = "conversations")]
            closed,
            #[cfg(feature = "conversations")]
            start_new,
            #[cfg(feature = "conversations")]
            still_sending,
            #[cfg(feature = "contact")]
            contact_title,
            #[cfg(feature = "contact")]
            name,
            #[cfg(feature = "contact")]
            email,
            #[cfg(feature = "contact")]
            offer,
            #[cfg(feature = "contact")]
            save,
            #[cfg(feature = "contact")]
            dismiss,
            #[cfg(feature = "contact")]
            email_invalid,
            #[cfg(feature = "contact")]
            name_missing,
            #[cfg(feature = "contact")]
            privacy,
            unread,
        } = &self.texts;
        let mut texts = vec![
            ("title", *title),
            ("greeting", *greeting),
            ("launcher", *launcher),
            ("close_chat", *close_chat),
            ("composer_label", *composer_label),
            ("composer_placeholder", *composer_placeholder),
            ("send", *send),
            ("you", *you),
            ("support", *support),
            ("pending", *pending),
            ("failed", *failed),
            ("retry", *retry),
            ("earlier", *earlier),
            ("reconnecting", *reconnecting),
            ("unavailable", *unavailable),
            ("conversation_closed", *conversation_closed),
            ("count", *count),
            ("near_limit", *near_limit),
            ("too_long", *too_long),
            ("typing", *typing),
            ("seen", *seen),
            #[cfg(feature = "conversations")]
            ("conversations", *conversations),
            #[cfg(feature = "conversations")]
            ("new_conversation", *new_conversation),
            #[cfg(feature = "conversations")]
            ("back", *back),
            #[cfg(feature = "conversations")]
            ("closed", *closed),
            #[cfg(feature = "conversations")]
            ("start_new", *start_new),
            #[cfg(feature = "conversations")]
            ("still_sending", *still_sending),
            #[cfg(feature = "contact")]
            ("contact_title", *contact_title),
            #[cfg(feature = "contact")]
            ("name", *name),
            #[cfg(feature = "contact")]
            ("email", *email),
            #[cfg(feature = "contact")]
            ("offer", *offer),
            #[cfg(feature = "contact")]
            ("save", *save),
            #[cfg(feature = "contact")]
            ("dismiss", *dismiss),
            #[cfg(feature = "contact")]
            ("email_invalid", *email_invalid),
            #[cfg(feature = "contact")]
            ("name_missing", *name_missing),
            #[cfg(feature = "contact")]
            ("privacy", *privacy),
        ];
        texts.extend(unread.iter().map(|text| ("unread", *text)));
        texts
    }

    /// "3 unread messages", in this language's plural form.
    pub fn unread_label(&self, n: u32) -> String {
        crate::text::replace(self.unread[self.plural(n) as usize], "{n}", &n.to_string())
    }
    pub fn plural(&self, n: u32) -> Plural {
        (self.plural)(n)
    }
}

/// `template` with `{n}` and `{max}` replaced by numbers already formatted for the locale.
pub fn fill(template: &str, n: &str, max: &str) -> String {
    // Byte-wise (`text::replace`), as `str::replace` links core's two-way string searcher.
    crate::text::replace(&crate::text::replace(template, "{n}", n), "{max}", max)
}

/// English, German, Spanish…: 1 is singular, everything else plural.
pub(crate) fn plural_one_other(n: u32) -> Plural {
    if n == 1 {
        Plural::One
    } else {
        Plural::Other
    }
}

/// French and Portuguese (CLDR `i = 0..1`): 0 and 1 are singular.
pub(crate) fn plural_french(n: u32) -> Plural {
    if n <= 1 {
        Plural::One
    } else {
        Plural::Other
    }
}

/// Languages without grammatical number (Japanese, Chinese…).
pub(crate) fn plural_none(_: u32) -> Plural {
    Plural::Other
}

mod en;
pub use en::EN;

/// Every shipped language, English (compiled in, the fallback) first; the others are
/// `core/i18n/<lang>.json`.
pub const LANGUAGES: [&str; 7] = ["en", "de", "fr", "es", "pt", "ja", "ar"];

/// The first of `preferred` (config, `setLocale`, browser languages…) that we ship, else English:
/// its tag in [`LANGUAGES`].
pub fn resolve<'a>(preferred: impl IntoIterator<Item = &'a str>) -> &'static str {
    for tag in preferred {
        let lang = crate::lang::primary_subtag(tag);
        for shipped in LANGUAGES {
            if shipped.eq_ignore_ascii_case(lang) {
                return shipped;
            }
        }
    }
    "en"
}

/// Arabic (CLDR): 0, 1, 2, 3–10, 11–99 (by the last two digits), the rest.
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

impl Strings {
    /// Reads a language file (`core/i18n/<lang>.json`): `lang`, `dir` (`ltr` or `rtl`), `plural`
    /// (the rule: `one_other`, `french`, `none`, `arabic`), then every text in the order of
    /// [`Texts`] (the test holds the files to it), the six plural forms of the unread count last.
    /// The table and its texts are kept for the page's life (leaked): at most one per language.
    #[inline(never)]
    pub fn from_json(text: &str) -> Result<&'static Strings, String> {
        let json = Json::parse(text).map_err(|e| e.to_string())?;
        let f = Fields::of(&json, "the texts")?;
        let plural = match f.str("plural")? {
            "one_other" => plural_one_other,
            "french" => plural_french,
            "none" => plural_none,
            "arabic" => plural_arabic,
            other => return Err(format!("no plural rule {other}")),
        };
        // The texts in file order: every entry but the three above.
        let Json::Object(entries) = &json else {
            return Err("the texts are not an object".into());
        };
        let mut texts = EN.texts;
        let slots = texts.slots();
        let (mut read, mut kept) = (0, 0);
        for (key, value) in entries {
            if ["lang", "dir", "plural"].contains(&key.as_str()) {
                continue;
            }
            if IN_BUILD.get(read) == Some(&true) {
                let (Some(slot), Some(text)) = (slots.get_mut(kept), value.as_str()) else {
                    return Err(format!("not a text: {key}"));
                };
                *slot = keep(text.to_string());
                kept += 1;
            }
            read += 1;
        }
        if read != IN_BUILD.len() {
            return Err("not every text is there".into());
        }
        Ok(Box::leak(Box::new(Strings {
            lang: keep(f.string("lang")?),
            dir: if f.str("dir")? == "rtl" {
                Direction::Rtl
            } else {
                Direction::Ltr
            },
            texts,
            plural,
        })))
    }
}

/// A text kept for the page's life.
fn keep(text: String) -> &'static str {
    text.leak()
}

/// The shipped table of `lang` (a tag of [`LANGUAGES`]), read from its file compiled in: for tests
/// and native tools. The widget never calls it (the linker leaves the files out of its bundles):
/// it fetches them (`web::languages`).
pub fn shipped(lang: &str) -> Option<&'static Strings> {
    let text = match lang {
        "en" => return Some(&EN),
        "de" => include_str!("../../i18n/de.json"),
        "fr" => include_str!("../../i18n/fr.json"),
        "es" => include_str!("../../i18n/es.json"),
        "pt" => include_str!("../../i18n/pt.json"),
        "ja" => include_str!("../../i18n/ja.json"),
        "ar" => include_str!("../../i18n/ar.json"),
        _ => return None,
    };
    Some(Strings::from_json(text).unwrap_or_else(|e| panic!("core/i18n/{lang}.json: {e}")))
}

/// The tag to format dates and times with for `lang`: the first `preferred` tag (the configured
/// locale, then the browser's languages) in that language, so `pt-BR` and `en-GB` keep their
/// region's conventions; `lang` itself when none matches.
pub fn regional_tag<'a>(lang: &str, preferred: impl IntoIterator<Item = &'a str>) -> String {
    preferred
        .into_iter()
        .find(|tag| crate::lang::primary_subtag(tag).eq_ignore_ascii_case(lang))
        .map(|tag| crate::text::replace(tag.trim(), "_", "-"))
        .unwrap_or_else(|| lang.to_string())
}
