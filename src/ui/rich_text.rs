//! Renders message bodies: plain text as text nodes, rich documents from [`crate::richtext`]'s safe
//! tree as elements, and attachments as links and thumbnails. Never `inner_html`.

use crate::model::{Attachment, Body};
use crate::richtext::{self, Block, Inline};
use leptos::prelude::*;

/// A message body. `dir="auto"`: a message takes the direction of its own text, so English in an
/// Arabic interface (or the reverse) reads correctly.
#[component]
pub fn MessageBody(
    /// What to show.
    body: Body,
) -> impl IntoView {
    match body {
        Body::Text(text) => {
            view! { <p class="text" dir="auto">{richtext::strip_controls(&text)}</p> }.into_any()
        }
        Body::Rich(doc) => {
            let blocks = richtext::parse(&doc);
            view! { <div class="rich" dir="auto">{blocks.into_iter().map(block).collect_view()}</div> }
                .into_any()
        }
    }
}

fn block(b: Block) -> AnyView {
    match b {
        Block::Paragraph(content) => view! { <p>{inlines(content)}</p> }.into_any(),
        // Headings inside a message sit below the panel's own h2.
        Block::Heading(level, content) => match level {
            1 => view! { <h3>{inlines(content)}</h3> }.into_any(),
            2 => view! { <h4>{inlines(content)}</h4> }.into_any(),
            3 => view! { <h5>{inlines(content)}</h5> }.into_any(),
            _ => view! { <h6>{inlines(content)}</h6> }.into_any(),
        },
        Block::BulletList(items) => view! { <ul>{list_items(items)}</ul> }.into_any(),
        Block::OrderedList { start, items } => {
            view! { <ol start=start.to_string()>{list_items(items)}</ol> }.into_any()
        }
        Block::CodeBlock(code) => view! { <pre><code>{code}</code></pre> }.into_any(),
        Block::Blockquote(inner) => {
            view! { <blockquote>{inner.into_iter().map(block).collect_view()}</blockquote> }
                .into_any()
        }
        Block::Rule => view! { <hr /> }.into_any(),
    }
}

fn list_items(items: Vec<Vec<Block>>) -> impl IntoView {
    items
        .into_iter()
        .map(|item| view! { <li>{item.into_iter().map(block).collect_view()}</li> })
        .collect_view()
}

fn inlines(content: Vec<Inline>) -> impl IntoView {
    content.into_iter().map(inline).collect_view()
}

fn inline(i: Inline) -> AnyView {
    let Inline::Text { text, marks } = i else {
        return view! { <br /> }.into_any();
    };
    let mut v = text.into_any();
    if marks.code {
        v = view! { <code>{v}</code> }.into_any();
    }
    if marks.bold {
        v = view! { <strong>{v}</strong> }.into_any();
    }
    if marks.italic {
        v = view! { <em>{v}</em> }.into_any();
    }
    if marks.strike {
        v = view! { <s>{v}</s> }.into_any();
    }
    if marks.underline {
        v = view! { <u>{v}</u> }.into_any();
    }
    if let Some(href) = marks.link {
        v = view! { <a href=href target="_blank" rel="noopener noreferrer">{v}</a> }.into_any();
    }
    v
}

/// Files attached to a message: images as thumbnails, others as named links; unsafe URLs as
/// plain names.
#[component]
pub fn Attachments(
    /// The attachments, possibly empty.
    items: Vec<Attachment>,
) -> impl IntoView {
    (!items.is_empty()).then(|| {
        let list = items
            .into_iter()
            .map(|a| {
                let name = richtext::strip_controls(&a.name);
                let is_image = a.mime.as_deref().is_some_and(|m| m.starts_with("image/"));
                let content = match (richtext::safe_url(&a.url), is_image) {
                    (Some(_), true) if richtext::safe_image_url(&a.url).is_some() => {
                        let href = a.url.trim().to_string();
                        let src = href.clone();
                        view! {
                            <a href=href target="_blank" rel="noopener noreferrer">
                                <img class="thumb" src=src alt=name loading="lazy" />
                            </a>
                        }
                        .into_any()
                    }
                    (Some(url), _) => view! {
                        <a href=url target="_blank" rel="noopener noreferrer">{name}</a>
                    }
                    .into_any(),
                    (None, _) => view! { <span>{name}</span> }.into_any(),
                };
                view! { <li>{content}</li> }
            })
            .collect_view();
        view! { <ul class="attachments">{list}</ul> }
    })
}
