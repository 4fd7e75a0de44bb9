//! The configured helpdesk: one of core's sans-IO providers, built natively, plus what the relay
//! decides for it (the identifiers the vendor finds history by, derived from the visitor id).

use crate::config::{BackendConfig, BackendKind};
use crate::token::{hex, hmac, Claims, Ref};
use helpwire_core::json::Json;
use helpwire_core::model::{Conversation, Session, Visitor};
use helpwire_core::protocol::bancroft::BancroftProvider;
use helpwire_core::protocol::bot::BotProvider;
use helpwire_core::protocol::eusate::EusateProvider;
use helpwire_core::protocol::gleap::GleapProvider;
use helpwire_core::protocol::gurusup::GurusupProvider;
use helpwire_core::protocol::{bancroft, gurusup, Capabilities, Provider};

/// The time in ms since the epoch, for providers that date what the vendor sends undated.
pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}

/// One of the concrete providers (all `Send + Sync`: plain data and `fn` pointers).
pub enum Backend {
    Gleap(GleapProvider),
    Gurusup(GurusupProvider),
    Bancroft(BancroftProvider),
    Bot(BotProvider),
    /// Reads over REST here; sends go over its socket (`crate::eusate`).
    Eusate(EusateProvider),
}

/// What the page said about the visitor, as kept in the token (`p`) and given to the vendor.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The site's custom data, plus what the relay adds (`user_id` when verified, otherwise
    /// `claimed_user_id`; `claimed_email` where the email is not an identity).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub custom_data: serde_json::Value,
}

impl Backend {
    pub fn new(config: &BackendConfig) -> Backend {
        let key = config.api_key.as_deref();
        match config.kind {
            BackendKind::Gleap => Backend::Gleap(GleapProvider::new(
                &config.api_base,
                key,
                config.project.as_deref(),
            )),
            // English unless the request names a language ([`Backend::localized`]).
            BackendKind::Gurusup => {
                Backend::Gurusup(GurusupProvider::new(&config.api_base, key, "en", now_ms))
            }
            // The requester email is derived here ([`Backend::visitor`]) and the key stays here:
            // listing by it lists only the visitor's own.
            BackendKind::Bancroft => {
                Backend::Bancroft(BancroftProvider::new(&config.api_base, key).listing_by_email())
            }
            BackendKind::Bot => Backend::Bot(BotProvider::new(
                &config.api_base,
                key,
                config.project.as_deref(),
                now_ms,
            )),
            BackendKind::Eusate => {
                Backend::Eusate(EusateProvider::new(Some(&config.api_base), key))
            }
        }
    }

    pub fn provider(&self) -> &(dyn Provider + Send + Sync) {
        match self {
            Backend::Gleap(p) => p,
            Backend::Gurusup(p) => p,
            Backend::Bancroft(p) => p,
            Backend::Bot(p) => p,
            Backend::Eusate(p) => p,
        }
    }

    /// Gurusup sends the visitor's language with each message (`lang`, the language its AI
    /// answers in): its provider in the first language of the request's `Accept-Language` (the
    /// visitor's browser), where that is a language tag. `None`: use [`Backend::provider`]
    /// (another backend, or no usable header, so English).
    pub fn localized(&self, accept_language: Option<&str>) -> Option<GurusupProvider> {
        let Backend::Gurusup(provider) = self else {
            return None;
        };
        let first = accept_language?.split(',').next()?.split(';').next()?;
        provider.in_language(first)
    }

    pub fn kind(&self) -> BackendKind {
        match self {
            Backend::Gleap(_) => BackendKind::Gleap,
            Backend::Gurusup(_) => BackendKind::Gurusup,
            Backend::Bancroft(_) => BackendKind::Bancroft,
            Backend::Bot(_) => BackendKind::Bot,
            Backend::Eusate(_) => BackendKind::Eusate,
        }
    }

    /// Whether later calls send the visitor's profile (so the token keeps it).
    pub fn keeps_profile(&self) -> bool {
        matches!(self.kind(), BackendKind::Bancroft | BackendKind::Bot)
    }

