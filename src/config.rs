//! Widget configuration from the loader's `data-*` attributes and `window.HelpwireSettings`.
//!
//! Parsing is pure and total: every problem becomes a [`ConfigIssue`] naming the attribute, with
//! either a documented default (the widget still works) or a fatal verdict (it stays out of the page).

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
}

impl ProviderKind {
    pub const ALL: [(&'static str, ProviderKind); 6] = [
        ("local", ProviderKind::Local),
        ("bancroft", ProviderKind::Bancroft),
        ("gleap", ProviderKind::Gleap),
        ("gurusup", ProviderKind::Gurusup),
        ("eusate", ProviderKind::Eusate),
        ("bot", ProviderKind::Bot),
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
}

/// How bad a configuration problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// An attribute Helpwire does not know (perhaps another tool's); ignored.
    Ignored,
    /// An invalid value replaced by its documented default; the widget works.
    Warning,
    /// The widget cannot work as configured and stays out of the page.
    Fatal,
}

/// One problem, naming the attribute it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigIssue {
    pub attribute: String,
    pub message: String,
    pub severity: Severity,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Helpwire: {}: {}", self.attribute, self.message)
    }
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

impl Config {
    /// Parses settings given as (name, value) pairs; names are `data-*` names without the
    /// prefix, in kebab or camel case. Later pairs override earlier ones (settings object after attributes).
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Parsed {
        let mut config = Config::default();
        let mut issues = Vec::new();
        let mut issue = |attribute: &str, message: String, severity| {
            issues.push(ConfigIssue {
                attribute: format!("data-{attribute}"),
                message,
                severity,
            })
        };
        for (raw_key, raw_value) in pairs {
            let key = kebab_case(raw_key.trim());
            let value = raw_value.trim();
            let optional = || (!value.is_empty()).then(|| value.to_string());
            match key.as_str() {
                "provider" => match ProviderKind::ALL.iter().find(|(n, _)| *n == value) {
                    Some((_, kind)) => config.provider = *kind,
                    None => issue(
                        &key,
                        format!(
                            "unknown provider \"{value}\"; expected one of local, bancroft, gleap, \
                             gurusup, eusate, bot. The widget stays off rather than send visitors' \
                             messages somewhere the site did not choose."
                        ),
                        Severity::Fatal,
                    ),
                },
                "api-base" => config.api_base = optional(),
                "api-key" => config.api_key = optional(),
                "project" => config.project = optional(),
                "locale" => {
                    if value.is_empty() {
                        config.locale = None;
                    } else if is_language_tag(value) {
                        config.locale = Some(value.to_string());
                    } else {
                        issue(
                            &key,
                            format!("\"{value}\" is not a language tag (like \"en\" or \"pt-BR\"); using the browser's language"),
                            Severity::Warning,
                        );
                    }
                }
                "theme" => match value {
                    "light" => config.theme = Theme::Light,
                    "dark" => config.theme = Theme::Dark,
                    "auto" => config.theme = Theme::Auto,
                    _ => issue(
                        &key,
                        format!("\"{value}\" is not light, dark or auto; using auto"),
                        Severity::Warning,
                    ),
                },
                "position" => match value {
                    "right" => config.position = Position::Right,
                    "left" => config.position = Position::Left,
                    _ => issue(
                        &key,
                        format!("\"{value}\" is not right or left; using right"),
                        Severity::Warning,
                    ),
                },
                "storage" => match value {
                    "local" => config.storage = StorageKind::Local,
                    "session" => config.storage = StorageKind::Session,
                    "none" => config.storage = StorageKind::None,
                    _ => issue(
                        &key,
                        format!("\"{value}\" is not local, session or none; using local"),
                        Severity::Warning,
                    ),
                },
                "title" | "greeting" => {
                    let mut text = optional();
                    if let Some(t) = &text {
                        if t.chars().count() > MAX_TEXT_SETTING {
                            issue(
                                &key,
                                format!("longer than {MAX_TEXT_SETTING} characters; cut short"),
                                Severity::Warning,
                            );
                            text = Some(t.chars().take(MAX_TEXT_SETTING).collect());
                        }
                    }
                    if key == "title" {
                        config.title = text;
                    } else {
                        config.greeting = text;
                    }
                }
                // The loader's own attributes, not settings.
                "src" | "wasm" => {}
                _ => issue(
                    &key,
                    "unknown setting; ignored".to_string(),
                    Severity::Ignored,
                ),
            }
        }
        validate_backend(&config, &mut issue);
        Parsed { config, issues }
    }
}

fn validate_backend(config: &Config, issue: &mut impl FnMut(&str, String, Severity)) {
    match &config.api_base {
        None if config.provider.needs_api_base() => issue(
            "api-base",
            format!(
                "required for data-provider=\"{}\" (the URL of the backend or of the site's proxy)",
                config.provider.name()
            ),
            Severity::Fatal,
        ),
        Some(base) if config.provider != ProviderKind::Local && !is_http_url(base) => issue(
            "api-base",
            format!("\"{base}\" is not an http(s) URL"),
            Severity::Fatal,
        ),
        _ => {}
    }
    if config.provider == ProviderKind::Gleap
        && config.project.is_none()
        && config.api_key.is_some()
    {
        issue(
            "project",
            "required with data-api-key for data-provider=\"gleap\" (the Gleap project id)".into(),
            Severity::Fatal,
        );
    }
}

fn is_http_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    matches!(rest, Some(r) if !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_whitespace))
}

/// A loose BCP 47 check: a 2–3 letter language and optional alphanumeric subtags.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split(['-', '_']);
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    lang_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}
