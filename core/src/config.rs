//! Widget configuration from the loader's `data-*` attributes and `window.HelpwireSettings`.
//!
//! Parsing is pure and total: every problem becomes a [`ConfigIssue`] naming the setting as the
//! site wrote it (`data-theme`, or `HelpwireSettings.theme`), with either the documented default
//! (the widget still works) or a fatal verdict (it stays out of the page).

use std::fmt;

/// Which backend the widget talks to (`data-provider`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProviderKind {
    #[default]
    Local,
    Bancroft,
    Gleap,
    Gurusup,
    Eusate,
    Bot,
    /// Helpwire's own relay (`relay/`), which holds a secret-key helpdesk's keys.
    Relay,
}

impl ProviderKind {
    pub const ALL: [(&'static str, ProviderKind); 7] = [
        ("local", ProviderKind::Local),
        ("bancroft", ProviderKind::Bancroft),
        ("gleap", ProviderKind::Gleap),
        ("gurusup", ProviderKind::Gurusup),
        ("eusate", ProviderKind::Eusate),
        ("bot", ProviderKind::Bot),
        ("relay", ProviderKind::Relay),
    ];

    pub fn name(self) -> &'static str {
        ProviderKind::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("local")
    }

    /// Whether the backend needs `data-api-base` (all but the in-browser helpdesk and Eusate's public host).
    fn needs_api_base(self) -> bool {
        !matches!(self, ProviderKind::Local | ProviderKind::Eusate)
    }
}

/// Colour scheme (`data-theme`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
    /// Follows `prefers-color-scheme`.
    #[default]
    Auto,
}

/// Which corner the launcher sits in (`data-position`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Position {
    #[default]
    Right,
    Left,
}

/// Where the conversation is kept between page loads (`data-storage`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StorageKind {
    #[default]
    Local,
    Session,
    /// Memory only: a reload starts afresh.
    None,
}

/// The validated configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    pub provider: ProviderKind,
    pub api_base: Option<String>,
    pub api_key: Option<String>,
    pub project: Option<String>,
    /// `None`: take the browser's language.
    pub locale: Option<String>,
    pub theme: Theme,
    pub position: Position,
    pub storage: StorageKind,
    /// `None`: the localized default title.
    pub title: Option<String>,
    /// `None`: the localized default greeting.
    pub greeting: Option<String>,
    /// A short tone for support's messages while the panel is closed or the tab hidden.
    pub sound: bool,
    /// Test mode of the local helpdesk (`data-local-replies="script"`): support answers only
    /// what a test scripts through `Helpwire.testing`.
    pub scripted_replies: bool,
    /// Which contact details the pre-chat form asks for.
    #[cfg(feature = "contact")]
    pub prechat: crate::contact::Prechat,
    /// The site's privacy policy, linked under the contact forms: an http(s) URL.
    #[cfg(feature = "contact")]
    pub privacy_url: Option<String>,
    /// How the site wrote each setting it gave, by kebab-case key (`api-base` →
    /// `HelpwireSettings.apiBase`), so that later messages name it the same way.
    pub written: Vec<(String, String)>,
}

/// How messages name a `window.HelpwireSettings` key.
const SETTINGS: &str = "HelpwireSettings.";

impl Config {
    /// The name the site wrote for `key` (kebab case: `api-key`). For a setting it did not give:
    /// the attribute, or the `HelpwireSettings` key if that is how it chose the provider.
    pub fn name_of(&self, key: &str) -> String {
        let written = |key: &str| {
            self.written
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, name)| name.as_str())
        };
        if let Some(name) = written(key) {
            return name.to_string();
        }
        if written("provider").is_some_and(|n| n.starts_with(SETTINGS)) {
            format!("{SETTINGS}{}", camel_case(key))
        } else {
            format!("data-{key}")
        }
    }
}

/// How bad a configuration problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// A setting Helpwire does not know (perhaps another tool's attribute); ignored.
    Ignored,
    /// An invalid value replaced by its documented default; the widget works.
    Warning,
    /// The widget cannot work as configured and stays out of the page.
    Fatal,
}

/// One problem, naming the setting as the site wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigIssue {
    /// `data-theme` for an attribute, `HelpwireSettings.theme` for a settings key.
    pub name: String,
    pub message: String,
    pub severity: Severity,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Helpwire: {}: {}", self.name, self.message)
    }
}

