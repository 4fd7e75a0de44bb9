//! The server-sent-events parser (protocol/sse.rs) against the WHATWG rules: every input is fed
//! whole and then cut at every place (into two and three chunks, and one character at a time),
//! and must give the same events each way.

use helpwire_core::protocol::sse::{Limits, SseEvent, SseOutput, SseParser};

fn ev(event: &str, data: &str, id: &str) -> SseOutput {
    SseOutput::Event(SseEvent {
        event: event.into(),
        data: data.into(),
        id: id.into(),
    })
}

fn feed_all(limits: Limits, chunks: &[&str]) -> (Vec<SseOutput>, Option<u32>) {
    let mut parser = SseParser::new(limits);
    let out = chunks.iter().flat_map(|c| parser.feed(c)).collect();
    (out, parser.retry())
}

/// The outputs for `input` fed whole, after checking that every way of cutting it (at every
/// character boundary into two and three chunks, and one character at a time) gives the same.
fn parse_with(limits: Limits, input: &str) -> (Vec<SseOutput>, Option<u32>) {
    let whole = feed_all(limits, &[input]);
    let cuts: Vec<usize> = (0..=input.len())
        .filter(|&i| input.is_char_boundary(i))
        .collect();
    for &a in &cuts {
        assert_eq!(
            feed_all(limits, &[&input[..a], &input[a..]]),
            whole,
            "cut at {a} of {input:?}"
        );
        // Three chunks, on short inputs (quadratic).
        if input.len() <= 80 {
            for &b in cuts.iter().filter(|&&b| b >= a) {
                let chunks = [&input[..a], &input[a..b], &input[b..]];
                assert_eq!(feed_all(limits, &chunks), whole, "cuts {a}, {b}");
            }
        }
    }
    let singles: Vec<String> = input.chars().map(String::from).collect();
    let singles: Vec<&str> = singles.iter().map(String::as_str).collect();
    assert_eq!(feed_all(limits, &singles), whole, "one char at a time");
    whole
}

fn parse(input: &str) -> Vec<SseOutput> {
    parse_with(Limits::default(), input).0
}

