//! JSON numbers in the browser. There, the numbers `Json::parse` cannot convert exactly by itself
//! go to JavaScript's `parseFloat`, and fractions are written by `Number#toString` (the float text
//! the widget installs); the host tests
//! run the same code with Rust's `str::parse` and `Display` in their place (and hold `str::parse`
//! to serde_json). This checks the browser's side on the hardest conversions: it must read them
//! as Rust's parser does, and what it writes must read back the same.
//!
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test json_browser`
#![cfg(target_arch = "wasm32")]

#[path = "../core/tests/common/mod.rs"]
mod common;

use common::{halfway, Rng};
use helpwire_core::json::Json;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// `Json::parse` (through `parseFloat` where it needs it) reads `text` as Rust's parser does,
/// and writes (through `Number#toString`) a text that reads back to the same value.
fn check(text: &str) {
    helpwire::web::browser::install_float_text();
    let expected: f64 = text.parse().unwrap_or(f64::NAN);
    let read = Json::parse(text).ok().and_then(|v| v.as_f64());
    assert_eq!(
        read.map(f64::to_bits),
        Some(expected.to_bits()),
        "{text}: read {read:?}, expected {expected:?}"
    );
    let written = Json::from(expected).to_string();
    let back = Json::parse(&written).ok().and_then(|v| v.as_f64());
    assert_eq!(back, Some(expected), "{text}: written as {written}");
}

#[wasm_bindgen_test]
fn hard_numbers_read_and_write_as_on_the_host() {
    let zeros = |n| "0".repeat(n);
    for text in [
        "1e23",
        "9007199254740993",
        "9007199254740993.0",
        "9007199254740993.0000000000000000001",
        "18446744073709551616",
        "123456789012345678901234567890",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "4.9406564584124654e-324",
        "2.4703282292062328e-324",
        "0.1e-350",
        "1700000000.123456789",
    ] {
        check(text);
    }
    for text in [
        format!(
            "1.00000000000000011102230246251565404236316680908203125{}1",
            zeros(800)
        ),
        format!("0.{}12345678901234567890e99999", zeros(99_975)),
        format!("1{}e-99999", zeros(99_999)),
    ] {
        check(&text);
    }
}

#[wasm_bindgen_test]
fn halfway_conversions_read_and_write_as_on_the_host() {
    let mut rng = Rng(0x4A1F_3AF5);
    for _ in 0..2_000 {
        check(&halfway(&mut rng));
    }
}
