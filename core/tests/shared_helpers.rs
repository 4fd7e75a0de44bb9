//! The layer-1 helpers several layers share, each kept once: backoff (the engine's retries and
//! the push socket's reconnects), FNV-1a, quoting text for the console, language tags, and the
//! text of a rich document.

use helpwire_core::backoff::Backoff;
use helpwire_core::engine::schedule::{backoff_ms, jitter, BASE_BACKOFF_MS, MAX_BACKOFF_MS};
use helpwire_core::hash::{fnv1a, fnv1a_parts, Fnv1a};
use helpwire_core::i18n::{regional_tag, resolve};
use helpwire_core::json::Json;
use helpwire_core::lang::{is_language_tag, primary_language, primary_subtag};
use helpwire_core::model::Body;
use helpwire_core::protocol::{wire, HttpResponse, ProviderError};
use helpwire_core::richtext::text_of;
use helpwire_core::text::{ellipsize, quote, QUOTE_CHARS};

fn j(text: &str) -> Json {
    Json::parse(text).unwrap()
}

// ------------------------------------------------------------------ Backoff

#[test]
fn backoff_grows_exponentially_and_is_capped() {
    let b = Backoff {
        min_ms: 1_000.0,
        max_ms: 30_000.0,
        factor: 2.0,
        jitter: 0.0,
    };
    let schedule: Vec<f64> = (1..=7).map(|a| b.delay_ms(a, 0.7)).collect();
    assert_eq!(
        schedule,
        vec![1_000.0, 2_000.0, 4_000.0, 8_000.0, 16_000.0, 30_000.0, 30_000.0]
    );
    assert_eq!(b.delay_ms(10_000, 0.7), 30_000.0);
}

#[test]
fn backoff_jitter_stays_within_the_equal_jitter_band() {
    let b = Backoff::default();
    for attempt in 1..=12 {
        let step = (1_000.0 * 2f64.powi(attempt as i32 - 1)).min(30_000.0);
        let low = b.delay_ms(attempt, 0.0);
        let high = b.delay_ms(attempt, 0.999_999);
        assert_eq!(low, step * 0.5);
        assert!(high <= step && high > step * 0.99, "{attempt}: {high}");
    }
    assert_eq!(b.delay_ms(1, f64::NAN), 500.0);
}

#[test]
fn the_engines_retry_schedule_is_the_shared_backoff_with_its_own_bounds() {
    let engine = Backoff {
        min_ms: BASE_BACKOFF_MS,
        max_ms: MAX_BACKOFF_MS,
        factor: 2.0,
        jitter: 0.5,
    };
    for attempt in [0, 1, 2, 5, 6, 7, 17, 100, u32::MAX] {
        for j in [0.0, 0.25, 0.5, 0.999] {
            // The formula the engine had before it used the shared one, kept as the oracle.
            let exp = BASE_BACKOFF_MS * 2f64.powi(attempt.saturating_sub(1).min(16) as i32);
            let capped = exp.min(MAX_BACKOFF_MS);
            let before = capped / 2.0 + capped / 2.0 * j;
            assert_eq!(backoff_ms(attempt, None, j), before, "{attempt} {j}");
            assert_eq!(backoff_ms(attempt, None, j), engine.delay_ms(attempt, j));
        }
    }
}

// ------------------------------------------------------------------ FNV-1a

#[test]
fn fnv1a_matches_the_reference_vectors() {
    assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
}

#[test]
fn fnv1a_parts_separate_their_parts_and_stay_stable() {
    assert_ne!(fnv1a_parts(&["ab", "c"]), fnv1a_parts(&["a", "bc"]));
    // Each part is followed by a zero byte: ids derived and stored before stay the same.
    assert_eq!(fnv1a_parts(&["ab", "c"]), fnv1a("ab\0c\0"));
    assert_eq!(
        Fnv1a::default().write(b"ab").write(b"c").finish(),
        fnv1a("abc")
    );
}

#[test]
fn jitter_is_reproducible_spread_and_in_range() {
    assert_eq!(jitter("visitor-1", 3), jitter("visitor-1", 3));
    assert_ne!(jitter("visitor-1", 3), jitter("visitor-2", 3));
    assert_ne!(jitter("visitor-1", 3), jitter("visitor-1", 4));
    // The seed varies the offset basis: plain FNV-1a when the attempt is 0.
    let mut h = fnv1a("v");
    h ^= h >> 33;
    assert_eq!(jitter("v", 0), (h % 10_000) as f64 / 10_000.0);
    for attempt in 0..50 {
        assert!((0.0..1.0).contains(&jitter("seed", attempt)));
    }
}