#[test]
fn the_relay_stream_as_the_contract_gives_it() {
    let input = "retry: 3000\n\n: keep-alive\n\nevent: message\nid: e1\n\
                 data: {\"conversation_id\":\"c_1\"}\n\n\
                 event: closed\ndata: {\"conversation_id\":\"c_1\"}\n\n";
    let (out, retry) = parse_with(Limits::default(), input);
    assert_eq!(retry, Some(3000));
    assert_eq!(
        out,
        vec![
            ev("message", r#"{"conversation_id":"c_1"}"#, "e1"),
            // The last id carries over, as the standard says.
            ev("closed", r#"{"conversation_id":"c_1"}"#, "e1"),
        ]
    );
}

#[test]
fn lines_end_with_lf_cr_or_crlf_even_split_across_chunks() {
    for end in ["\n", "\r", "\r\n"] {
        let input = format!("data: a{end}data: b{end}{end}event: x{end}data: c{end}{end}");
        assert_eq!(
            parse(&input),
            vec![ev("message", "a\nb", ""), ev("x", "c", "")],
            "line end {end:?}"
        );
    }
    // A CR closing one chunk and an LF opening the next are one line end, not two (which would
    // dispatch at once); a CR followed by an empty chunk keeps waiting for its LF.
    let (out, _) = feed_all(
        Limits::default(),
        &["data: a\r", "", "\ndata: b\r", "\n\r", "\n"],
    );
    assert_eq!(out, vec![ev("message", "a\nb", "")]);
    // CR, then CR: two line ends, an empty line between.
    let (out, _) = feed_all(Limits::default(), &["data: a\r", "\rdata: b\n\n"]);
    assert_eq!(out, vec![ev("message", "a", ""), ev("message", "b", "")]);
}

#[test]
fn a_leading_bom_is_skipped_once() {
    assert_eq!(parse("\u{feff}data: a\n\n"), vec![ev("message", "a", "")]);
    let (out, _) = feed_all(Limits::default(), &["", "\u{feff}", "data: a\n\n"]);
    assert_eq!(out, vec![ev("message", "a", "")]);
    // Only at the start: later it is part of a field name, which is then unknown.
    let (out, _) = feed_all(Limits::default(), &["data: a\n\n", "\u{feff}data: b\n\n"]);
    assert_eq!(out, vec![ev("message", "a", "")]);
}

#[test]
fn fields_follow_the_standard() {
    // One space after the colon is dropped, not more; no colon: the whole line is the name.
    assert_eq!(parse("data:  two\n\n"), vec![ev("message", " two", "")]);
    assert_eq!(parse("data:x\n\n"), vec![ev("message", "x", "")]);
    assert_eq!(parse("data\n\n"), vec![ev("message", "", "")]);
    assert_eq!(parse("data\ndata\n\n"), vec![ev("message", "\n", "")]);
    assert_eq!(parse("data: a:b\n\n"), vec![ev("message", "a:b", "")]);
    // No data: nothing dispatched, and the event type does not carry over.
    assert_eq!(
        parse("event: closed\n\ndata: a\n\n"),
        vec![ev("message", "a", "")]
    );
    assert_eq!(parse("id: 7\n\n"), vec![]);
    // Unknown fields and comments are ignored; field names are case-sensitive.
    assert_eq!(
        parse(": hi\nfoo: bar\nDATA: no\nEvent: no\ndata: yes\n\n"),
        vec![ev("message", "yes", "")]
    );
    // An id with NUL is ignored; an empty id resets it.
    assert_eq!(
        parse("id: 1\ndata: a\n\nid: 2\0\ndata: b\n\nid\ndata: c\n\n"),
        vec![
            ev("message", "a", "1"),
            ev("message", "b", "1"),
            ev("message", "c", "")
        ]
    );
    // An event the stream ends in the middle of is never dispatched.
    assert_eq!(parse("data: a\n\ndata: cut"), vec![ev("message", "a", "")]);
    assert_eq!(
        parse("data: a\n\ndata: cut\n"),
        vec![ev("message", "a", "")]
    );
}

#[test]
fn retry_takes_only_ascii_digits() {
    let retry = |input: &str| parse_with(Limits::default(), input).1;
    assert_eq!(retry("retry: 1500\n"), Some(1500));
    assert_eq!(
        retry("retry: 1500\nretry: 15x\nretry: -1\nretry:\n"),
        Some(1500)
    );
    assert_eq!(retry("retry: 1.5\n"), None);
    assert_eq!(retry("retry: ٣\n"), None);
    assert_eq!(retry("retry: 99999999999999999999\n"), Some(u32::MAX));
    assert_eq!(retry("retry: 4294967295\n"), Some(u32::MAX));
    assert_eq!(retry("retry: 4294967296\n"), Some(u32::MAX));
    assert_eq!(retry("retry: 007\n"), Some(7));
    assert_eq!(
        retry("retry: +5\n"),
        None,
        "only digits, not the sign a number may have"
    );
    assert_eq!(retry("retry: 3000"), None, "an unfinished line is not read");
}

#[test]
fn multibyte_text_is_kept_whole() {
    assert_eq!(
        parse("data: 日本語 — ✓ 🎉\n\n"),
        vec![ev("message", "日本語 — ✓ 🎉", "")]
    );
}

fn warnings(out: &[SseOutput]) -> usize {
    out.iter()
        .filter(|o| matches!(o, SseOutput::Warning(_)))
        .count()
}

#[test]
fn an_overlong_line_drops_its_event_with_one_warning_and_the_stream_goes_on() {
    let limits = Limits {
        line: 16,
        event: 64,
    };
    let long = "x".repeat(40);
    let input = format!("data: a\ndata: {long}\ndata: b\n\ndata: next\n\n");
    let (out, _) = parse_with(limits, &input);
    assert_eq!(warnings(&out), 1, "{out:?}");
    assert_eq!(out.last(), Some(&ev("message", "next", "")));
    assert_eq!(out.len(), 2);
    // A line exactly at the cap is kept.
    let (out, _) = parse_with(limits, "data: 0123456789\n\n");
    assert_eq!(out, vec![ev("message", "0123456789", "")]);
}

#[test]
fn an_event_over_its_size_cap_is_dropped_with_one_warning() {
    let limits = Limits {
        line: 16,
        event: 24,
    };
    let input = "data: aaaaaaaa\ndata: bbbbbbbb\ndata: cccccccc\ndata: dddd\n\ndata: ok\n\n";
    let (out, _) = parse_with(limits, input);
    assert_eq!(warnings(&out), 1, "{out:?}");
    assert_eq!(out.last(), Some(&ev("message", "ok", "")));
    assert_eq!(out.len(), 2);
    // Exactly at the cap (data plus one newline per line): kept.
    let limits = Limits { line: 32, ..limits };
    let (out, _) = parse_with(limits, "data: aaaaaaaaaaa\ndata: bbbbbbbbbbb\n\n");
    assert_eq!(out, vec![ev("message", "aaaaaaaaaaa\nbbbbbbbbbbb", "")]);
}

#[test]
fn an_endless_line_gives_one_warning_and_the_stream_recovers_after_it() {
    let limits = Limits {
        line: 1024,
        event: 4096,
    };
    let mut parser = SseParser::new(limits);
    let chunk = "y".repeat(1000);
    let mut out = Vec::new();
    // 10 MB without a line end: one warning, nothing else, and the parser still works after.
    for _ in 0..10_000 {
        out.extend(parser.feed(&chunk));
    }
    assert_eq!(warnings(&out), 1);
    assert_eq!(out.len(), 1);
    let out = parser.feed("\n\ndata: after\n\n");
    assert_eq!(out, vec![ev("message", "after", "")]);
}
