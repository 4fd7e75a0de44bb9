//! One Eusate message object, as the REST history and the pushed events carry it.

use crate::hash::fnv1a_parts;
use crate::json::Json;
use crate::model::{Attachment, Author, Body, Message};
use crate::protocol::wire;
use crate::time::parse_rfc3339;

/// `prefix` then `hash` as 16 lowercase hex digits (what `{:016x}` writes), nibble by nibble:
/// the bundle links no hexadecimal formatting for the derived ids.
pub(super) fn hex_id(prefix: &str, hash: u64) -> String {
    let mut id = String::from(prefix);
    for shift in (0..16).rev() {
        let nibble = (hash >> (shift * 4)) as u8 & 0xf;
        id.push(char::from(if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' - 10 + nibble
        }));
    }
    id
}

/// The author for an Eusate `sender`: `sate` is the AI, `agent` a human, `customer` the visitor.
fn author_for_sender(sender: &str, agent_name: Option<String>) -> Author {
    match sender {
        "sate" => Author::Bot { name: None },
        "agent" => Author::Agent { name: agent_name },
        "customer" => Author::Visitor,
        _ => Author::System,
    }
}

/// An id as the helpdesk writes it: a non-empty string or a number.
pub(super) fn id_string(v: &Json) -> Option<String> {
    match v {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The first of `keys` that is a non-empty string.
/// (The first string decides: an empty one is none, even before a later non-empty one.)
fn first_str<'a>(v: &'a Json, keys: &[&str]) -> Option<&'a str> {
    for key in keys {
        if let Some(s) = v.get(key).and_then(Json::as_str) {
            return Some(s).filter(|s| !s.is_empty());
        }
    }
    None
}

/// The conversation (`ticket_chat`) a payload or message belongs to, if it says.
pub(super) fn conversation_of(v: &Json) -> Option<String> {
    if let Some(id) = v.get("ticket_chat_id").and_then(id_string) {
        return Some(id);
    }
    match v.get("ticket_chat") {
        // Looked up once, not again for its id.
        Some(chat @ Json::Object(_)) => chat.get("id").and_then(id_string),
        Some(other) => id_string(other),
        None => None,
    }
}

fn attachment_of(v: &Json) -> Option<Attachment> {
    if v.get("is_attachment").and_then(Json::as_bool) != Some(true) {
        return None;
    }
    let meta = v.get("attachment_metadata")?;
    let url = first_str(meta, &["url", "file_url", "file", "link"])?;
    Some(Attachment {
        name: first_str(meta, &["name", "file_name", "filename", "title"])
            .unwrap_or("attachment")
            .to_string(),
        url: url.to_string(),
        mime: first_str(meta, &["type", "content_type", "mime_type", "mime"]).map(str::to_string),
    })
}

/// A message from an Eusate message object (REST) or event item. `fallback_author` applies when
/// there is no `sender`; `require_id` makes a missing id an error (REST) rather than derived.
/// A date that is there but unusable gives `now`, and says so in `notes`. An unreadable item is
/// the reason alone: the pushed events quote the item with it, the REST history does not.
pub(super) fn message_from(
    item: &Json,
    fallback_author: &Author,
    require_id: bool,
    now: f64,
    notes: &mut Vec<String>,
) -> Result<Option<Message>, &'static str> {
    let (text, attachment) = match item {
        Json::String(s) => (Some(s.as_str()), None),
        Json::Object(_) => (
            first_str(item, &["message", "text", "response", "answer"]),
            attachment_of(item),
        ),
        _ => return Err("message is not an object"),
    };
    if text.is_none() && attachment.is_none() {
        if require_id {
            return Err("message has neither text nor attachment");
        }
        return Ok(None);
    }
    let text = text.unwrap_or_default().to_string();
    let mut agent_name = first_str(item, &["agent_name", "sender_name"]);
    if agent_name.is_none() {
        if let Some(agent) = item.get("agent") {
            agent_name = first_str(agent, &["name", "full_name"]);
        }
    }
    let agent_name = agent_name.map(str::to_string);
    let author = match item.get("sender").and_then(Json::as_str) {
        Some(sender) => author_for_sender(sender, agent_name),
        None => match fallback_author {
            Author::Agent { name: None } => Author::Agent { name: agent_name },
            other => other.clone(),
        },
    };
    let created_raw = first_str(item, &["date_created", "created_at"]);
    let mut date = None;
    for key in ["date_created", "created_at"] {
        match item.get(key) {
            Some(Json::Null) | None => {}
            found => {
                date = found;
                break;
            }
        }
    }
    let created_at = match date {
        None => now,
        Some(v) => match v.as_str().and_then(parse_rfc3339) {
            Some(t) => t,
            None => {
                let mut note = String::from("`date_created` is not a usable time: ");
                note.push_str(&wire::snippet(v));
                notes.push(note);
                now
            }
        },
    };
    let id = match item.get("id").and_then(id_string) {
        Some(id) => id,
        None if require_id => return Err("message without id"),
        None => {
            let conversation = conversation_of(item).unwrap_or_default();
            let stamp = match created_raw {
                Some(raw) => raw.to_string(),
                None => (now as i64).to_string(),
            };
            hex_id(
                "eusate-",
                fnv1a_parts(&[&conversation, author.tag(), &text, &stamp]),
            )
        }
    };
    let mut message = Message::received(id, author, Body::Text(text), created_at);
    if let Some(attachment) = attachment {
        message.attachments.push(attachment);
    }
    Ok(Some(message))
}

#[cfg(test)]
mod tests {
    use super::hex_id;

    #[test]
    fn hex_id_writes_what_format_writes() {
        for hash in [
            0,
            1,
            0xf,
            0xa0,
            0x0123_4567_89ab_cdef,
            u64::MAX,
            0xcbf2_9ce4_8422_2325,
        ] {
            assert_eq!(hex_id("eusate-", hash), format!("eusate-{hash:016x}"));
        }
    }
}
