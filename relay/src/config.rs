//! `relay.toml`: reading, secrets from the environment, and validation.
//!
//! Every secret (`token_secrets` entries, `identity_secret`, `api_key`, `webhook_key`,
//! `redis_url`) may be written as `env:NAME`, which reads the environment variable `NAME`
//! instead; a missing or empty variable is a configuration error.

use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;

/// Shortest secret accepted for `token_secrets` and `identity_secret`, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// The backends the relay serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Gleap,
    Gurusup,
    Bancroft,
    Bot,
    Eusate,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Gleap => "gleap",
            BackendKind::Gurusup => "gurusup",
            BackendKind::Bancroft => "bancroft",
            BackendKind::Bot => "bot",
            BackendKind::Eusate => "eusate",
        }
    }
}

/// The validated configuration, secrets resolved.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Exact origins (`scheme://host[:port]`), lowercase, no trailing slash.
    pub allowed_origins: Vec<String>,
    /// The first signs; all verify.
    pub token_secrets: Vec<Vec<u8>>,
    pub token_ttl: Duration,
    pub identity_secret: Option<Vec<u8>>,
    /// Shared state of several instances (the delivery memory).
    pub redis: Option<crate::redis::RedisUrl>,
    pub backend: BackendConfig,
    pub limits: Limits,
}

impl std::fmt::Debug for Config {
    /// Never prints a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("allowed_origins", &self.allowed_origins)
            .field(
                "token_secrets",
                &format!("{} secret(s)", self.token_secrets.len()),
            )
            .field("token_ttl", &self.token_ttl)
            .field("identity_secret", &self.identity_secret.is_some())
            .field("redis", &self.redis.is_some())
            .field("backend", &self.backend.kind)
            .field("limits", &self.limits)
            .finish()
    }
}

#[derive(Clone)]
pub struct BackendConfig {
    pub kind: BackendKind,
    pub api_base: String,
    pub api_key: Option<String>,
    pub project: Option<String>,
    /// Domain of the requester emails the relay derives for Bancroft.
    pub email_domain: String,
    /// The `x-api-key` Gurusup's webhook sends (gurusup only); none: no webhook route.
    pub webhook_key: Option<String>,
}

/// Limits, all with defaults (`[limits]` in relay.toml).
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_body_bytes: usize,
    /// Requests a minute per visitor (token), and the burst above that rate.
    pub visitor_per_minute: u32,
    pub visitor_burst: u32,
    /// Requests a minute per client IP, and the burst.
    pub ip_per_minute: u32,
    pub ip_burst: u32,
    /// Take the client IP from the last `X-Forwarded-For` entry (behind a trusted proxy).
    pub trust_forwarded_for: bool,
    pub upstream_timeout: Duration,
    /// How long a delivered `client_id` is remembered, and how many are.
    pub dedupe_ttl: Duration,
    pub dedupe_entries: usize,
    /// Most conversations a token carries (the oldest are dropped past it).
    pub max_conversations: usize,
    /// Open event streams (`GET /v1/events`) per visitor, and in all.
    pub max_streams_per_visitor: usize,
    pub max_streams: usize,
    /// How often an open event stream sends a keep-alive comment.
    pub stream_heartbeat: Duration,
    /// Eusate: live helpdesk sockets at most (one per visitor session in use), and how long
    /// one stays open with no watcher and no send in flight.
    pub max_push_connections: usize,
    pub push_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024,
            visitor_per_minute: 120,
            visitor_burst: 30,
            ip_per_minute: 600,
            ip_burst: 120,
            trust_forwarded_for: false,
            upstream_timeout: Duration::from_secs(15),
            dedupe_ttl: Duration::from_secs(24 * 3600),
            dedupe_entries: 20_000,
            max_conversations: 20,
            max_streams_per_visitor: 4,
            max_streams: 10_000,
            stream_heartbeat: Duration::from_secs(20),
            max_push_connections: 1000,
            push_idle: Duration::from_secs(60),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: String,
    allowed_origins: Vec<String>,
    token_secrets: Vec<String>,
    token_ttl: Option<toml::Value>,
    identity_secret: Option<String>,
    redis_url: Option<String>,
    backend: RawBackend,
    #[serde(default)]
    limits: RawLimits,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackend {
    kind: String,
    api_base: String,
    api_key: Option<String>,
    project: Option<String>,
    webhook_key: Option<String>,
    email_domain: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_body_bytes: Option<usize>,
    visitor_per_minute: Option<u32>,
    visitor_burst: Option<u32>,
    ip_per_minute: Option<u32>,
    ip_burst: Option<u32>,
    trust_forwarded_for: Option<bool>,
    upstream_timeout_ms: Option<u64>,
    dedupe_ttl: Option<toml::Value>,
    dedupe_entries: Option<usize>,
    max_conversations: Option<usize>,
    max_streams_per_visitor: Option<usize>,
    max_streams: Option<usize>,
    stream_heartbeat: Option<toml::Value>,
    max_push_connections: Option<usize>,
    push_idle: Option<toml::Value>,
}

