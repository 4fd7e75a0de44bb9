//! Locale resolution, plural rules and text direction.

use helpwire::i18n::{for_locale, resolve, Direction, Plural, AR, DE, EN, FR, JA};

#[test]
fn locale_falls_back_from_region_to_language_to_english() {
    assert_eq!(for_locale("de-AT").lang, "de");
    assert_eq!(for_locale("pt_BR").lang, "pt");
    assert_eq!(for_locale("xx").lang, "en");
    assert_eq!(resolve(["xx-YY", "fr-CA", "de"]).lang, "fr");
    assert_eq!(resolve(Vec::<&str>::new()).lang, "en");
}

#[test]
fn arabic_is_right_to_left_and_the_others_are_not() {
    assert_eq!(AR.dir, Direction::Rtl);
    assert_eq!(EN.dir, Direction::Ltr);
    assert_eq!(JA.dir, Direction::Ltr);
}

#[test]
fn plural_rules_follow_cldr() {
    assert_eq!(EN.unread_label(1), "1 unread message");
    assert_eq!(EN.unread_label(2), "2 unread messages");
    assert_eq!(EN.unread_label(0), "0 unread messages");
    assert_eq!(FR.plural(0), Plural::One, "French treats 0 as singular");
    assert_eq!(DE.unread_label(1), "1 ungelesene Nachricht");
    assert_eq!(AR.plural(0), Plural::Zero);
    assert_eq!(AR.plural(2), Plural::Two);
    assert_eq!(AR.plural(5), Plural::Few);
    assert_eq!(AR.plural(11), Plural::Many);
    assert_eq!(AR.plural(100), Plural::Other);
    assert_eq!(AR.unread_label(5), "5 رسائل غير مقروءة");
    assert_eq!(JA.plural(1), Plural::Other);
}
