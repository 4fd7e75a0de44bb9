//! Contact details a visitor gives in the widget (the pre-chat form, the "Get the answer by
//! email" offer), so support can answer after the visitor has left: which fields the site asks
//! for, and the checks a value must pass before it goes to the backend.

use crate::config::ProviderKind;

/// Which fields the pre-chat form asks for (`data-prechat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Prechat {
    /// No form: the visitor writes at once.
    #[default]
    None,
    Email,
    NameEmail,
}

/// Why a value was refused; the view words it in the visitor's language (`i18n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactError {
    EmailMissing,
    EmailInvalid,
    NameMissing,
}

/// The longest address a mail system takes, in bytes (RFC 5321's 256-octet path less its
/// angle brackets).
pub const MAX_EMAIL_BYTES: usize = 254;

/// The longest name kept; a longer one is cut (it is a label for support, not a key).
pub const MAX_NAME_CHARS: usize = 200;

/// The address as it will be sent (trimmed), or why it cannot be one. Deliberately small: one
/// `@` with something before it, a dot after it with something on both sides (no empty part
/// between dots), no spaces or control characters, at most [`MAX_EMAIL_BYTES`]. Whether the
/// mailbox exists only a mail can tell; this catches what the visitor mistyped.
pub fn check_email(input: &str) -> Result<String, ContactError> {
    let email = input.trim();
    if email.is_empty() {
        return Err(ContactError::EmailMissing);
    }
    // Byte by byte (`@` and `.` are ASCII, so never inside a character): the char-pattern
    // splits cost the bundles code of their own.
    let bytes = email.as_bytes();
    let valid = match bytes.iter().position(|&b| b == b'@') {
        Some(at) => {
            let domain = &bytes[at + 1..];
            at > 0
                && !domain.contains(&b'@')
                && domain.contains(&b'.')
                && has_no_empty_label(domain)
                && email.len() <= MAX_EMAIL_BYTES
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if valid {
        Ok(email.to_string())
    } else {
        Err(ContactError::EmailInvalid)
    }
}

/// Whether no label of `domain` (the parts between its dots) is empty.
fn has_no_empty_label(domain: &[u8]) -> bool {
    let mut previous = b'.';
    for &b in domain {
        if b == b'.' && previous == b'.' {
            return false;
        }
        previous = b;
    }
    previous != b'.'
}

/// The name as it will be sent (trimmed, cut to [`MAX_NAME_CHARS`]), or why it cannot be one.
pub fn check_name(input: &str) -> Result<String, ContactError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(ContactError::NameMissing);
    }
    // Cut at a character boundary found by `char_indices`, which the bundles link anyway, rather
    // than collecting the characters one by one.
    let end = name
        .char_indices()
        .nth(MAX_NAME_CHARS)
        .map_or(name.len(), |(i, _)| i);
    Ok(name[..end].to_string())
}

/// Whether the backend has a place for contact details at all: the pre-chat form is offered
/// (Gurusup's and Eusate's APIs take no email or name from a visitor).
pub fn backend_takes_contact(kind: ProviderKind) -> bool {
    !matches!(kind, ProviderKind::Gurusup | ProviderKind::Eusate)
}

/// Whether the backend can still take an email once the conversation exists: the "Get the
/// answer by email" offer is shown. Bancroft fixes a conversation's requester when it is
/// created and has no call to change it, so its email goes with the first message only.
pub fn backend_takes_late_email(kind: ProviderKind) -> bool {
    backend_takes_contact(kind) && kind != ProviderKind::Bancroft
}