/// Where a setting came from: a `data-*` attribute of the script tag, or a key of
/// `window.HelpwireSettings`. Messages name the setting the way the site wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Attribute,
    Settings,
}

/// A setting's value as the page gave it. Attributes are always text; `HelpwireSettings` can
/// hold anything, and every known setting expects text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    /// A number, as JavaScript writes it (`String(n)`).
    Number(String),
    Bool(bool),
    Null,
    Array,
    Object,
    /// Anything else, by its `typeof` (`function`, `symbol`, `bigint`).
    Other(String),
}

impl Value {
    /// How a console message shows the value: `the number 42`, `an object`…
    pub fn described(&self) -> String {
        match self {
            Value::Text(t) => format!("\"{t}\""),
            Value::Number(n) => format!("the number {n}"),
            Value::Bool(b) => format!("the boolean {b}"),
            Value::Null => "null".into(),
            Value::Array => "an array".into(),
            Value::Object => "an object".into(),
            Value::Other(kind) => format!("a {kind}"),
        }
    }
}

/// `window.HelpwireSettings` as the page left it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PageSettings {
    /// Not set (`undefined` or `null`).
    #[default]
    Absent,
    /// An object: its own keys, in order, with their values (`undefined` ones left out).
    Object(Vec<(String, Value)>),
    /// Something that is not an object; ignored.
    Not(Value),
}

/// The outcome of parsing: a config (always) and what was wrong with the input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    pub config: Config,
    pub issues: Vec<ConfigIssue>,
}

impl Parsed {
    /// Whether the widget must stay out of the page.
    pub fn is_fatal(&self) -> bool {
        self.issues.iter().any(|i| i.severity == Severity::Fatal)
    }
}

/// Longest accepted title / greeting; longer values are cut, with a warning.
pub const MAX_TEXT_SETTING: usize = 200;

/// `api-base` → `apiBase`, how `HelpwireSettings` spells a setting.
fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `apiBase` → `api-base`, so settings objects and `dataset` keys share one vocabulary.
pub fn kebab_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// One setting as the page gave it.
struct Given {
    source: Source,
    key: String,
    value: Value,
}

/// Why an unknown provider or a provider of the wrong type is not replaced by the default.
const PROVIDER_REFUSED: &str =
    "the widget stays off rather than send visitors' messages somewhere the site did not choose";

/// How a setting is checked, and what its documented default reads as in a message.
struct Rule {
    /// What is used instead of a refused value.
    fallback: &'static str,
    severity: Severity,
    /// The values it accepts (empty: any text), as a message lists them, and which is the default.
    choices: &'static [&'static str],
    expected: &'static str,
    default: usize,
}

/// The rule of each setting; `None` for a setting Helpwire does not know.
fn rule(key: &str) -> Option<Rule> {
    let text = |fallback| Rule {
        fallback,
        severity: Severity::Warning,
        choices: &[],
        expected: "",
        default: 0,
    };
    let choice = |fallback, choices, expected, default| Rule {
        fallback,
        severity: Severity::Warning,
        choices,
        expected,
        default,
    };
    Some(match key {
        "provider" => Rule {
            severity: Severity::Fatal,
            ..choice(
                PROVIDER_REFUSED,
                &PROVIDER_NAMES,
                "one of local, bancroft, gleap, gurusup, eusate, bot or relay",
                0,
            )
        },
        "api-base" | "api-key" | "project" => text("ignored"),
        "locale" => Rule {
            expected: "a language tag (like \"en\" or \"pt-BR\")",
            ..text("using the browser's language")
        },
        "theme" => choice(
            "using auto",
            &["light", "dark", "auto"],
            "light, dark or auto",
            2,
        ),
        "position" => choice("using right", &["right", "left"], "right or left", 0),
        "storage" => choice(
            "using local",
            &["local", "session", "none"],
            "local, session or none",
            0,
        ),
        "sound" => choice("using off", &["off", "on"], "on or off", 0),
        // Only bundles with the local helpdesk know it; the others ignore it as unknown (with a
        // console warning), and only the local helpdesk reads it.
        #[cfg(feature = "local")]
        "local-replies" => choice("using auto", &["auto", "script"], "auto or script", 0),
        #[cfg(feature = "contact")]
        "prechat" => choice(
            "using none",
            &["none", "email", "name-email"],
            "none, email or name-email",
            0,
        ),
        #[cfg(feature = "contact")]
        "privacy-url" => Rule {
            expected: "an http(s) URL",
            ..text("no privacy link")
        },
        "title" => text("using the localized title"),
        "greeting" => text("using the localized greeting"),
        _ => return None,
    })
}

