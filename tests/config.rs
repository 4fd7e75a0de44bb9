//! Config parsing: valid values, invalid values with clear errors, defaults.

use helpwire::config::{kebab_case, Config, Position, ProviderKind, Severity, StorageKind, Theme};

fn parse(pairs: &[(&str, &str)]) -> helpwire::config::Parsed {
    Config::parse(pairs.iter().copied())
}

#[test]
fn no_settings_gives_the_documented_defaults() {
    let parsed = parse(&[]);
    assert!(parsed.issues.is_empty());
    let c = parsed.config;
    assert_eq!(c.provider, ProviderKind::Local);
    assert_eq!(c.theme, Theme::Auto);
    assert_eq!(c.position, Position::Right);
    assert_eq!(c.storage, StorageKind::Local);
    assert_eq!(c.locale, None);
    assert_eq!(c.title, None);
}

#[test]
fn every_valid_attribute_is_taken() {
    let parsed = parse(&[
        ("provider", "bancroft"),
        ("apiBase", "https://help.example.com"),
        ("apiKey", "bnc_cl_123"),
        ("locale", "pt-BR"),
        ("theme", "dark"),
        ("position", "left"),
        ("storage", "session"),
        ("title", "  Acme help "),
        ("greeting", "Hello!"),
    ]);
    assert_eq!(parsed.issues, vec![]);
    let c = parsed.config;
    assert_eq!(c.provider, ProviderKind::Bancroft);
    assert_eq!(c.api_base.as_deref(), Some("https://help.example.com"));
    assert_eq!(c.api_key.as_deref(), Some("bnc_cl_123"));
    assert_eq!(c.locale.as_deref(), Some("pt-BR"));
    assert_eq!(c.theme, Theme::Dark);
    assert_eq!(c.position, Position::Left);
    assert_eq!(c.storage, StorageKind::Session);
    assert_eq!(c.title.as_deref(), Some("Acme help"));
    assert_eq!(c.greeting.as_deref(), Some("Hello!"));
}

#[test]
fn kebab_and_camel_names_are_the_same_setting() {
    assert_eq!(kebab_case("apiBase"), "api-base");
    let a = parse(&[
        ("provider", "bot"),
        ("api-base", "https://bot.example.com/hook"),
    ]);
    let b = parse(&[
        ("provider", "bot"),
        ("apiBase", "https://bot.example.com/hook"),
    ]);
    assert_eq!(a.config, b.config);
    assert!(!a.is_fatal());
}

#[test]
fn invalid_values_name_the_attribute_and_fall_back_to_defaults() {
    let parsed = parse(&[
        ("theme", "purple"),
        ("position", "top"),
        ("storage", "cookies"),
        ("locale", "english!"),
    ]);
    assert!(
        !parsed.is_fatal(),
        "invalid cosmetic values must not stop the widget"
    );
    let attrs: Vec<&str> = parsed.issues.iter().map(|i| i.attribute.as_str()).collect();
    assert_eq!(
        attrs,
        ["data-theme", "data-position", "data-storage", "data-locale"]
    );
    assert!(parsed
        .issues
        .iter()
        .all(|i| i.severity == Severity::Warning));
    assert!(parsed.issues[0].to_string().contains("\"purple\""));
    assert_eq!(parsed.config.theme, Theme::Auto);
    assert_eq!(parsed.config.position, Position::Right);
    assert_eq!(parsed.config.storage, StorageKind::Local);
    assert_eq!(parsed.config.locale, None);
}

#[test]
fn unknown_provider_keeps_the_widget_out_of_the_page() {
    let parsed = parse(&[("provider", "intercom")]);
    assert!(parsed.is_fatal());
    assert_eq!(parsed.issues[0].attribute, "data-provider");
    assert!(parsed.issues[0].message.contains("intercom"));
}

#[test]
fn network_providers_need_an_http_api_base() {
    for provider in ["bancroft", "gleap", "gurusup", "bot"] {
        let parsed = parse(&[("provider", provider)]);
        assert!(
            parsed.is_fatal(),
            "{provider} without api-base must be fatal"
        );
        assert_eq!(parsed.issues[0].attribute, "data-api-base");
        let bad = parse(&[("provider", provider), ("api-base", "javascript:alert(1)")]);
        assert!(
            bad.is_fatal(),
            "{provider} with a non-http api-base must be fatal"
        );
    }
    assert!(
        !parse(&[("provider", "eusate")]).is_fatal(),
        "eusate has a public default host"
    );
}

#[test]
fn gleap_with_a_key_needs_a_project() {
    let parsed = parse(&[
        ("provider", "gleap"),
        ("api-base", "https://proxy.example.com"),
        ("api-key", "k"),
    ]);
    assert!(parsed.is_fatal());
    assert_eq!(parsed.issues[0].attribute, "data-project");
    let proxied = parse(&[
        ("provider", "gleap"),
        ("api-base", "https://proxy.example.com"),
    ]);
    assert!(
        !proxied.is_fatal(),
        "through a proxy, neither key nor project is needed"
    );
}

#[test]
fn unknown_attributes_are_ignored_with_a_notice() {
    let parsed = parse(&[("cfasync", "false")]);
    assert!(!parsed.is_fatal());
    assert_eq!(parsed.issues[0].severity, Severity::Ignored);
    assert_eq!(parsed.issues[0].attribute, "data-cfasync");
}

#[test]
fn overlong_title_is_cut_with_a_warning() {
    let long = "x".repeat(500);
    let parsed = parse(&[("title", long.as_str())]);
    assert_eq!(
        parsed.config.title.as_ref().map(|t| t.chars().count()),
        Some(200)
    );
    assert_eq!(parsed.issues[0].attribute, "data-title");
}

#[test]
fn later_settings_override_earlier_ones() {
    // The loader passes data-* attributes first, then window.HelpwireSettings.
    let parsed = parse(&[("theme", "light"), ("theme", "dark")]);
    assert_eq!(parsed.config.theme, Theme::Dark);
}
