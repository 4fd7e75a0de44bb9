//! Renders a message's content — plain text, rich documents from [`helpwire_core::richtext`]'s safe tree,
//! attachments — into its bubble. Text only ever becomes text nodes; never `inner_html`.
//!
//! A message's content never changes once shown, so it is built once with plain DOM calls (a
//! Leptos directive on the bubble) rather than as reactive views: each distinct view type costs
//! the bundle its own compiled build/rebuild/mount code, and rich text has a dozen of them.

use super::dom::{child, set, text_in};
use helpwire_core::json::Json;
use helpwire_core::model::{Attachment, Body};
use helpwire_core::richtext;
#[cfg(rich_text)]
use helpwire_core::richtext::{Block, Inline};
use web_sys::Element;

/// Replaces the bubble's children with a message's body and attachments. `dir="auto"` on the
/// body: a message takes the direction of its own text, so English in an Arabic interface (or
/// the reverse) reads correctly.
pub(crate) fn fill_bubble(bubble: &Element, body: &Body, attachments: &[Attachment]) {
    bubble.set_text_content(None);
    match body {
        Body::Text(text) => {
            if let Some(p) = child(bubble, "p") {
                p.set_class_name("text");
                set(&p, "dir", "auto");
                text_in(&p, &richtext::strip_controls(text));
            }
        }
        Body::Rich(doc) => {
            if let Some(div) = child(bubble, "div") {
                div.set_class_name("rich");
                set(&div, "dir", "auto");
                rich_document(&div, doc);
            }
        }
        // Worded by the message log, which knows the interface language.
        Body::Notice(_) => {
            if let Some(p) = child(bubble, "p") {
                p.set_class_name("text");
            }
        }
    }
    attachment_list(bubble, attachments);
}

/// A rich document's safe tree as elements. Only the bundles whose backend sends rich documents
/// (Gleap, bot endpoints) link this renderer: `cfg(rich_text)`, set by `build.rs`; the others
/// never receive one.
#[cfg(rich_text)]
fn rich_document(div: &Element, doc: &Json) {
    for b in richtext::parse(doc) {
        block(div, b);
    }
}

/// A bundle whose backend sends no rich documents shows one's text, should it meet one anyway.
#[cfg(not(rich_text))]
fn rich_document(div: &Element, doc: &Json) {
    text_in(div, &richtext::text_of(doc));
}

#[cfg(rich_text)]
fn block(parent: &Element, b: Block) {
    // Headings inside a message sit below the panel's own h2.
    let tag = match &b {
        Block::Paragraph(_) => "p",
        Block::Heading(1, _) => "h3",
        Block::Heading(2, _) => "h4",
        Block::Heading(3, _) => "h5",
        Block::Heading(..) => "h6",
        Block::BulletList(_) => "ul",
        Block::OrderedList { .. } => "ol",
        Block::CodeBlock(_) => "pre",
        Block::Blockquote(_) => "blockquote",
        Block::Rule => "hr",
    };
    let Some(el) = child(parent, tag) else {
        return;
    };
    match b {
        Block::Paragraph(content) | Block::Heading(_, content) => {
            content.into_iter().for_each(|i| inline(&el, i));
        }
        Block::OrderedList { start, items } => {
            set(&el, "start", &start.to_string());
            list_items(&el, items);
        }
        Block::BulletList(items) => list_items(&el, items),
        Block::CodeBlock(code) => {
            if let Some(c) = child(&el, "code") {
                text_in(&c, &code);
            }
        }
        Block::Blockquote(inner) => inner.into_iter().for_each(|b| block(&el, b)),
        Block::Rule => {}
    }
}

#[cfg(rich_text)]
fn list_items(list: &Element, items: Vec<Vec<Block>>) {
    for item in items {
        if let Some(li) = child(list, "li") {
            item.into_iter().for_each(|b| block(&li, b));
        }
    }
}

/// A run of text inside its marks, outermost first: link, underline, strike, italic, bold, code.
#[cfg(rich_text)]
fn inline(parent: &Element, i: Inline) {
    let Inline::Text { text, marks } = i else {
        let _ = child(parent, "br");
        return;
    };
    let mut at = parent.clone();
    if let Some(href) = &marks.link {
        if let Some(a) = child(&at, "a") {
            external_link(&a, href);
            at = a;
        }
    }
    for (on, tag) in [
        (marks.underline, "u"),
        (marks.strike, "s"),
        (marks.italic, "em"),
        (marks.bold, "strong"),
        (marks.code, "code"),
    ] {
        if let Some(el) = on.then(|| child(&at, tag)).flatten() {
            at = el;
        }
    }
    text_in(&at, &text);
}

/// Links leave the page in a new tab, without giving it a handle on the host page.
fn external_link(a: &Element, href: &str) {
    set(a, "href", href);
    set(a, "target", "_blank");
    set(a, "rel", "noopener noreferrer");
}

/// Files attached to a message: images as thumbnails, others as named links; unsafe URLs as
/// plain names.
fn attachment_list(bubble: &Element, items: &[Attachment]) {
    if items.is_empty() {
        return;
    }
    let Some(list) = child(bubble, "ul") else {
        return;
    };
    list.set_class_name("attachments");
    for a in items {
        let Some(li) = child(&list, "li") else {
            continue;
        };
        let name = richtext::strip_controls(&a.name);
        let is_image = a.mime.as_deref().is_some_and(|m| m.starts_with("image/"));
        match richtext::safe_url(&a.url) {
            // `safe_image_url`, without checking the URL twice.
            Some(url) if is_image && !richtext::is_mailto(&url) => {
                let href = a.url.trim();
                if let Some(link) = child(&li, "a") {
                    external_link(&link, href);
                    if let Some(img) = child(&link, "img") {
                        img.set_class_name("thumb");
                        set(&img, "src", href);
                        set(&img, "alt", &name);
                        set(&img, "loading", "lazy");
                    }
                }
            }
            Some(url) => {
                if let Some(link) = child(&li, "a") {
                    external_link(&link, &url);
                    text_in(&link, &name);
                }
            }
            None => {
                if let Some(span) = child(&li, "span") {
                    text_in(&span, &name);
                }
            }
        }
    }
}