/// The names of [`ProviderKind::ALL`], in its order.
const PROVIDER_NAMES: [&str; 7] = [
    "local", "bancroft", "gleap", "gurusup", "eusate", "bot", "relay",
];

impl Config {
    /// Parses `data-*` attributes given as (name, value) pairs; names are without the `data-`
    /// prefix, in kebab or camel case (`dataset` keys). Later pairs override earlier ones.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Parsed {
        Self::from_page(pairs, PageSettings::Absent)
    }

    /// Parses what the page gave: the script's `data-*` attributes (as [`Config::parse`]), then
    /// `window.HelpwireSettings`, whose keys override them. Every problem names the setting the
    /// way the site wrote it.
    pub fn from_page<'a>(
        attributes: impl IntoIterator<Item = (&'a str, &'a str)>,
        settings: PageSettings,
    ) -> Parsed {
        let mut issues = Vec::new();
        let mut given = Vec::new();
        for (key, value) in attributes {
            given.push(Given {
                source: Source::Attribute,
                key: key.to_string(),
                value: Value::Text(value.to_string()),
            });
        }
        match settings {
            PageSettings::Absent => {}
            PageSettings::Object(entries) => {
                for (key, value) in entries {
                    given.push(Given {
                        source: Source::Settings,
                        key,
                        value,
                    });
                }
            }
            PageSettings::Not(value) => issues.push(ConfigIssue {
                name: "window.HelpwireSettings".into(),
                message: format!("expected an object, got {}; ignored", value.described()),
                severity: Severity::Warning,
            }),
        }
        Self::parse_given(given, issues)
    }

    fn parse_given(given: Vec<Given>, mut issues: Vec<ConfigIssue>) -> Parsed {
        let mut config = Config::default();
        // Settings refused for their type: (key, where its issue is, the value described).
        let mut wrong_type: Vec<(String, usize, String)> = Vec::new();
        for Given { source, key, value } in given {
            let written = key.trim();
            let key = kebab_case(written);
            let name = match source {
                Source::Attribute => format!("data-{key}"),
                Source::Settings => format!("{SETTINGS}{written}"),
            };
            let issue = |issues: &mut Vec<ConfigIssue>, message: String, severity| {
                issues.push(ConfigIssue {
                    name: name.clone(),
                    message,
                    severity,
                })
            };
            let Some(rule) = rule(&key) else {
                // Documented, but this build has no contact forms (README, Contact details).
                #[cfg(not(feature = "contact"))]
                if matches!(key.as_str(), "prechat" | "privacy-url") {
                    issue(
                        &mut issues,
                        "the contact forms are not in this provider's bundle; ignored".into(),
                        Severity::Ignored,
                    );
                    continue;
                }
                // The loader's own attributes are not settings.
                if !matches!(key.as_str(), "src" | "wasm") {
                    issue(
                        &mut issues,
                        "unknown setting; ignored".into(),
                        Severity::Ignored,
                    );
                }
                continue;
            };
            config.written.push((key.clone(), name.clone()));
            // A value of the wrong type is refused like an invalid one, with the default: ""
            // stands for the default of every setting below.
            let (value, wrong) = match &value {
                Value::Text(text) => (text.trim(), None),
                wrong => ("", Some(wrong.described())),
            };
            let (fallback, severity) = (rule.fallback, rule.severity);
            let refused = wrong.is_some();
            if let Some(described) = wrong {
                let message = format!("expected a string, got {described}; {fallback}");
                wrong_type.push((key.clone(), issues.len(), described));
                issue(&mut issues, message, severity);
            }
            let choice = rule.choices.iter().position(|c| *c == value);
            let valid = match key.as_str() {
                "locale" => value.is_empty() || is_language_tag(value),
                "privacy-url" => value.is_empty() || is_http_url(value),
                _ => rule.choices.is_empty() || choice.is_some(),
            };
            if !valid && !refused {
                let message = format!("\"{value}\" is not {}; {fallback}", rule.expected);
                issue(&mut issues, message, severity);
            }
            let choice = choice.unwrap_or(rule.default);
            let text = (valid && !value.is_empty()).then(|| value.to_string());
            match key.as_str() {
                "provider" => config.provider = ProviderKind::ALL[choice].1,
                "api-base" => config.api_base = text,
                "api-key" => config.api_key = text,
                "project" => config.project = text,
                "locale" => config.locale = text,
                "theme" => config.theme = [Theme::Light, Theme::Dark, Theme::Auto][choice],
                "position" => config.position = [Position::Right, Position::Left][choice],
                "storage" => {
                    config.storage =
                        [StorageKind::Local, StorageKind::Session, StorageKind::None][choice]
                }
                "sound" => config.sound = choice == 1,
                #[cfg(feature = "local")]
                "local-replies" => config.scripted_replies = choice == 1,
                #[cfg(feature = "contact")]
                "prechat" => {
                    use crate::contact::Prechat;
                    config.prechat = [Prechat::None, Prechat::Email, Prechat::NameEmail][choice]
                }
                #[cfg(feature = "contact")]
                "privacy-url" => config.privacy_url = text,
                _ => {
                    // "title" | "greeting"
                    let mut text = text;
                    if let Some(t) = &text {
                        if t.chars().count() > MAX_TEXT_SETTING {
                            issue(
                                &mut issues,
                                format!("longer than {MAX_TEXT_SETTING} characters; cut short"),
                                Severity::Warning,
                            );
                            let end = t
                                .char_indices()
                                .nth(MAX_TEXT_SETTING)
                                .map_or(t.len(), |(i, _)| i);
                            text = Some(t[..end].to_string());
                        }
                    }
                    if key == "title" {
                        config.title = text;
                    } else {
                        config.greeting = text;
                    }
                }
            }
        }
        validate_backend(&config, &mut issues, &wrong_type);
        Parsed { config, issues }
    }
}

