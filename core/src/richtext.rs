//! TipTap / ProseMirror documents → a small, safe tree the UI renders as elements.
//!
//! Nothing here produces HTML. Unknown nodes degrade to their text; links keep only `http`,
//! `https` and `mailto` targets; depth and size are capped so a hostile document cannot make the
//! widget build an enormous or deeply nested tree.

use crate::json::Json;

/// Deepest nesting accepted (lists in lists …); deeper content is flattened to text.
pub const MAX_DEPTH: usize = 12;
/// Most nodes read from one document; the rest is dropped.
pub const MAX_NODES: usize = 5_000;

/// Inline formatting of a run of text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    pub bold: bool,
    pub italic: bool,
    pub strike: bool,
    pub code: bool,
    pub underline: bool,
    /// A safe link target (see [`safe_url`]); unsafe links are dropped, their text kept.
    pub link: Option<String>,
}

/// Inline content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text { text: String, marks: Marks },
    HardBreak,
}

/// Block content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    /// Level 1–6 (clamped).
    Heading(u8, Vec<Inline>),
    BulletList(Vec<Vec<Block>>),
    OrderedList {
        start: u32,
        items: Vec<Vec<Block>>,
    },
    CodeBlock(String),
    Blockquote(Vec<Block>),
    Rule,
}

/// Parses a document (`{"type":"doc","content":[…]}`), or any node, into blocks.
pub fn parse(doc: &Json) -> Vec<Block> {
    let mut budget = MAX_NODES;
    let mut out = Vec::new();
    match node_type(doc) {
        "doc" => blocks(children(doc), 0, &mut budget, &mut out),
        _ => blocks(std::slice::from_ref(doc), 0, &mut budget, &mut out),
    }
    out
}

/// Whether a JSON value looks like a TipTap/ProseMirror document.
pub fn is_doc(v: &Json) -> bool {
    node_type(v) == "doc" && v.get("content").is_none_or(|c| c.as_array().is_some())
}

fn node_type(v: &Json) -> &str {
    v.get("type").and_then(Json::as_str).unwrap_or_default()
}

fn children(v: &Json) -> &[Json] {
    v.get("content")
        .and_then(Json::as_array)
        .unwrap_or_default()
}

fn blocks(nodes: &[Json], depth: usize, budget: &mut usize, out: &mut Vec<Block>) {
    let mut loose_inline = Vec::new();
    for node in nodes {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let block = if depth >= MAX_DEPTH {
            Some(Block::Paragraph(plain(node)))
        } else {
            match node_type(node) {
                "paragraph" => Some(Block::Paragraph(inlines(
                    children(node),
                    &Marks::default(),
                    budget,
                ))),
                "heading" => {
                    let level = node
                        .path(&["attrs", "level"])
                        .and_then(Json::as_u64)
                        .unwrap_or(2)
                        .clamp(1, 6) as u8;
                    Some(Block::Heading(
                        level,
                        inlines(children(node), &Marks::default(), budget),
                    ))
                }
                "bulletList" | "bullet_list" => Some(Block::BulletList(items(node, depth, budget))),
                "orderedList" | "ordered_list" => {
                    let start = node
                        .path(&["attrs", "start"])
                        .and_then(Json::as_u64)
                        .unwrap_or(1)
                        .min(1_000_000) as u32;
                    Some(Block::OrderedList {
                        start,
                        items: items(node, depth, budget),
                    })
                }
                "codeBlock" | "code_block" => Some(Block::CodeBlock(text_of(node))),
                "blockquote" => {
                    let mut inner = Vec::new();
                    blocks(children(node), depth + 1, budget, &mut inner);
                    Some(Block::Blockquote(inner))
                }
                "horizontalRule" | "horizontal_rule" => Some(Block::Rule),
                "text" | "hardBreak" | "hard_break" => {
                    // Inline content at block level: gather it into one paragraph.
                    loose_inline.extend(inlines(
                        std::slice::from_ref(node),
                        &Marks::default(),
                        budget,
                    ));
                    None
                }
                // Unknown blocks (tables, mentions, images …) keep their text.
                _ => Some(Block::Paragraph(plain(node))),
            }
        };
        if let Some(b) = block {
            if !loose_inline.is_empty() {
                out.push(Block::Paragraph(std::mem::take(&mut loose_inline)));
            }
            out.push(b);
        }
    }
    if !loose_inline.is_empty() {
        out.push(Block::Paragraph(loose_inline));
    }
}

