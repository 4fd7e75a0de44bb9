//! Helpwire's stand-in for [wasm-streams] 0.5: the four conversions between web and Rust streams
//! that Leptos' server-function client (`server_fn`, linked by `leptos` with no feature to leave
//! it out) calls — `ReadableStream::from_raw`, `from_stream`, `into_raw` and `into_stream`.
//!
//! The widget never calls a server function, so none of this runs in it. The original crate
//! exports its adapters as `#[wasm_bindgen]` classes, which the linker must keep with all they
//! reach (and their data) whether or not anything uses them; here the adapters are plain
//! closures, so unused code goes with the rest at link time.
//!
//! [wasm-streams]: https://crates.io/crates/wasm-streams

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;

use futures_util::stream::{self, Stream, StreamExt};
use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{QueuingStrategy, ReadableStreamDefaultController, ReadableStreamDefaultReader};

type Chunks = Pin<Box<dyn Stream<Item = Result<JsValue, JsValue>>>>;

/// A web `ReadableStream`, convertible to and from a Rust [`Stream`] of `JsValue`s.
#[derive(Debug)]
pub struct ReadableStream {
    raw: web_sys::ReadableStream,
}

impl ReadableStream {
    /// Wraps a web stream.
    pub fn from_raw(raw: web_sys::ReadableStream) -> Self {
        ReadableStream { raw }
    }

    /// A web stream that pulls its chunks from `stream`; an `Err` item errors it. The high-water
    /// mark is 0, as in wasm-streams: the web stream buffers nothing, each read pulls one item.
    pub fn from_stream<St>(stream: St) -> Self
    where
        St: Stream<Item = Result<JsValue, JsValue>> + 'static,
    {
        let source: Rc<RefCell<Option<Chunks>>> = Rc::new(RefCell::new(Some(Box::pin(stream))));
        let pull = Closure::<dyn FnMut(ReadableStreamDefaultController) -> Promise>::new(
            move |controller: ReadableStreamDefaultController| {
                let source = source.clone();
                future_to_promise(async move {
                    // The stream calls `pull` again only after this promise settles, so the
                    // Rust stream is never polled twice at once; taken out while awaited.
                    let Some(mut chunks) = source.borrow_mut().take() else {
                        return Err(JsValue::from_str("the stream is being read"));
                    };
                    let next = chunks.next().await;
                    *source.borrow_mut() = Some(chunks);
                    match next {
                        Some(Ok(chunk)) => controller.enqueue_with_chunk(&chunk)?,
                        Some(Err(error)) => return Err(error),
                        None => controller.close()?,
                    }
                    Ok(JsValue::UNDEFINED)
                })
            },
        );
        let underlying = Object::new();
        let strategy = QueuingStrategy::new();
        strategy.set_high_water_mark(0.0);
        let raw = Reflect::set(&underlying, &JsValue::from_str("pull"), pull.as_ref())
            .and_then(|_| {
                web_sys::ReadableStream::new_with_underlying_source_and_strategy(
                    &underlying,
                    &strategy,
                )
            })
            .unwrap_throw();
        // The web stream holds `pull` for as long as it lives, which Rust cannot see.
        pull.forget();
        ReadableStream { raw }
    }

    /// The web stream.
    pub fn into_raw(self) -> web_sys::ReadableStream {
        self.raw
    }

    /// The web stream's chunks as a Rust stream, read with a default reader; a failed read is
    /// the stream's last item.
    pub fn into_stream(self) -> impl Stream<Item = Result<JsValue, JsValue>> {
        let reader = self
            .raw
            .get_reader()
            .unchecked_into::<ReadableStreamDefaultReader>();
        stream::unfold(Some(reader), |reader| async move {
            let reader = reader?;
            match JsFuture::from(reader.read()).await {
                Err(error) => Some((Err(error), None)),
                Ok(result) => {
                    let done = Reflect::get(&result, &JsValue::from_str("done"))
                        .ok()
                        .and_then(|d| d.as_bool())
                        .unwrap_or(true);
                    if done {
                        return None;
                    }
                    let value =
                        Reflect::get(&result, &JsValue::from_str("value")).unwrap_or_default();
                    Some((Ok(value), Some(reader)))
                }
            }
        })
    }
}
