//! What can be wrong with a server event, and how it reaches the engine as a [`ProviderError`].

use crate::json::Json;
use crate::protocol::ProviderError;
use crate::text::quote;
use std::fmt;

/// What can be wrong with a server event.
#[derive(Clone, Debug, PartialEq)]
pub enum EusateError {
    /// The envelope's `status_code` is not 2xx; `message` is the server's explanation.
    Status { status: u16, message: String },
    /// The payload is not the documented envelope; keeps the raw JSON for the console.
    Malformed { reason: String, payload: String },
}

impl fmt::Display for EusateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EusateError::Status { status, message } => write!(f, "Eusate {status}: {message}"),
            EusateError::Malformed { reason, payload } => {
                write!(f, "unexpected Eusate event ({reason}): {payload}")
            }
        }
    }
}

impl std::error::Error for EusateError {}

impl From<EusateError> for ProviderError {
    fn from(e: EusateError) -> Self {
        match e {
            EusateError::Status { status, message } => ProviderError::Status {
                status,
                detail: message,
                retry_after: None,
            },
            EusateError::Malformed { reason, payload } => ProviderError::Malformed {
                reason,
                body: payload,
            },
        }
    }
}

/// A payload that is not what the helpdesk sends, quoted for the console.
pub(super) fn malformed(reason: impl Into<String>, payload: &Json) -> EusateError {
    EusateError::Malformed {
        reason: reason.into(),
        payload: quote(&payload.to_string()),
    }
}
