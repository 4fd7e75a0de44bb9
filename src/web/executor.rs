//! The one executor: performs the requests of providers' plans over `fetch`, or against the
//! in-browser `LocalHelpdesk` for `local://` URLs. Every request has a timeout and is aborted when
//! it passes.
//!
//! Each bundle links only the half it can use: the `local` build has no `fetch` (its one provider
//! only addresses `local://`), the network builds no local helpdesk.

use crate::web::browser;
use helpwire_core::engine::storage::Store;
#[cfg(feature = "local")]
use helpwire_core::json::Json;
#[cfg(feature = "local")]
use helpwire_core::protocol::local::{LocalHelpdesk, BASE as LOCAL_BASE};
use helpwire_core::protocol::{HttpRequest, HttpResponse, ProviderError};
use std::rc::Rc;

/// Default time a request may take before it is aborted.
pub const DEFAULT_TIMEOUT_MS: u32 = 15_000;

/// Storage key of the local helpdesk's own data (its "server database").
pub const LOCAL_HELPDESK_KEY: &str = "helpwire:v1:local-helpdesk";

/// Performs requests for providers.
#[derive(Clone)]
pub struct Executor {
    pub timeout_ms: u32,
    /// Where the local helpdesk keeps its data; only used for `local://` requests.
    #[cfg(feature = "local")]
    local_store: Rc<dyn Store>,
    /// The local helpdesk's time: the page's clock, unless a test sets its own.
    #[cfg(feature = "local")]
    local_clock: fn() -> f64,
    /// The local helpdesk's test mode (`data-local-replies="script"`).
    #[cfg(feature = "local")]
    scripted: bool,
}

impl Executor {
    /// `local_store` keeps the local helpdesk's data; builds without it drop it.
    pub fn new(local_store: Rc<dyn Store>) -> Self {
        #[cfg(not(feature = "local"))]
        drop(local_store);
        Executor {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            #[cfg(feature = "local")]
            local_store,
            #[cfg(feature = "local")]
            local_clock: browser::now,
            #[cfg(feature = "local")]
            scripted: false,
        }
    }

    /// The same executor with the local helpdesk in test mode (`on`): it answers only what a
    /// test scripts, and without a random round trip.
    #[cfg(feature = "local")]
    pub fn scripted(self, on: bool) -> Self {
        Executor {
            scripted: on,
            ..self
        }
    }

    /// Whether the local helpdesk is in test mode.
    #[cfg(feature = "local")]
    pub fn is_scripted(&self) -> bool {
        self.scripted
    }

    /// The local helpdesk's time (ms since epoch).
    #[cfg(feature = "local")]
    pub fn local_now(&self) -> f64 {
        (self.local_clock)()
    }

    /// The same executor with the local helpdesk reading the time from `clock`, so a test can
    /// move past its reply delay without waiting for it.
    #[cfg(feature = "local")]
    pub fn with_local_clock(self, clock: fn() -> f64) -> Self {
        Executor {
            local_clock: clock,
            ..self
        }
    }

    /// Performs one request.
    pub async fn perform(&self, request: &HttpRequest) -> Result<HttpResponse, ProviderError> {
        // Only the `local` build links the in-browser helpdesk. `#[cfg]`, not `cfg!`: a branch
        // of an async fn stays in its state machine, with all it calls, even when never taken
        // (the other bundles carried the whole local helpdesk).
        #[cfg(feature = "local")]
        if request.url.starts_with(LOCAL_BASE) {
            return self.perform_local(request).await;
        }
        self.perform_http(request).await
    }

    #[cfg(feature = "local")]
    async fn perform_local(&self, request: &HttpRequest) -> Result<HttpResponse, ProviderError> {
        // A short, realistic round trip, so pending states are real and not a flash; none in
        // test mode, where nothing may depend on chance.
        let round_trip = if self.scripted {
            0
        } else {
            60 + (js_sys::Math::random() * 120.0) as u32
        };
        browser::sleep(round_trip).await;
        let now = self.local_now();
        let mut response = HttpResponse::new(500, String::new());
        self.with_local_helpdesk(&mut |helpdesk| response = helpdesk.handle(request, now));
        Ok(response)
    }

