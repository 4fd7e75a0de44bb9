//! `vendor/wasm-streams`, Helpwire's stand-in for the crate Leptos' server-function client links
//! (README, Deviations), in the browser: what that client relies on, a Rust stream read back
//! through a web `ReadableStream`, items and errors in order.
//!
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test streams`
#![cfg(target_arch = "wasm32")]

use futures_util::stream::{self, StreamExt};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use wasm_streams::ReadableStream;

wasm_bindgen_test_configure!(run_in_browser);

/// Through a web stream and back.
async fn round_trip(items: Vec<Result<JsValue, JsValue>>) -> Vec<Result<JsValue, JsValue>> {
    let raw = ReadableStream::from_stream(stream::iter(items)).into_raw();
    ReadableStream::from_raw(raw).into_stream().collect().await
}

#[wasm_bindgen_test]
async fn items_arrive_in_order_and_the_stream_ends() {
    let items = vec![Ok("a".into()), Ok(JsValue::from(2)), Ok("".into())];
    let read = round_trip(items.clone()).await;
    assert_eq!(read, items);
    assert!(round_trip(Vec::new()).await.is_empty());
}

#[wasm_bindgen_test]
async fn an_error_item_errors_the_web_stream_and_ends_it() {
    let items = vec![Ok("a".into()), Err("boom".into()), Ok("never read".into())];
    let read = round_trip(items).await;
    assert_eq!(read, vec![Ok("a".into()), Err("boom".into())]);
}

#[wasm_bindgen_test]
async fn a_web_stream_made_in_javascript_is_read() {
    let raw: web_sys::ReadableStream = js_sys::eval(
        "new ReadableStream({ start(c) { c.enqueue('x'); c.enqueue(7); c.close(); } })",
    )
    .expect("the stream is made")
    .into();
    let read: Vec<_> = ReadableStream::from_raw(raw).into_stream().collect().await;
    assert_eq!(read, vec![Ok("x".into()), Ok(JsValue::from(7))]);
}
