//! An incremental parser of server-sent events (the WHATWG HTML standard's "event stream
//! interpretation"): text goes in as it arrives, in chunks cut anywhere, and complete events come
//! out. Pure, like every protocol module: the web layer reads the bytes and decodes them.
//!
//! A hostile stream cannot make it hold much: a line longer than [`Limits::line`] or an event
//! whose data grows past [`Limits::event`] is dropped whole, with one warning, and what it had
//! gathered is freed at once.
//!
//! Hand-written rather than a crate's: eventsource-stream (the common one) parses bytes behind a
//! futures `Stream` with nom, has no size caps, and panics on a leading BOM; see README,
//! Performance, for its measured size. `core/tests/sse_differential.rs` runs the same chunked
//! inputs through it as an oracle.

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SseEvent {
    /// The `event` field; `message` when the event had none.
    pub event: String,
    /// The `data` lines joined with `\n`.
    pub data: String,
    /// The last event id seen so far (it carries over to later events, as the standard says).
    pub id: String,
}

/// What [`SseParser::feed`] gives back, in stream order.
#[derive(Clone, Debug, PartialEq)]
pub enum SseOutput {
    Event(SseEvent),
    /// Something was dropped (for the console).
    Warning(String),
}

/// Size caps, in bytes of UTF-8.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Longest line kept; a longer one drops the event it belongs to.
    pub line: usize,
    /// Most `data` one event may gather.
    pub event: usize,
}

impl Default for Limits {
    /// A message's event holds one message object: far below 1 MiB.
    fn default() -> Self {
        Limits {
            line: 1 << 20,
            event: 1 << 20,
        }
    }
}

/// The parser's state between chunks.
#[derive(Clone, Debug, Default)]
pub struct SseParser {
    limits: Limits,
    /// The line being read (without its end).
    line: String,
    /// The event being gathered: its type, data (each line followed by `\n`) and id.
    event: String,
    data: String,
    id: String,
    /// The server's reconnection time (`retry`), in ms.
    retry: Option<u32>,
    /// Past the first chunk: a BOM is only skipped at the start.
    started: bool,
    /// The last chunk ended with CR: an LF starting the next one ends no other line.
    after_cr: bool,
    /// The current line, then the event, is over a cap and being dropped.
    skipping_line: bool,
    dropping: bool,
}

impl SseParser {
    pub fn new(limits: Limits) -> Self {
        SseParser {
            limits,
            ..SseParser::default()
        }
    }

    /// The reconnection time the server asked for with `retry:` (ms), if it did.
    pub fn retry(&self) -> Option<u32> {
        self.retry
    }

    /// Reads the next chunk of the decoded stream; returns the events it completed.
    pub fn feed(&mut self, chunk: &str) -> Vec<SseOutput> {
        let mut out = Vec::new();
        self.feed_to(chunk, &mut |output| out.push(output));
        out
    }

    /// [`Self::feed`], handing each output to `out` as it completes (no list to gather them in).
    pub fn feed_to(&mut self, chunk: &str, out: &mut dyn FnMut(SseOutput)) {
        let mut rest = chunk;
        if !self.started && !rest.is_empty() {
            self.started = true;
            rest = rest.strip_prefix("\u{feff}").unwrap_or(rest);
        }
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            rest = rest.strip_prefix("\n").unwrap_or(rest);
        }
        // Scanned as bytes (CR and LF are ASCII, so never inside a character): the char-pattern
        // searches cost the bundle code of their own.
        while let Some(end) = rest.bytes().position(|b| b == b'\r' || b == b'\n') {
            self.take(&rest[..end], out);
            self.end_line(out);
            let cr = rest.as_bytes()[end] == b'\r';
            let crlf = cr && rest.as_bytes().get(end + 1) == Some(&b'\n');
            rest = &rest[end + if crlf { 2 } else { 1 }..];
            // A CR that ends the chunk may be the first half of a CRLF.
            self.after_cr = cr && !crlf && rest.is_empty();
        }
        self.take(rest, out);
    }

    /// Adds to the current line, unless it is over the cap.
    fn take(&mut self, part: &str, out: &mut dyn FnMut(SseOutput)) {
        if self.skipping_line {
            return;
        }
        if self.line.len() + part.len() > self.limits.line {
            self.line = String::new();
            self.skipping_line = true;
            self.drop_event("a line", self.limits.line, out);
            return;
        }
        self.line.push_str(part);
    }

    /// Drops the event being gathered (freeing its data) until the blank line that ends it:
    /// `what` went over `limit` bytes.
    fn drop_event(&mut self, what: &str, limit: usize, out: &mut dyn FnMut(SseOutput)) {
        self.data = String::new();
        if !self.dropping {
            self.dropping = true;
            out(SseOutput::Warning(format!(
                "dropped a server-sent event: {what} is over {limit} bytes"
            )));
        }
    }

    fn end_line(&mut self, out: &mut dyn FnMut(SseOutput)) {
        let line = std::mem::take(&mut self.line);
        if std::mem::take(&mut self.skipping_line) {
            return;
        }
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        let (field, value) = match line.bytes().position(|b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(" ").unwrap_or(value))
            }
            None => (line.as_str(), ""),
        };
        match field {
            // An empty field name: a comment (`: keep-alive`).
            "" => {}
            // Reusing the buffers: no allocation (and freeing) per field.
            "event" => {
                self.event.clear();
                self.event.push_str(value);
            }
            "data" if !self.dropping => {
                if self.data.len() + value.len() + 1 > self.limits.event {
                    self.drop_event("its data", self.limits.event, out);
                } else {
                    self.data.push_str(value);
                    self.data.push('\n');
                }
            }
            "id" if !value.bytes().any(|b| b == 0) => {
                self.id.clear();
                self.id.push_str(value);
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Absurdly many digits: the longest wait there is. Read by the parser the
                // executor links for `Retry-After`, not a loop of its own.
                let ms = crate::text::parse_u64(value).and_then(|ms| u32::try_from(ms).ok());
                self.retry = Some(ms.unwrap_or(u32::MAX));
            }
            _ => {}
        }
    }

    /// A blank line: the gathered event goes out, if it has data.
    fn dispatch(&mut self, out: &mut dyn FnMut(SseOutput)) {
        let mut event = std::mem::take(&mut self.event);
        let mut data = std::mem::take(&mut self.data);
        if std::mem::take(&mut self.dropping) || data.is_empty() {
            return;
        }
        // The `\n` after the last line (ASCII: `pop` would link a backward char decoder).
        data.truncate(data.len() - 1);
        if event.is_empty() {
            event.push_str("message");
        }
        out(SseOutput::Event(SseEvent {
            event,
            data,
            id: self.id.clone(),
        }));
    }
}