/// Reads `value`, or the environment variable it names as `env:NAME`.
pub fn resolve_secret(
    key: &str,
    value: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let resolved = match value.strip_prefix("env:") {
        Some(name) => {
            let name = name.trim();
            if name.is_empty() {
                return Err(format!("{key}: `env:` names no environment variable"));
            }
            env(name).ok_or_else(|| format!("{key}: environment variable {name} is not set"))?
        }
        None => value.to_string(),
    };
    if resolved.trim().is_empty() {
        return Err(format!("{key}: empty"));
    }
    Ok(resolved)
}

/// A duration as whole seconds (`3600`) or text with a unit: `90s`, `30m`, `12h`, `7d`.
pub fn parse_duration(key: &str, v: &toml::Value) -> Result<Duration, String> {
    let secs = match v {
        toml::Value::Integer(n) if *n > 0 => *n as u64,
        toml::Value::String(s) => {
            let s = s.trim();
            let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
            let n: u64 = num.parse().map_err(|_| {
                format!("{key}: \"{s}\" is not a duration like 3600, 90s, 30m, 12h or 7d")
            })?;
            let factor = match unit {
                "" | "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                _ => return Err(format!("{key}: \"{s}\" has an unknown unit (s, m, h or d)")),
            };
            n.checked_mul(factor)
                .ok_or_else(|| format!("{key}: too long"))?
        }
        _ => {
            return Err(format!(
                "{key}: expected seconds (a positive integer) or text like \"7d\""
            ))
        }
    };
    if secs == 0 {
        return Err(format!("{key}: must be positive"));
    }
    Ok(Duration::from_secs(secs))
}

/// `scheme://host[:port]`, lowercased; refuses `*`, paths and anything else.
fn origin(raw: &str) -> Result<String, String> {
    let o = raw.trim();
    if o == "*" || o.contains('*') {
        return Err("allowed_origins: `*` is refused: list each site origin exactly".into());
    }
    let lower = o.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| format!("allowed_origins: \"{o}\" is not an http(s) origin"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(format!(
            "allowed_origins: \"{o}\" must be just scheme://host[:port], without a path"
        ));
    }
    Ok(lower)
}

