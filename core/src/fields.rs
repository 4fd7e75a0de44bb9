//! Typed access to the fields of a JSON object, with errors that name the object and the field.
//!
//! Every reader returns `Err(reason)` for a wrongly typed field instead of guessing or panicking;
//! a provider turns the reason into its error with the raw body attached, and storage reads a
//! tampered snapshot the same way.

use crate::json::Json;

/// Typed access to the fields of one JSON object; `what` names it in error reasons.
///
/// A field that is `null` reads as absent everywhere: optional readers give `None` (or the
/// empty list), required ones say the field is missing.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    object: &'a Json,
    what: &'static str,
}

impl<'a> Fields<'a> {
    /// `v` must be an object.
    pub fn of(v: &'a Json, what: &'static str) -> Result<Self, String> {
        match v {
            Json::Object(_) => Ok(Fields { object: v, what }),
            other => Err(format!("{what} is not an object: {}", other.kind())),
        }
    }

    /// The value as sent, null included; `None` only when absent.
    pub fn raw(&self, key: &str) -> Option<&'a Json> {
        self.object.get(key)
    }

    /// The value; `None` when absent or null.
    pub fn get(&self, key: &str) -> Option<&'a Json> {
        self.object.get(key).filter(|v| !v.is_null())
    }

    /// A field that must be present and not null, of any type.
    pub fn value(&self, key: &str) -> Result<&'a Json, String> {
        self.get(key).ok_or_else(|| self.missing(key))
    }

    fn wrong(&self, key: &str, expected: &str, v: &Json) -> String {
        format!("`{key}` of {} is {}, not {expected}", self.what, v.kind())
    }

    fn missing(&self, key: &str) -> String {
        format!("{} has no `{key}`", self.what)
    }

    /// "… has no `a`/`b`": written out, as `[&str]::join` is linked for this alone in most
    /// bundles.
    fn none_of(&self, keys: &[&str]) -> String {
        let mut reason = format!("{} has no `", self.what);
        for (i, key) in keys.iter().enumerate() {
            if i > 0 {
                reason.push_str("`/`");
            }
            reason.push_str(key);
        }
        reason.push('`');
        reason
    }

    /// A string field; `None` when absent or null.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(v) => Err(self.wrong(key, "a string", v)),
        }
    }

    /// A string field that must be present.
    pub fn str(&self, key: &str) -> Result<&'a str, String> {
        self.opt_str(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional string field, owned (the model's `Option<String>` fields).
    pub fn opt_string(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self.opt_str(key)?.map(str::to_string))
    }

    /// A required string field, owned.
    pub fn string(&self, key: &str) -> Result<String, String> {
        self.str(key).map(str::to_string)
    }

    /// A boolean field; `None` when absent or null.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.wrong(key, "a boolean", v)),
        }
    }

    /// A number field; `None` when absent or null.
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a number", v)),
        }
    }

    /// A number field that must be present.
    pub fn f64(&self, key: &str) -> Result<f64, String> {
        self.opt_f64(key)?.ok_or_else(|| self.missing(key))
    }

    /// A non-negative integer field; `None` when absent or null.
    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a non-negative integer", v)),
        }
    }

    /// A non-negative integer field that must be present.
    pub fn u64(&self, key: &str) -> Result<u64, String> {
        self.opt_u64(key)?.ok_or_else(|| self.missing(key))
    }

    /// A non-negative integer field that must fit in `u32`; `None` when absent or null.
    pub fn opt_u32(&self, key: &str) -> Result<Option<u32>, String> {
        match self.opt_u64(key)? {
            None => Ok(None),
            Some(n) => u32::try_from(n)
                .map(Some)
                .map_err(|_| format!("`{key}` of {} is out of range", self.what)),
        }
    }

    /// A nested object; `None` when absent or null.
    pub fn opt_object(&self, key: &str) -> Result<Option<Fields<'a>>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v @ Json::Object(_)) => Fields::of(v, self.what).map(Some),
            Some(v) => Err(self.wrong(key, "an object", v)),
        }
    }

    /// An array field; absent or null is empty.
    pub fn array(&self, key: &str) -> Result<&'a [Json], String> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Json::Array(items)) => Ok(items),
            Some(v) => Err(self.wrong(key, "an array", v)),
        }
    }

    /// An array field that must be present (it may be empty).
    pub fn required_array(&self, key: &str) -> Result<&'a [Json], String> {
        match self.get(key) {
            None => Err(self.missing(key)),
            Some(_) => self.array(key),
        }
    }

    /// An id: the first of `keys` present, as a non-empty string or an integer.
    pub fn id(&self, keys: &[&str]) -> Result<String, String> {
        for key in keys {
            match self.get(key) {
                None => continue,
                Some(Json::String(s)) if !s.is_empty() => return Ok(s.clone()),
                Some(v @ Json::Number(n)) if n.as_i64().is_some() || n.as_u64().is_some() => {
                    return Ok(v.to_string())
                }
                Some(v) => return Err(self.wrong(key, "an id", v)),
            }
        }
        Err(self.none_of(keys))
    }

    /// A time: the first of `keys` present (RFC 3339 string or epoch number). A time outside
    /// 1970–9999 is an error like an unreadable one ([`crate::time::from_json`] refuses it).
    pub fn opt_time(&self, keys: &[&str]) -> Result<Option<f64>, String> {
        for key in keys {
            if let Some(v) = self.get(key) {
                return crate::time::from_json(v)
                    .map_err(|e| format!("`{key}` of {}: {e}", self.what));
            }
        }
        Ok(None)
    }

    /// The time of a message worth showing without one: [`UNKNOWN_TIME`] when absent, unreadable
    /// or out of range, with the reason in `notes` (the engine then dates the message).
    pub fn message_time(&self, keys: &[&str], notes: &mut Vec<String>) -> f64 {
        match self.opt_time(keys) {
            Ok(Some(t)) => t,
            Ok(None) => {
                notes.push(self.none_of(keys));
                UNKNOWN_TIME
            }
            Err(reason) => {
                notes.push(reason);
                UNKNOWN_TIME
            }
        }
    }

    /// The time of a stored message as a send answer gives it: `None` (the widget keeps its own)
    /// when absent, or unreadable or out of range, which `notes` then tells.
    pub fn sent_time(&self, keys: &[&str], notes: &mut Vec<String>) -> Option<f64> {
        self.opt_time(keys)
            .map_err(|reason| notes.push(format!("{reason}; the widget keeps its own time")))
            .ok()
            .flatten()
    }
}

/// The time of a message whose backend gave none the widget can use. The engine replaces it, as
/// any time outside [`crate::time::checked_ms`]'s range, with the previous message's time or now.
pub const UNKNOWN_TIME: f64 = f64::NAN;