    pub fn capabilities(&self) -> Capabilities {
        self.provider().capabilities()
    }

    /// The visitor as handed to the provider. `anon_id` is the derived identifier (Gleap's
    /// session `userId`, Gurusup's `user_fid`, the bot's session id, Eusate's `session_id`),
    /// never the page's; `user_id`
    /// stays empty so no provider uses a page-given id to find history. Bancroft's requester
    /// email is derived too; a page-given email is metadata, except for Gleap with a verified
    /// identity.
    pub fn visitor(&self, claims: &Claims, profile: &Profile, email_domain: &str) -> Visitor {
        let mut custom = profile.custom_data.clone();
        let email_is_identity = self.kind() == BackendKind::Gleap && claims.u.is_some();
        let email = match self.kind() {
            BackendKind::Bancroft => Some(format!("{}@{email_domain}", claims.b)),
            _ if email_is_identity => profile.email.clone(),
            _ => None,
        };
        if let (false, Some(e)) = (email_is_identity, &profile.email) {
            if !custom.is_object() {
                custom = serde_json::json!({});
            }
            custom["claimed_email"] = serde_json::Value::from(e.as_str());
        }
        Visitor {
            anon_id: claims.b.clone(),
            user_id: None,
            email,
            name: profile.name.clone(),
            user_hash: None,
            custom_data: (!custom.is_null()).then(|| to_core(&custom)),
        }
    }

    /// A session as the token keeps it: Gleap's `extra` (the identity sent) is dropped, it is
    /// only a cache key.
    pub fn keep_session(&self, session: &Session) -> Ref {
        let x = match self.kind() {
            BackendKind::Gleap => serde_json::Value::Null,
            _ => from_core(&session.extra),
        };
        Ref {
            id: session.id.clone(),
            x,
        }
    }

    /// A conversation as the token keeps it: only what later calls need.
    pub fn keep_conversation(&self, conversation: &Conversation) -> Ref {
        let keep: &[&str] = match self.kind() {
            BackendKind::Bancroft => &[bancroft::REQUESTER_EMAIL],
            BackendKind::Gurusup => &[gurusup::SUBJECT],
            _ => &[],
        };
        let mut x = serde_json::Map::new();
        for key in keep {
            if let Some(v) = conversation.extra.get(key) {
                x.insert((*key).to_string(), from_core(v));
            }
        }
        Ref {
            id: conversation.id.clone(),
            x: if x.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::Object(x)
            },
        }
    }
}

pub fn session_of(r: &Ref) -> Session {
    Session {
        id: r.id.clone(),
        extra: to_core(&r.x),
    }
}

pub fn conversation_of(r: &Ref) -> Conversation {
    Conversation {
        id: r.id.clone(),
        extra: to_core(&r.x),
    }
}

/// serde_json → core's JSON (through text: both are exact).
pub fn to_core(v: &serde_json::Value) -> Json {
    Json::parse(&v.to_string()).unwrap_or(Json::Null)
}

/// core's JSON → serde_json.
pub fn from_core(v: &Json) -> serde_json::Value {
    serde_json::from_str(&v.to_string()).unwrap_or(serde_json::Value::Null)
}

/// The visitor id of a verified site user: stable across devices, unguessable without the
/// identity secret.
pub fn user_visitor_id(identity_secret: &[u8], user_id: &str) -> String {
    let mac = hmac(
        identity_secret,
        format!("helpwire-relay visitor\0{user_id}").as_bytes(),
    );
    format!("u_{}", hex(&mac[..16]))
}

/// The backend identifier for a visitor id: a keyed hash, so the page's knowledge of its visitor
/// id (or anyone's user id) never yields the identifier the vendor finds history by.
pub fn backend_id(key: &[u8], kind: BackendKind, visitor_id: &str) -> String {
    let mac = hmac(
        key,
        format!("helpwire-relay backend\0{}\0{visitor_id}", kind.name()).as_bytes(),
    );
    format!("hw{}", hex(&mac[..16]))
}

/// A fresh random visitor id.
pub fn random_visitor_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).expect("the OS random source works");
    format!("v_{}", hex(&bytes))
}