impl Config {
    /// Parses and validates relay.toml's text; `env` reads environment variables.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| format!("relay.toml: {e}"))?;
        let listen: SocketAddr = raw.listen.trim().parse().map_err(|_| {
            format!(
                "listen: \"{}\" is not an address like 127.0.0.1:8788",
                raw.listen
            )
        })?;
        if raw.allowed_origins.is_empty() {
            return Err("allowed_origins: list at least one site origin".into());
        }
        let allowed_origins = raw
            .allowed_origins
            .iter()
            .map(|o| origin(o))
            .collect::<Result<Vec<_>, _>>()?;
        if raw.token_secrets.is_empty() {
            return Err("token_secrets: give at least one secret (the first signs)".into());
        }
        let mut token_secrets = Vec::new();
        for (i, s) in raw.token_secrets.iter().enumerate() {
            let key = format!("token_secrets[{i}]");
            let secret = resolve_secret(&key, s, env)?;
            if secret.len() < MIN_SECRET_BYTES {
                return Err(format!("{key}: shorter than {MIN_SECRET_BYTES} bytes"));
            }
            token_secrets.push(secret.into_bytes());
        }
        let token_ttl = match &raw.token_ttl {
            Some(v) => parse_duration("token_ttl", v)?,
            None => Duration::from_secs(7 * 86_400),
        };
        let identity_secret = match &raw.identity_secret {
            Some(s) => {
                let secret = resolve_secret("identity_secret", s, env)?;
                if secret.len() < MIN_SECRET_BYTES {
                    return Err(format!(
                        "identity_secret: shorter than {MIN_SECRET_BYTES} bytes"
                    ));
                }
                Some(secret.into_bytes())
            }
            None => None,
        };
        let redis = match &raw.redis_url {
            Some(url) => Some(crate::redis::RedisUrl::parse(&resolve_secret(
                "redis_url",
                url,
                env,
            )?)?),
            None => None,
        };
        let b = &raw.backend;
        let kind = match b.kind.trim() {
            "gleap" => BackendKind::Gleap,
            "gurusup" => BackendKind::Gurusup,
            "bancroft" => BackendKind::Bancroft,
            "bot" => BackendKind::Bot,
            "eusate" => BackendKind::Eusate,
            other => {
                return Err(format!(
                    "backend.kind: \"{other}\" is not one of gleap, gurusup, eusate, bancroft, bot"
                ))
            }
        };
        let api_base = b.api_base.trim().to_string();
        let lower = api_base.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(format!(
                "backend.api_base: \"{api_base}\" is not an http(s) URL"
            ));
        }
        let api_key = match &b.api_key {
            Some(k) => Some(resolve_secret("backend.api_key", k, env)?),
            None => None,
        };
        let webhook_key = match &b.webhook_key {
            Some(_) if kind != BackendKind::Gurusup => {
                return Err(format!(
                    "backend.webhook_key: only for gurusup (its webhook), not {}",
                    kind.name()
                ))
            }
            Some(k) => Some(resolve_secret("backend.webhook_key", k, env)?),
            None => None,
        };
        if kind == BackendKind::Eusate && api_key.is_none() {
            return Err(
                "backend.api_key: required for eusate (its socket and REST calls need the key)"
                    .into(),
            );
        }
        if kind != BackendKind::Gleap && kind != BackendKind::Bot && b.project.is_some() {
            return Err(format!(
                "backend.project: only for gleap (and bot), not {}",
                kind.name()
            ));
        }
        let email_domain = match &b.email_domain {
            Some(d) if kind != BackendKind::Bancroft => {
                return Err(format!(
                    "backend.email_domain: only for bancroft, not {} ({d})",
                    kind.name()
                ))
            }
            Some(d) => {
                let d = d.trim().to_ascii_lowercase();
                if d.is_empty()
                    || !d
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                {
                    return Err(format!("backend.email_domain: \"{d}\" is not a domain"));
                }
                d
            }
            None => "visitors.helpwire.invalid".to_string(),
        };
        let mut limits = Limits::default();
        let l = &raw.limits;
        if let Some(n) = l.max_body_bytes {
            if !(1024..=1024 * 1024).contains(&n) {
                return Err("limits.max_body_bytes: between 1024 and 1048576".into());
            }
            limits.max_body_bytes = n;
        }
        for (key, value, slot) in [
            (
                "limits.visitor_per_minute",
                l.visitor_per_minute,
                &mut limits.visitor_per_minute,
            ),
            (
                "limits.visitor_burst",
                l.visitor_burst,
                &mut limits.visitor_burst,
            ),
            (
                "limits.ip_per_minute",
                l.ip_per_minute,
                &mut limits.ip_per_minute,
            ),
            ("limits.ip_burst", l.ip_burst, &mut limits.ip_burst),
        ] {
            if let Some(n) = value {
                if n == 0 {
                    return Err(format!("{key}: must be positive"));
                }
                *slot = n;
            }
        }
        if let Some(b) = l.trust_forwarded_for {
            limits.trust_forwarded_for = b;
        }
        if let Some(ms) = l.upstream_timeout_ms {
            if !(100..=120_000).contains(&ms) {
                return Err("limits.upstream_timeout_ms: between 100 and 120000".into());
            }
            limits.upstream_timeout = Duration::from_millis(ms);
        }
        if let Some(v) = &l.dedupe_ttl {
            limits.dedupe_ttl = parse_duration("limits.dedupe_ttl", v)?;
        }
        if let Some(n) = l.dedupe_entries {
            if n == 0 {
                return Err("limits.dedupe_entries: must be positive".into());
            }
            limits.dedupe_entries = n;
        }
        if let Some(n) = l.max_conversations {
            if !(1..=100).contains(&n) {
                return Err("limits.max_conversations: between 1 and 100".into());
            }
            limits.max_conversations = n;
        }
        if let Some(n) = l.max_streams_per_visitor {
            if !(1..=100).contains(&n) {
                return Err("limits.max_streams_per_visitor: between 1 and 100".into());
            }
            limits.max_streams_per_visitor = n;
        }
        if let Some(n) = l.max_streams {
            if n == 0 {
                return Err("limits.max_streams: must be positive".into());
            }
            limits.max_streams = n;
        }
        if let Some(v) = &l.stream_heartbeat {
            let d = parse_duration("limits.stream_heartbeat", v)?;
            // Past 60 s the widget takes the quiet stream for a dead one.
            if d > Duration::from_secs(50) {
                return Err("limits.stream_heartbeat: at most 50s (the widget gives up on a stream silent for 60 s)".into());
            }
            limits.stream_heartbeat = d;
        }
        if let Some(n) = l.max_push_connections {
            if !(1..=100_000).contains(&n) {
                return Err("limits.max_push_connections: between 1 and 100000".into());
            }
            limits.max_push_connections = n;
        }
        if let Some(v) = &l.push_idle {
            limits.push_idle = parse_duration("limits.push_idle", v)?;
        }
        Ok(Config {
            listen,
            allowed_origins,
            token_secrets,
            token_ttl,
            identity_secret,
            redis,
            backend: BackendConfig {
                kind,
                api_base,
                api_key,
                project: b.project.clone().filter(|p| !p.trim().is_empty()),
                email_domain,
                webhook_key,
            },
            limits,
        })
    }

    /// Every secret value, for tests and log scrubbing checks.
    pub fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .token_secrets
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        if let Some(s) = &self.identity_secret {
            out.push(String::from_utf8_lossy(s).into_owned());
        }
        if let Some(k) = &self.backend.api_key {
            out.push(k.clone());
        }
        if let Some(k) = &self.backend.webhook_key {
            out.push(k.clone());
        }
        if let Some(p) = self.redis.as_ref().and_then(|r| r.password.clone()) {
            out.push(p);
        }
        out
    }
}
