//! Interface strings per locale, plural rules and text direction.
//!
//! One file per language (`en.rs`, `ar.rs`…), each a `Strings` table and, when the language needs
//! one, its plural rule. Adding a language is adding its file and its name to the [`languages!`]
//! list below (see the README). Locale resolution: the primary language subtag of each preferred
//! tag in turn, then English.

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
        let Strings {
            lang: _,
            dir: _,
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
            plural: _,
        } = self;
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
        let categories = [
            Plural::Zero,
            Plural::One,
            Plural::Two,
            Plural::Few,
            Plural::Many,
            Plural::Other,
        ];
        texts.extend(categories.map(|p| ("unread", unread(p))));
        texts
    }
    /// "3 unread messages", in this language's plural form.
    pub fn unread_label(&self, n: u32) -> String {
        crate::text::replace((self.unread)((self.plural)(n)), "{n}", &n.to_string())
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

/// Declares the language modules, re-exports their tables and lists them in [`ALL`]:
/// `file => TABLE`. The first one is the fallback.
macro_rules! languages {
    ($($file:ident => $table:ident),+ $(,)?) => {
        $(mod $file; pub use $file::$table;)+
        /// Every shipped language, the fallback (English) first.
        pub static ALL: [&Strings; [$(stringify!($table)),+].len()] = [$(&$table),+];
    };
}

languages! {
    en => EN,
    de => DE,
    fr => FR,
    es => ES,
    pt => PT,
    ja => JA,
    ar => AR,
}

/// The first of `preferred` (config, `setLocale`, browser languages…) that we ship, else English.
pub fn resolve<'a>(preferred: impl IntoIterator<Item = &'a str>) -> &'static Strings {
    for tag in preferred {
        let lang = crate::lang::primary_subtag(tag);
        for strings in ALL {
            if strings.lang.eq_ignore_ascii_case(lang) {
                return strings;
            }
        }
    }
    &EN
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