// ------------------------------------------------------------------ Quoting

#[test]
fn quotes_are_cut_at_one_length_by_characters() {
    assert_eq!(ellipsize("short", 10), "short");
    assert_eq!(ellipsize("abcdef", 3), "abc…");
    assert_eq!(ellipsize("ééé", 2), "éé…");
    let long = "x".repeat(QUOTE_CHARS + 50);
    assert_eq!(quote(&long).chars().count(), QUOTE_CHARS + 1);
    assert_eq!(quote(&"x".repeat(QUOTE_CHARS)), "x".repeat(QUOTE_CHARS));
}

#[test]
fn every_quoted_body_and_value_is_cut_the_same() {
    let long = "é".repeat(1_000);
    let want = quote(&long);
    // An error status without a detail, and an unreadable 2xx body.
    let status = HttpResponse::new(500, long.clone()).check().unwrap_err();
    assert!(matches!(status, ProviderError::Status { ref detail, .. } if *detail == want));
    let malformed = HttpResponse::new(200, long.clone()).json().unwrap_err();
    assert!(matches!(malformed, ProviderError::Malformed { ref body, .. } if *body == want));
    let read = wire::malformed(&HttpResponse::new(200, long.clone()), "x");
    assert!(matches!(read, ProviderError::Malformed { ref body, .. } if *body == want));
    // A JSON value in a warning.
    let value = Json::from(long.as_str());
    assert_eq!(wire::snippet(&value), quote(&value.to_string()));
}

// ------------------------------------------------------------------ Language tags

#[test]
fn language_tags_are_read_one_way() {
    for tag in ["pt-BR", "pt_BR", " pt-br ", "PT"] {
        assert!(primary_subtag(tag).eq_ignore_ascii_case("pt"), "{tag}");
        assert_eq!(primary_language(tag).as_deref(), Some("pt"), "{tag}");
        assert_eq!(resolve([tag]), "pt", "{tag}");
    }
    assert_eq!(regional_tag("pt", [" pt_BR "]), "pt-BR");
    assert!(is_language_tag("zh-Hant-TW"));
    for bad in ["", "e", "english", "de-", "1a", "de DE", "dé", "de-ÄT"] {
        assert!(!is_language_tag(bad), "{bad}");
        assert_eq!(primary_language(bad), None, "{bad}");
    }
    // The settings check the same rule.
    assert!(helpwire_core::config::is_language_tag("de-AT"));
}

// ------------------------------------------------------------------ Text of a rich document

#[test]
fn rich_text_puts_blocks_and_breaks_on_their_own_lines() {
    let doc = j(r#"{"type":"doc","content":[
        {"type":"heading","attrs":{"level":2},"content":[{"type":"text","text":"Title"}]},
        {"type":"paragraph","content":[{"type":"text","text":"Hello "},{"type":"text","text":"world","marks":[{"type":"bold"}]}]},
        {"type":"paragraph","content":[{"type":"text","text":"one"},{"type":"hardBreak"},{"type":"text","text":"two"}]},
        {"type":"bulletList","content":[
            {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"a"}]}]},
            {"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"b"}]}]}
        ]},
        {"type":"codeBlock","content":[{"type":"text","text":"let x = 1;"}]}
    ]}"#);
    let want = "Title\nHello world\none\ntwo\na\nb\nlet x = 1;";
    assert_eq!(text_of(&doc), want);
    // The model's plain text is the same text, trimmed: one rule for events, echo matching and
    // the bundles without the rich renderer.
    assert_eq!(Body::Rich(doc).plain_text(), want);
}

#[test]
fn rich_text_strips_controls_and_survives_hostile_nesting() {
    let doc = j(r#"{"type":"paragraph","content":[{"type":"text","text":"a\u0007b\u202Ec"}]}"#);
    assert_eq!(Body::Rich(doc).plain_text(), "abc");
    // Deeper than any recursion could go: the text is read iteratively.
    let mut deep = r#"{"type":"text","text":"x"}"#.to_string();
    for _ in 0..10_000 {
        deep = format!(r#"{{"type":"blockquote","content":[{deep}]}}"#);
    }
    if let Ok(doc) = Json::parse(&deep) {
        assert_eq!(Body::Rich(doc).plain_text(), "x");
    }
}
