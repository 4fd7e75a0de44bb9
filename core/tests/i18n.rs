//! Locale resolution, plural rules and text direction.

use helpwire_core::i18n::{resolve, shipped, Direction, Plural, Strings, EN, LANGUAGES};

fn table(lang: &str) -> &'static Strings {
    shipped(lang).unwrap()
}

#[test]
fn locale_falls_back_from_region_to_language_to_english() {
    assert_eq!(resolve(["de-AT"]), "de");
    assert_eq!(resolve(["pt_BR"]), "pt");
    assert_eq!(resolve(["xx"]), "en");
    assert_eq!(resolve(["xx-YY", "fr-CA", "de"]), "fr");
    assert_eq!(resolve(Vec::<&str>::new()), "en");
}

#[test]
fn arabic_is_right_to_left_and_the_others_are_not() {
    assert_eq!(table("ar").dir, Direction::Rtl);
    assert_eq!(EN.dir, Direction::Ltr);
    assert_eq!(table("ja").dir, Direction::Ltr);
}

#[test]
fn plural_rules_follow_cldr() {
    assert_eq!(EN.unread_label(1), "1 unread message");
    assert_eq!(EN.unread_label(2), "2 unread messages");
    assert_eq!(EN.unread_label(0), "0 unread messages");
    assert_eq!(
        table("fr").plural(0),
        Plural::One,
        "French treats 0 as singular"
    );
    assert_eq!(table("de").unread_label(1), "1 ungelesene Nachricht");
    assert_eq!(table("ar").plural(0), Plural::Zero);
    assert_eq!(table("ar").plural(2), Plural::Two);
    assert_eq!(table("ar").plural(5), Plural::Few);
    assert_eq!(table("ar").plural(11), Plural::Many);
    assert_eq!(table("ar").plural(100), Plural::Other);
    assert_eq!(table("ar").unread_label(5), "5 رسائل غير مقروءة");
    assert_eq!(table("ja").plural(1), Plural::Other);
}

#[test]
fn every_language_is_its_own_table_and_resolves_by_its_tag() {
    assert_eq!(LANGUAGES, ["en", "de", "fr", "es", "pt", "ja", "ar"]);
    for s in LANGUAGES.map(table) {
        assert_eq!(resolve([s.lang]), s.lang);
        assert_eq!(
            resolve([s.lang.to_uppercase().as_str()]),
            s.lang,
            "tags are case-insensitive"
        );
        assert!(
            s.unread_label(3).contains('3') || s.lang == "ar",
            "{}",
            s.lang
        );
    }
    assert_eq!(resolve(["es-419"]), table("es").lang);
    assert_eq!(resolve(["pt-PT"]), table("pt").lang);
}

#[test]
fn fallback_takes_the_first_shipped_language_in_order() {
    // data-locale first, then setLocale, then the browser languages: the first shipped one wins.
    assert_eq!(resolve(["de", "ja"]), "de");
    assert_eq!(resolve(["ko", "zh-Hant", "ja-JP"]), "ja");
    assert_eq!(resolve(["", "ar-EG"]), "ar");
    assert_eq!(resolve(["ko", "zh"]), "en", "English when nothing matches");
}

#[test]
fn dates_use_the_visitors_regional_tag() {
    use helpwire_core::i18n::regional_tag;
    assert_eq!(regional_tag("en", ["en-GB", "de"]), "en-GB");
    assert_eq!(regional_tag("pt", ["de-DE", "pt_BR"]), "pt-BR");
    assert_eq!(
        regional_tag("de", ["fr-FR"]),
        "de",
        "the language alone when no tag matches"
    );
}

