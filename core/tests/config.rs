//! Config parsing: valid values, invalid values with clear errors, defaults.

use helpwire_core::config::{
    kebab_case, Config, Position, ProviderKind, Severity, StorageKind, Theme,
};

fn parse(pairs: &[(&str, &str)]) -> helpwire_core::config::Parsed {
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
    assert!(!c.sound, "no sound unless the site asks");
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
        ("sound", "on"),
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
    assert!(c.sound);
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
        ("sound", "loud"),
    ]);
    assert!(
        !parsed.is_fatal(),
        "invalid cosmetic values must not stop the widget"
    );
    let attrs: Vec<&str> = parsed.issues.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        attrs,
        [
            "data-theme",
            "data-position",
            "data-storage",
            "data-locale",
            "data-sound"
        ]
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
    assert!(!parsed.config.sound);
    assert!(parsed.issues[4]
        .to_string()
        .contains("is not on or off; using off"));
}

#[test]
fn unknown_provider_keeps_the_widget_out_of_the_page() {
    let parsed = parse(&[("provider", "intercom")]);
    assert!(parsed.is_fatal());
    assert_eq!(parsed.issues[0].name, "data-provider");
    assert!(parsed.issues[0].message.contains("intercom"));
}

#[test]
fn network_providers_need_an_http_api_base() {
    for provider in ["bancroft", "gleap", "gurusup", "bot", "relay"] {
        let parsed = parse(&[("provider", provider)]);
        assert!(
            parsed.is_fatal(),
            "{provider} without api-base must be fatal"
        );
        assert_eq!(parsed.issues[0].name, "data-api-base");
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
    assert_eq!(parsed.issues[0].name, "data-project");
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
    assert_eq!(parsed.issues[0].name, "data-cfasync");
}

#[test]
fn overlong_title_is_cut_with_a_warning() {
    let long = "x".repeat(500);
    let parsed = parse(&[("title", long.as_str())]);
    assert_eq!(
        parsed.config.title.as_ref().map(|t| t.chars().count()),
        Some(200)
    );
    assert_eq!(parsed.issues[0].name, "data-title");
}

#[test]
fn later_settings_override_earlier_ones() {
    // The loader passes data-* attributes first, then window.HelpwireSettings.
    let parsed = parse(&[("theme", "light"), ("theme", "dark")]);
    assert_eq!(parsed.config.theme, Theme::Dark);
}

// ---- Settings from `window.HelpwireSettings`: names as the site wrote them, and wrong types ----

use helpwire_core::config::{PageSettings, Value};

fn from_settings(entries: &[(&str, Value)]) -> helpwire_core::config::Parsed {
    Config::from_page(
        [],
        PageSettings::Object(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        ),
    )
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

/// Every setting, as `HelpwireSettings` spells it, with a valid value and how its documented
/// default reads in a console message.
const SETTINGS: [(&str, &str, &str); 11] = [
    ("provider", "local", "the widget stays off"),
    ("apiBase", "https://help.example.com", "ignored"),
    ("apiKey", "bnc_cl_1", "ignored"),
    ("project", "p1", "ignored"),
    ("locale", "de", "using the browser's language"),
    ("theme", "dark", "using auto"),
    ("position", "left", "using right"),
    ("storage", "session", "using local"),
    ("title", "Acme help", "using the localized title"),
    ("greeting", "Hi", "using the localized greeting"),
    ("sound", "on", "using off"),
];

fn wrong_types() -> Vec<(Value, &'static str)> {
    vec![
        (Value::Number("42".into()), "the number 42"),
        (Value::Number("-1.5".into()), "the number -1.5"),
        (Value::Bool(true), "the boolean true"),
        (Value::Bool(false), "the boolean false"),
        (Value::Null, "null"),
        (Value::Array, "an array"),
        (Value::Object, "an object"),
        (Value::Other("function".into()), "a function"),
        (Value::Other("symbol".into()), "a symbol"),
        (Value::Other("bigint".into()), "a bigint"),
    ]
}

#[test]
fn every_setting_of_a_wrong_type_gets_one_error_naming_the_key_and_the_default() {
    for (key, _, default) in SETTINGS {
        for (value, described) in wrong_types() {
            let parsed = from_settings(&[(key, value.clone())]);
            assert_eq!(
                parsed.issues.len(),
                1,
                "{key} = {value:?}: {:?}",
                parsed.issues
            );
            let issue = &parsed.issues[0];
            let shown = issue.to_string();
            assert!(
                shown.starts_with(&format!(
                    "Helpwire: HelpwireSettings.{key}: expected a string, got {described}; {default}"
                )),
                "{shown}"
            );
            assert_eq!(shown.matches("Helpwire").count(), 2, "one prefix: {shown}");
            let fatal = key == "provider";
            assert_eq!(parsed.is_fatal(), fatal, "{shown}");
            if !fatal {
                assert_eq!(issue.severity, Severity::Warning);
                let defaults = Config {
                    written: parsed.config.written.clone(),
                    ..Config::default()
                };
                assert_eq!(
                    parsed.config, defaults,
                    "{key} = {value:?} leaves the default"
                );
            }
        }
    }
}

#[test]
fn a_wrong_type_replaces_an_attribute_by_the_default_the_message_names() {
    // The settings key overrides the attribute; refused, it leaves the documented default, which
    // is what the message says is used.
    let parsed = Config::from_page(
        [("theme", "dark"), ("title", "From the tag")],
        PageSettings::Object(vec![
            ("theme".into(), Value::Number("1".into())),
            ("title".into(), Value::Number("42".into())),
        ]),
    );
    assert_eq!(parsed.config.theme, Theme::Auto);
    assert_eq!(parsed.config.title, None);
    let names: Vec<&str> = parsed.issues.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["HelpwireSettings.theme", "HelpwireSettings.title"]);
    // An invalid text value does the same.
    let parsed = Config::from_page(
        [("theme", "dark")],
        PageSettings::Object(vec![("theme".into(), text("neon"))]),
    );
    assert_eq!(parsed.config.theme, Theme::Auto);
    assert_eq!(
        parsed.issues[0].to_string(),
        "Helpwire: HelpwireSettings.theme: \"neon\" is not light, dark or auto; using auto"
    );
}

#[test]
fn every_setting_is_taken_from_helpwire_settings_with_text_values() {
    let entries: Vec<(&str, Value)> = SETTINGS.iter().map(|(k, v, _)| (*k, text(v))).collect();
    let parsed = from_settings(&entries);
    assert_eq!(parsed.issues, vec![], "{:?}", parsed.issues);
    let c = parsed.config;
    assert_eq!(c.api_base.as_deref(), Some("https://help.example.com"));
    assert_eq!(c.api_key.as_deref(), Some("bnc_cl_1"));
    assert_eq!(c.project.as_deref(), Some("p1"));
    assert_eq!(c.locale.as_deref(), Some("de"));
    assert_eq!(c.theme, Theme::Dark);
    assert_eq!(c.position, Position::Left);
    assert_eq!(c.storage, StorageKind::Session);
    assert_eq!(c.title.as_deref(), Some("Acme help"));
    assert_eq!(c.greeting.as_deref(), Some("Hi"));
}

#[test]
fn messages_about_settings_keys_name_the_key_not_the_attribute() {
    let parsed = from_settings(&[
        ("colour", text("red")),
        ("theme", text("purple")),
        ("locale", text("english!")),
        ("title", text(&"x".repeat(300))),
    ]);
    let shown: Vec<String> = parsed.issues.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        shown,
        [
            "Helpwire: HelpwireSettings.colour: unknown setting; ignored",
            "Helpwire: HelpwireSettings.theme: \"purple\" is not light, dark or auto; using auto",
            "Helpwire: HelpwireSettings.locale: \"english!\" is not a language tag (like \"en\" or \"pt-BR\"); using the browser's language",
            "Helpwire: HelpwireSettings.title: longer than 200 characters; cut short",
        ]
    );
    // The same values as attributes name the attributes.
    let parsed = parse(&[("colour", "red"), ("theme", "purple")]);
    let names: Vec<&str> = parsed.issues.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["data-colour", "data-theme"]);
}