/// Settings the backend cannot do without.
fn validate_backend(
    config: &Config,
    issues: &mut Vec<ConfigIssue>,
    wrong_type: &[(String, usize, String)],
) {
    let provider = config.provider.name();
    match &config.api_base {
        None if config.provider.needs_api_base() => required(
            config,
            issues,
            wrong_type,
            "api-base",
            format!(
                "required for provider \"{provider}\" (the URL of the backend or of the site's proxy)"
            ),
        ),
        Some(base) if config.provider != ProviderKind::Local && !is_http_url(base) => {
            issues.push(ConfigIssue {
                name: config.name_of("api-base"),
                message: format!("\"{base}\" is not an http(s) URL"),
                severity: Severity::Fatal,
            })
        }
        _ => {}
    }
    if config.provider == ProviderKind::Gleap
        && config.project.is_none()
        && config.api_key.is_some()
    {
        let why = format!(
            "required with {} for provider \"gleap\" (the Gleap project id)",
            config.name_of("api-key")
        );
        required(config, issues, wrong_type, "project", why);
    }
    #[cfg(feature = "contact")]
    if config.prechat != crate::contact::Prechat::None
        && !crate::contact::backend_takes_contact(config.provider)
    {
        issues.push(ConfigIssue {
            name: config.name_of("prechat"),
            message: format!(
                "provider \"{provider}\" has no place for a visitor's contact details; ignored"
            ),
            severity: Severity::Warning,
        })
    }
}

/// A fatal issue: `key` is missing. If the site gave it with the wrong type, that has an issue
/// already, which becomes fatal, so the site reads one message about the setting.
fn required(
    config: &Config,
    issues: &mut Vec<ConfigIssue>,
    wrong_type: &[(String, usize, String)],
    key: &str,
    why: String,
) {
    match wrong_type.iter().rev().find(|(k, _, _)| k == key) {
        Some((_, at, described)) => {
            if let Some(issue) = issues.get_mut(*at) {
                issue.message = format!("expected a string, got {described}; {why}");
                issue.severity = Severity::Fatal;
            }
        }
        None => issues.push(ConfigIssue {
            name: config.name_of(key),
            message: why,
            severity: Severity::Fatal,
        }),
    }
}

fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    matches!(rest, Some(r) if !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_whitespace))
}

/// Moved to [`crate::lang`], where the texts and the backends read tags too.
pub use crate::lang::is_language_tag;