#[test]
fn plural_forms_for_every_category() {
    for (n, want) in [
        (0, "0 message non lu"),
        (1, "1 message non lu"),
        (2, "2 messages non lus"),
    ] {
        assert_eq!(table("fr").unread_label(n), want);
    }
    assert_eq!(table("es").unread_label(1), "1 mensaje sin leer");
    assert_eq!(table("es").unread_label(0), "0 mensajes sin leer");
    assert_eq!(
        table("pt").unread_label(0),
        "0 mensagem não lida",
        "Portuguese treats 0 as singular"
    );
    assert_eq!(table("de").unread_label(0), "0 ungelesene Nachrichten");
    assert_eq!(table("ja").unread_label(1), "未読メッセージ 1 件");
    assert_eq!(table("ja").unread_label(7), "未読メッセージ 7 件");
    let arabic = [
        (0, Plural::Zero, "لا رسائل غير مقروءة"),
        (1, Plural::One, "رسالة واحدة غير مقروءة"),
        (2, Plural::Two, "رسالتان غير مقروءتين"),
        (3, Plural::Few, "3 رسائل غير مقروءة"),
        (10, Plural::Few, "10 رسائل غير مقروءة"),
        (11, Plural::Many, "11 رسالة غير مقروءة"),
        (99, Plural::Many, "99 رسالة غير مقروءة"),
        (100, Plural::Other, "100 رسالة غير مقروءة"),
        (102, Plural::Other, "102 رسالة غير مقروءة"),
        (103, Plural::Few, "103 رسائل غير مقروءة"),
        (111, Plural::Many, "111 رسالة غير مقروءة"),
    ];
    for (n, category, text) in arabic {
        assert_eq!(table("ar").plural(n), category, "Arabic {n}");
        assert_eq!(table("ar").unread_label(n), text, "Arabic {n}");
    }
}

#[test]
fn no_text_is_empty_in_any_language_and_placeholders_are_kept() {
    use helpwire_core::i18n::fill;
    for s in LANGUAGES.map(table) {
        let texts = s.texts();
        assert!(texts.len() >= 24, "{}: every field and plural form", s.lang);
        for (name, text) in &texts {
            assert!(!text.trim().is_empty(), "{}: {name} is empty", s.lang);
        }
        let text = |wanted: &str| {
            texts
                .iter()
                .find(|(name, _)| *name == wanted)
                .map(|(_, t)| *t)
                .unwrap_or_else(|| panic!("{}: no {wanted}", s.lang))
        };
        for name in ["count", "near_limit", "too_long"] {
            assert!(
                text(name).contains("{max}"),
                "{}: {name} names the limit",
                s.lang
            );
        }
        assert!(text("count").contains("{n}"), "{}", s.lang);
        // The visitor's own language, not English, for what the engine reports.
        if s.lang != "en" {
            #[cfg(feature = "conversations")]
            for name in ["conversations", "new_conversation", "back", "still_sending"] {
                let english = EN.texts().into_iter().find(|(n, _)| *n == name).unwrap().1;
                assert_ne!(text(name), english, "{}: {name} is translated", s.lang);
            }
            for name in ["unavailable", "reconnecting", "near_limit", "too_long"] {
                let english = EN.texts().into_iter().find(|(n, _)| *n == name).unwrap().1;
                assert_ne!(text(name), english, "{}: {name} is translated", s.lang);
            }
        }
    }
    assert_eq!(
        fill(EN.too_long, "", "5,000"),
        "This message is too long: the limit is 5,000 characters. Shorten it to send it."
    );
    assert_eq!(fill(EN.count, "4,950", "5,000"), "4,950 / 5,000");
}

#[test]
fn every_language_file_has_exactly_the_texts_of_english_and_reads_back() {
    // Every key English has (all features: host tests build them all), no other, in each file.
    let mut english: Vec<&str> = EN.texts().into_iter().map(|(name, _)| name).collect();
    english.retain(|name| *name != "unread");
    english.extend([
        "unread_zero",
        "unread_one",
        "unread_two",
        "unread_few",
        "unread_many",
        "unread_other",
    ]);
    for lang in &LANGUAGES[1..] {
        let path = format!("{}/i18n/{lang}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let json = helpwire_core::json::Json::parse(&text).unwrap();
        let helpwire_core::json::Json::Object(fields) = &json else {
            panic!("{path}: not an object")
        };
        // In the order of the table: the widget reads the texts by their place, not their key.
        let mut keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        keys.retain(|k| !["lang", "dir", "plural"].contains(k));
        assert_eq!(keys, english, "{path}");
        let table = Strings::from_json(&text).unwrap();
        assert_eq!(table.lang, *lang, "{path}");
    }
}

#[test]
fn a_broken_language_file_is_refused_with_the_reason() {
    let good =
        std::fs::read_to_string(format!("{}/i18n/de.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert!(Strings::from_json(&good).is_ok());
    for (broken, why) in [
        (
            good.replacen("\"send\": \"Senden\",", "", 1),
            "not every text",
        ),
        (good.replacen("\"one_other\"", "\"two_ways\"", 1), "plural"),
        (good.replacen("\"Senden\"", "42", 1), "not a text: send"),
        (good[..good.len() / 2].to_string(), ""),
        ("[]".to_string(), ""),
    ] {
        let e = Strings::from_json(&broken).unwrap_err();
        assert!(e.contains(why), "{e}");
    }
}