#[test]
fn a_required_setting_of_the_wrong_type_is_one_fatal_error() {
    let parsed = from_settings(&[("provider", text("bancroft")), ("apiBase", Value::Object)]);
    assert!(parsed.is_fatal());
    let shown: Vec<String> = parsed.issues.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        shown,
        [
            "Helpwire: HelpwireSettings.apiBase: expected a string, got an object; required for \
          provider \"bancroft\" (the URL of the backend or of the site's proxy)"
        ]
    );
    let parsed = from_settings(&[
        ("provider", text("gleap")),
        ("apiBase", text("https://proxy.example.com")),
        ("apiKey", text("k")),
        ("project", Value::Number("7".into())),
    ]);
    assert!(parsed.is_fatal());
    assert_eq!(parsed.issues.len(), 1, "{:?}", parsed.issues);
    assert_eq!(parsed.issues[0].name, "HelpwireSettings.project");
    assert!(parsed.issues[0].message.contains("HelpwireSettings.apiKey"));
}

#[test]
fn a_missing_setting_is_named_the_way_the_site_configures() {
    let parsed = from_settings(&[("provider", text("bancroft"))]);
    assert_eq!(parsed.issues[0].name, "HelpwireSettings.apiBase");
    let parsed = parse(&[("provider", "bancroft")]);
    assert_eq!(parsed.issues[0].name, "data-api-base");
    let parsed = Config::from_page(
        [("provider", "bot")],
        PageSettings::Object(vec![("apiBase".into(), text("ftp://x"))]),
    );
    assert_eq!(
        parsed.issues[0].to_string(),
        "Helpwire: HelpwireSettings.apiBase: \"ftp://x\" is not an http(s) URL"
    );
}

