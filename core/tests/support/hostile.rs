//! What a hostile or broken backend may send where a message's time, or a whole message, is
//! expected: every provider's tests feed these to its parser, each followed by a normal message
//! that must come through.

/// Time fields (as JSON text) the widget cannot use: out of range for the browser's `Date`,
/// negative, not a date, or not even a string or number.
pub const BAD_TIMES: [&str; 9] = [
    "1e20",
    "-1",
    r#""9999999-99-99T99:99:99Z""#,
    "{}",
    "[]",
    r#""""#,
    "true",
    "1e308",
    r#""+275760-09-14T00:00:00.000Z""#,
];

/// Whole list items (as JSON text) that are no message at all.
pub const BAD_ITEMS: [&str; 5] = [r#""a string""#, "42", "null", "[]", "true"];
