//! A panic inside the widget: the host shows the error state and the site's `error` listener is
//! called. Its own test binary, because a panic on wasm aborts the instance it happens in.
#![cfg(target_arch = "wasm32")]

use helpwire::web::browser::sleep;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_panic_shows_the_error_state_and_fires_the_error_event() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = doc
        .create_element("helpwire-chat")
        .unwrap()
        .unchecked_into();
    host.set_attribute("data-state", "ready").unwrap();
    doc.body().unwrap().append_child(&host).unwrap();
    // Stands in for the loader's emit(name, detail).
    let emit = js_sys::Function::new_with_args(
        "name, detail",
        "window.__helpwireEvents = [name, String(detail)];",
    );
    helpwire::install_crash_reporter(&host, &emit);
    // The panic happens in a timer callback, as it would in an event handler of the widget.
    let callback = wasm_bindgen::closure::Closure::once_into_js(|| {
        let words: Vec<&str> = Vec::new();
        let _ = words[usize::from(words.is_empty())];
    });
    web_sys::window()
        .unwrap()
        .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), 0)
        .unwrap();
    sleep(200).await;
    assert_eq!(host.get_attribute("data-state").as_deref(), Some("error"));
    let events =
        js_sys::Reflect::get(&web_sys::window().unwrap(), &"__helpwireEvents".into()).unwrap();
    let events: js_sys::Array = events.dyn_into().expect("the error event fired");
    assert_eq!(events.get(0).as_string().as_deref(), Some("error"));
    assert!(events
        .get(1)
        .as_string()
        .unwrap_or_default()
        .contains("Helpwire crashed"));
}
