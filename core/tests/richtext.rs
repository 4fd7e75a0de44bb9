//! Rich text: TipTap documents become a safe tree; unsafe links and controls are dropped.

use helpwire_core::json::Json;
use helpwire_core::richtext::{
    parse, safe_image_url, safe_url, strip_controls, Block, Inline, Marks, MAX_DEPTH,
};

/// A document written out as JSON text.
fn doc(text: &str) -> Json {
    Json::parse(text).unwrap()
}

fn text(t: &str) -> Inline {
    Inline::Text {
        text: t.into(),
        marks: Marks::default(),
    }
}

#[test]
fn paragraphs_with_marks_and_breaks() {
    let doc = doc(r#"{"type": "doc", "content": [
        {"type": "paragraph", "content": [
            {"type": "text", "text": "Hello "},
            {"type": "text", "text": "bold", "marks": [{"type": "bold"}]},
            {"type": "hardBreak"},
            {"type": "text", "text": "x", "marks": [{"type": "italic"}, {"type": "strike"}, {"type": "code"}]},
            {"type": "text", "text": "site", "marks": [{"type": "link", "attrs": {"href": "https://example.com/a"}}]}
        ]}
    ]}"#);
    let blocks = parse(&doc);
    let Block::Paragraph(inl) = &blocks[0] else {
        panic!("{blocks:?}")
    };
    assert_eq!(inl[0], text("Hello "));
    assert_eq!(
        inl[1],
        Inline::Text {
            text: "bold".into(),
            marks: Marks {
                bold: true,
                ..Marks::default()
            }
        }
    );
    assert_eq!(inl[2], Inline::HardBreak);
    assert_eq!(
        inl[3],
        Inline::Text {
            text: "x".into(),
            marks: Marks {
                italic: true,
                strike: true,
                code: true,
                ..Marks::default()
            }
        }
    );
    assert_eq!(
        inl[4],
        Inline::Text {
            text: "site".into(),
            marks: Marks {
                link: Some("https://example.com/a".into()),
                ..Marks::default()
            }
        }
    );
}

#[test]
fn lists_headings_and_code_blocks() {
    let doc = doc(r#"{"type": "doc", "content": [
        {"type": "heading", "attrs": {"level": 9}, "content": [{"type": "text", "text": "Title"}]},
        {"type": "bulletList", "content": [
            {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "one"}]}]},
            {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "two"}]}]}
        ]},
        {"type": "orderedList", "attrs": {"start": 3}, "content": [
            {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "three"}]}]}
        ]},
        {"type": "codeBlock", "content": [{"type": "text", "text": "let x = 1;"}]}
    ]}"#);
    let blocks = parse(&doc);
    assert_eq!(
        blocks[0],
        Block::Heading(6, vec![text("Title")]),
        "level clamped to 6"
    );
    assert_eq!(
        blocks[1],
        Block::BulletList(vec![
            vec![Block::Paragraph(vec![text("one")])],
            vec![Block::Paragraph(vec![text("two")])]
        ])
    );
    assert_eq!(
        blocks[2],
        Block::OrderedList {
            start: 3,
            items: vec![vec![Block::Paragraph(vec![text("three")])]]
        }
    );
    assert_eq!(blocks[3], Block::CodeBlock("let x = 1;".into()));
}

#[test]
fn unsafe_links_are_dropped_but_their_text_stays() {
    for href in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        " data:text/html,<script>",
        "vbscript:x",
        "/relative",
        "//evil.example",
        "https:",
        "file:///etc/passwd",
    ] {
        let doc = doc(
            &r#"{"type": "doc", "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": "click", "marks": [{"type": "link", "attrs": {"href": HREF}}]}
        ]}]}"#
                .replace("HREF", &Json::from(href).to_string()),
        );
        assert_eq!(
            parse(&doc),
            vec![Block::Paragraph(vec![text("click")])],
            "{href:?}"
        );
    }
    assert_eq!(
        safe_url("mailto:help@example.com").as_deref(),
        Some("mailto:help@example.com")
    );
    assert_eq!(
        safe_url("HTTPS://example.com").as_deref(),
        Some("HTTPS://example.com")
    );
    assert_eq!(safe_image_url("mailto:x@y"), None);
    assert_eq!(safe_image_url("data:image/png;base64,AAAA"), None);
}

#[test]
fn unknown_nodes_keep_their_text_and_wrong_types_do_not_panic() {
    let doc = doc(r#"{"type": "doc", "content": [
        {"type": "table", "content": [{"type": "text", "text": "cell"}]},
        {"type": "paragraph", "content": "not an array"},
        {"type": "heading", "attrs": {"level": "big"}, "content": [{"type": "text", "text": 5}]},
        {"type": "text", "text": "loose"},
        42, null, "string"
    ]}"#);
    let blocks = parse(&doc);
    assert_eq!(blocks[0], Block::Paragraph(vec![text("cell")]));
    assert_eq!(blocks[1], Block::Paragraph(vec![]));
    assert_eq!(blocks[2], Block::Heading(2, vec![]));
    assert!(blocks.contains(&Block::Paragraph(vec![text("loose")])));
}

#[test]
fn deep_nesting_is_flattened_and_huge_documents_are_capped() {
    let mut node = doc(r#"{"type": "paragraph", "content": [{"type": "text", "text": "deep"}]}"#);
    for _ in 0..200 {
        node = Json::object([
            ("type", Json::from("blockquote")),
            ("content", Json::Array(vec![node])),
        ]);
    }
    let blocks = parse(&Json::object([
        ("type", Json::from("doc")),
        ("content", Json::Array(vec![node])),
    ]));
    let mut depth = 0;
    let mut cur = &blocks[0];
    while let Block::Blockquote(inner) = cur {
        depth += 1;
        cur = &inner[0];
    }
    assert!(depth <= MAX_DEPTH);
    assert_eq!(cur, &Block::Paragraph(vec![text("deep")]));

    let many: Vec<_> = (0..50_000)
        .map(|i| {
            let text = Json::object([
                ("type", Json::from("text")),
                ("text", Json::from(i.to_string())),
            ]);
            Json::object([
                ("type", Json::from("paragraph")),
                ("content", Json::Array(vec![text])),
            ])
        })
        .collect();
    let blocks = parse(&Json::object([
        ("type", Json::from("doc")),
        ("content", Json::Array(many)),
    ]));
    assert!(blocks.len() <= helpwire_core::richtext::MAX_NODES);
}

#[test]
fn control_and_bidi_override_characters_are_removed() {
    assert_eq!(
        strip_controls("a\u{0}b\u{7}c\nd\te\u{202E}f\u{2066}g"),
        "abc\nd\tefg"
    );
}