    /// Runs `f` on the local helpdesk's stored state and stores what it changed. Not generic:
    /// one copy of the loading and storing serves the requests and the test mode's calls.
    #[cfg(feature = "local")]
    pub fn with_local_helpdesk(&self, f: &mut dyn FnMut(&mut LocalHelpdesk)) {
        let stored = self.local_store.get(LOCAL_HELPDESK_KEY).ok().flatten();
        let mut helpdesk = match stored.as_deref() {
            Some(text) => Json::parse(text)
                .map_err(|e| e.to_string())
                .and_then(|json| LocalHelpdesk::from_json(&json))
                .unwrap_or_else(|e| {
                    browser::warn(&format!(
                        "Helpwire: local helpdesk data was unreadable ({e}); starting afresh"
                    ));
                    LocalHelpdesk::default()
                }),
            None => LocalHelpdesk::default(),
        };
        helpdesk.scripted = self.scripted;
        f(&mut helpdesk);
        // Most requests are polls that change nothing, and a write stores the whole state again
        // (~15 ms of the page's main thread with a long conversation): write only what changed.
        let state = helpdesk.to_json().to_string();
        if stored.as_deref() != Some(state.as_str()) {
            let _ = self.local_store.set(LOCAL_HELPDESK_KEY, &state);
        }
    }

    /// Without a network backend nothing addresses the network; refused rather than linked.
    #[cfg(not(network))]
    async fn perform_http(&self, request: &HttpRequest) -> Result<HttpResponse, ProviderError> {
        Err(ProviderError::Network(format!(
            "{} is not a local:// address, and this build has only the local helpdesk",
            request.url
        )))
    }

    #[cfg(network)]
    async fn perform_http(&self, request: &HttpRequest) -> Result<HttpResponse, ProviderError> {
        use std::cell::Cell;
        let controller = web_sys::AbortController::new()
            .map_err(|e| ProviderError::Network(browser::describe(&e)))?;
        let signal = controller.signal();
        let timed_out = Rc::new(Cell::new(false));
        let timer = abort_after(controller, self.timeout_ms, timed_out.clone());
        let result = self.fetch(request, &signal).await;
        if let Some(timer) = timer {
            timer.clear();
        }
        match result {
            Err(_) if timed_out.get() => Err(ProviderError::Timeout),
            other => other,
        }
    }

    #[cfg(network)]
    async fn fetch(
        &self,
        request: &HttpRequest,
        signal: &web_sys::AbortSignal,
    ) -> Result<HttpResponse, ProviderError> {
        let response = fetch_head(request, signal).await?;
        let retry_after = retry_after(&response);
        let limit = request.max_response_bytes;
        // Refuse before reading when the server says how big it is.
        if header_number(&response, "content-length").is_some_and(|size| size > limit as u64) {
            return Err(too_large(limit));
        }
        let mut body = String::new();
        if let Some(stream) = response.body() {
            let mut gather = |text: &str| {
                body.push_str(text);
                true
            };
            // The relay's build shares the reader with its event stream: one copy, through
            // `dyn`; the others compile it for this closure alone, inlined.
            #[cfg(stream)]
            let gather: &mut dyn FnMut(&str) -> bool = &mut gather;
            #[cfg(not(stream))]
            let gather = &mut gather;
            read_body(&stream, limit, gather)
                .await
                .map_err(|e| match e {
                    ReadError::TooLarge => too_large(limit),
                    ReadError::Failed(e) => network(e),
                })?;
        }
        Ok(HttpResponse {
            status: response.status(),
            retry_after,
            body,
        })
    }
}

/// Aborts `controller` after `ms`, setting `fired` first: a request's timeout, and the event
/// stream's silence watchdog (one timer, compiled once).
#[cfg(network)]
pub(crate) fn abort_after(
    controller: web_sys::AbortController,
    ms: u32,
    fired: Rc<std::cell::Cell<bool>>,
) -> Option<leptos::prelude::TimeoutHandle> {
    leptos::prelude::set_timeout_with_handle(
        move || {
            fired.set(true);
            controller.abort();
        },
        std::time::Duration::from_millis(ms.into()),
    )
    .ok()
}