fn items(list: &Json, depth: usize, budget: &mut usize) -> Vec<Vec<Block>> {
    children(list)
        .iter()
        .map(|item| {
            let mut inner = Vec::new();
            blocks(children(item), depth + 1, budget, &mut inner);
            inner
        })
        .collect()
}

fn inlines(nodes: &[Json], inherited: &Marks, budget: &mut usize) -> Vec<Inline> {
    let mut out = Vec::new();
    for node in nodes {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        match node_type(node) {
            "text" => {
                let text = node.get("text").and_then(Json::as_str).unwrap_or_default();
                if text.is_empty() {
                    continue;
                }
                out.push(Inline::Text {
                    text: strip_controls(text),
                    marks: marks(node, inherited),
                });
            }
            "hardBreak" | "hard_break" => out.push(Inline::HardBreak),
            _ => {
                let text = text_of(node);
                if !text.is_empty() {
                    out.push(Inline::Text {
                        text,
                        marks: inherited.clone(),
                    });
                }
            }
        }
    }
    out
}

fn marks(node: &Json, inherited: &Marks) -> Marks {
    let mut m = inherited.clone();
    for mark in node
        .get("marks")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        match node_type(mark) {
            "bold" | "strong" => m.bold = true,
            "italic" | "em" => m.italic = true,
            "strike" => m.strike = true,
            "code" => m.code = true,
            "underline" => m.underline = true,
            "link" => {
                m.link = mark
                    .path(&["attrs", "href"])
                    .and_then(Json::as_str)
                    .and_then(safe_url)
            }
            _ => {}
        }
    }
    m
}

fn plain(node: &Json) -> Vec<Inline> {
    let text = text_of(node);
    if text.is_empty() {
        Vec::new()
    } else {
        vec![Inline::Text {
            text,
            marks: Marks::default(),
        }]
    }
}

/// All text below a node, in order, with control characters removed: the text of a whole
/// document (events, echo matching, a bundle without the rich renderer) and of a node rendered
/// as plain text. Each block (paragraph, heading, list item, code block…) starts a new line and
/// a hard break is a line break, so words of two paragraphs never run together.
pub fn text_of(node: &Json) -> String {
    // Iterative, so a hostile nesting depth cannot overflow the stack.
    let mut out = String::new();
    let mut stack = vec![node];
    let mut visited = 0;
    while let Some(n) = stack.pop() {
        visited += 1;
        if visited > MAX_NODES || out.len() > 100_000 {
            break;
        }
        match node_type(n) {
            "hardBreak" | "hard_break" => out.push('\n'),
            kind if is_block(kind) && !out.is_empty() && !out.ends_with('\n') => out.push('\n'),
            _ => {}
        }
        if let Some(t) = n.get("text").and_then(Json::as_str) {
            out.push_str(t);
        }
        stack.extend(children(n).iter().rev());
    }
    strip_controls(&out)
}

/// Node types that stand on lines of their own.
fn is_block(kind: &str) -> bool {
    matches!(
        kind,
        "paragraph"
            | "heading"
            | "blockquote"
            | "codeBlock"
            | "code_block"
            | "bulletList"
            | "bullet_list"
            | "orderedList"
            | "ordered_list"
            | "listItem"
            | "list_item"
            | "horizontalRule"
            | "horizontal_rule"
    )
}

/// Removes control characters except newline and tab (bidi overrides included: they can make
/// text read differently from what it is).
pub fn strip_controls(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            c == '\n'
                || c == '\t'
                || !(c.is_control()
                    || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        })
        .collect()
}

/// A URL safe to put in `href`/`src`: absolute `http`, `https` or `mailto` only, no whitespace
/// or control characters (which browsers strip, turning `java\tscript:` into `javascript:`).
pub fn safe_url(raw: &str) -> Option<String> {
    let url = raw.trim();
    if url.is_empty()
        || url.len() > 2_048
        || url.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return None;
    }
    let (scheme, rest) = crate::text::split_once(url, ":")?;
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" if rest.starts_with("//") && rest.len() > 2 => Some(url.to_string()),
        "mailto" if !rest.is_empty() => Some(url.to_string()),
        _ => None,
    }
}

/// A URL safe as an image source: `http`/`https` only.
pub fn safe_image_url(raw: &str) -> Option<String> {
    safe_url(raw).filter(|u| !is_mailto(u))
}

/// Whether a [`safe_url`] is a `mailto:` link (the one safe kind that is no image source).
pub fn is_mailto(url: &str) -> bool {
    url.to_ascii_lowercase().starts_with("mailto:")
}