#[test]
fn helpwire_settings_that_is_not_an_object_is_ignored_with_an_error() {
    let parsed = Config::from_page([("theme", "dark")], PageSettings::Not(text("dark")));
    assert_eq!(parsed.config.theme, Theme::Dark);
    assert_eq!(
        parsed.issues[0].to_string(),
        "Helpwire: window.HelpwireSettings: expected an object, got \"dark\"; ignored"
    );
    assert!(!parsed.is_fatal());
}

#[test]
fn backend_warnings_carry_no_prefix_and_name_what_the_site_wrote() {
    // The caller prints each with one "Helpwire: " prefix.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 5] = [
        (
            &[
                ("provider", "bancroft"),
                ("apiBase", "https://help.example.com"),
                ("apiKey", "bnc_sv_secret"),
            ],
            "bancroft",
            "HelpwireSettings.apiKey is a Bancroft server key",
        ),
        (
            &[
                ("provider", "gleap"),
                ("apiBase", "https://api.gleap.io"),
                ("apiKey", "k"),
                ("project", "p"),
            ],
            "gleap",
            "HelpwireSettings.apiKey is a Gleap v3 API key",
        ),
        (
            &[
                ("provider", "gurusup"),
                ("apiBase", "https://api.gurusup.com"),
            ],
            "gurusup",
            "HelpwireSettings.apiBase points at Gurusup's API",
        ),
        (
            &[
                ("provider", "bot"),
                ("apiBase", "http://bot.example.com/hook"),
                ("apiKey", "Bearer x"),
            ],
            "bot",
            "HelpwireSettings.apiKey is sent to the bot endpoint over plain http",
        ),
        (
            &[("provider", "eusate"), ("apiKey", "k")],
            "eusate",
            "is sent to api.eusate.com",
        ),
    ];
    for (entries, provider, expected) in cases {
        let parsed = from_settings(
            &entries
                .iter()
                .map(|(k, v)| (*k, text(v)))
                .collect::<Vec<_>>(),
        );
        assert!(!parsed.is_fatal(), "{provider}: {:?}", parsed.issues);
        let warnings = helpwire_core::protocol::warnings(&parsed.config);
        assert_eq!(warnings.len(), 1, "{provider}: {warnings:?}");
        assert!(
            warnings[0].contains(expected),
            "{provider}: {}",
            warnings[0]
        );
        assert!(
            !warnings[0].contains("Helpwire:"),
            "{provider}: {}",
            warnings[0]
        );
    }
    // Given as attributes, the same warning names the attribute.
    let parsed = parse(&[
        ("provider", "bancroft"),
        ("api-base", "https://help.example.com"),
        ("api-key", "bnc_sv_secret"),
    ]);
    let warnings = helpwire_core::protocol::warnings(&parsed.config);
    assert!(
        warnings[0].starts_with("data-api-key is a Bancroft server key"),
        "{warnings:?}"
    );
}

#[test]
fn every_provider_name_chooses_its_backend() {
    for (name, kind) in ProviderKind::ALL {
        let parsed = parse(&[("provider", name), ("api-base", "https://x.example.com")]);
        assert_eq!(parsed.config.provider, kind, "{name}");
        assert_eq!(kind.name(), name);
    }
}

#[test]
fn the_local_helpdesks_test_mode_is_off_unless_asked() {
    assert!(!parse(&[]).config.scripted_replies);
    let on = parse(&[("localReplies", "script")]);
    assert!(on.issues.is_empty(), "{:?}", on.issues);
    assert!(on.config.scripted_replies);
    assert!(!parse(&[("local-replies", "auto")]).config.scripted_replies);
    let wrong = parse(&[("localReplies", "scripted")]);
    assert!(!wrong.config.scripted_replies);
    assert_eq!(
        wrong.issues[0].to_string(),
        "Helpwire: data-local-replies: \"scripted\" is not auto or script; using auto"
    );
}