/// Starts `request` with `fetch` and waits for the answer's head (the body is left to read).
/// Through web-sys directly: gloo-net's request builder linked the `http` crate's types and a
/// streams library this widget never uses.
#[cfg(network)]
pub(crate) async fn fetch_head(
    request: &HttpRequest,
    signal: &web_sys::AbortSignal,
) -> Result<web_sys::Response, ProviderError> {
    use helpwire_core::protocol::Method;
    use wasm_bindgen::JsCast;
    let init = web_sys::RequestInit::new();
    init.set_method(match request.method {
        Method::Get => "GET",
        Method::Post => "POST",
    });
    let headers = web_sys::Headers::new().map_err(network)?;
    for (name, value) in &request.headers {
        headers.append(name, value).map_err(network)?;
    }
    init.set_headers(&headers);
    if let Some(body) = &request.body {
        init.set_body(&wasm_bindgen::JsValue::from_str(&body.to_string()));
    }
    init.set_signal(Some(signal));
    let window = web_sys::window().ok_or_else(|| ProviderError::Network("no window".into()))?;
    Ok(
        wasm_bindgen_futures::JsFuture::from(window.fetch_with_str_and_init(&request.url, &init))
            .await
            .map_err(network)?
            .unchecked_into(),
    )
}

/// The `Retry-After` of an answer, in seconds (the date form is not used by the backends).
#[cfg(network)]
pub(crate) fn retry_after(response: &web_sys::Response) -> Option<u32> {
    header_number(response, "retry-after").and_then(|n| u32::try_from(n).ok())
}

/// A header of an answer, if it has it.
#[cfg(network)]
pub(crate) fn header(response: &web_sys::Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}

/// A header that is a decimal number (`Content-Length`, `Retry-After`'s seconds). Read by
/// `text::parse_u64`, not `str::parse`'s integer parser.
#[cfg(network)]
fn header_number(response: &web_sys::Response, name: &str) -> Option<u64> {
    helpwire_core::text::parse_u64(header(response, name)?.trim())
}

/// A failed `fetch` or read, in the browser's words.
#[cfg(network)]
pub(crate) fn network(e: wasm_bindgen::JsValue) -> ProviderError {
    ProviderError::Network(browser::message_of(&e).unwrap_or_else(|| "the request failed".into()))
}

#[cfg(network)]
pub(crate) enum ReadError {
    TooLarge,
    Failed(wasm_bindgen::JsValue),
}

#[cfg(network)]
fn too_large(limit: usize) -> ProviderError {
    ProviderError::Malformed {
        reason: format!("the response is over the {limit}-byte limit"),
        body: String::new(),
    }
}

/// Reads a body chunk by chunk, handing each decoded piece to `sink` while it returns `true`,
/// and stops (cancelling the stream, which closes the connection) as soon as it passes `limit`:
/// an answer without `Content-Length` is refused unread too. The browser's `TextDecoder` decodes
/// it as `Response.text()` does (a leading BOM dropped, bad bytes as U+FFFD; `stream: true`
/// keeps a character cut between two chunks for the next), so the bytes are never copied into
/// wasm memory as bytes. One reader for an answer and the relay's event stream (`sink` feeds
/// its parser).
#[cfg(network)]
pub(crate) async fn read_body<S: FnMut(&str) -> bool + ?Sized>(
    stream: &web_sys::ReadableStream,
    limit: usize,
    sink: &mut S,
) -> Result<(), ReadError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    {
        let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
        let decoder = web_sys::TextDecoder::new().map_err(ReadError::Failed)?;
        let options = web_sys::TextDecodeOptions::new();
        options.set_stream(true);
        let mut read = 0usize;
        loop {
            let chunk: web_sys::ReadableStreamReadResult = JsFuture::from(reader.read())
                .await
                .map_err(ReadError::Failed)?
                .unchecked_into();
            if chunk.get_done().unwrap_or(true) {
                break;
            }
            let Ok(data) = chunk.get_value().dyn_into::<js_sys::Uint8Array>() else {
                continue;
            };
            read = read.saturating_add(data.length() as usize);
            if read > limit {
                let _ = reader.cancel();
                return Err(ReadError::TooLarge);
            }
            let decoded = decoder
                .decode_with_js_u8_array_and_options(&data, &options)
                .map_err(ReadError::Failed)?;
            if !sink(&decoded) {
                return Ok(());
            }
        }
        sink(&decoder.decode().map_err(ReadError::Failed)?);
        Ok(())
    }
}
