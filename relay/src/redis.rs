//! The delivery memory shared by several relay instances over Redis (`redis_url`).
//!
//! Through the `redis` crate (the same client as the event fan-out), over one multiplexed
//! connection, reconnected after an error. Per key: an instance that finds nothing takes a lease (`SET k pending NX PX`),
//! delivers, and stores `done:<status>:<json>` for `dedupe_ttl`; a failure deletes the lease so
//! a retry tries again. An instance that finds a lease waits for the answer (a retry arriving
//! at another instance while the first is in flight). If Redis cannot be reached the relay
//! degrades to its in-process memory and says so in the log.

use crate::limits::Stored;
use crate::token::hex;
use redis::aio::MultiplexedConnection;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Where the Redis server is: `redis://[:password@]host[:port][/db]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RedisUrl {
    pub host: String,
    pub port: u16,
    pub password: Option<String>,
    pub db: u32,
}

impl RedisUrl {
    pub fn parse(url: &str) -> Result<RedisUrl, String> {
        let rest = url
            .trim()
            .strip_prefix("redis://")
            .ok_or("redis_url: only redis://[:password@]host[:port][/db] is supported")?;
        let (authority, db) = match rest.split_once('/') {
            Some((a, d)) if !d.is_empty() => (
                a,
                d.parse()
                    .map_err(|_| "redis_url: the database is not a number".to_string())?,
            ),
            Some((a, _)) => (a, 0),
            None => (rest, 0),
        };
        let (password, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hp)) => {
                let pass = userinfo.rsplit(':').next().unwrap_or_default();
                ((!pass.is_empty()).then(|| pass.to_string()), hp)
            }
            None => (None, authority),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse()
                    .map_err(|_| "redis_url: the port is not a number".to_string())?,
            ),
            None => (hostport, 6379),
        };
        if host.is_empty() {
            return Err("redis_url: no host".into());
        }
        Ok(RedisUrl {
            host: host.to_string(),
            port,
            password,
            db,
        })
    }
}

/// How long a connection or a command may take before Redis counts as unavailable.
const TIMEOUT: Duration = Duration::from_secs(2);

/// A client of `url` (the `redis` crate, on tokio); it connects only when asked.
pub fn client(url: &RedisUrl) -> redis::RedisResult<redis::Client> {
    use redis::IntoConnectionInfo as _;
    let mut settings = redis::RedisConnectionInfo::default().set_db(i64::from(url.db));
    if let Some(p) = &url.password {
        settings = settings.set_password(p);
    }
    let info = redis::ConnectionAddr::Tcp(url.host.clone(), url.port)
        .into_connection_info()?
        .set_redis_settings(settings);
    redis::Client::open(info)
}

/// A connection of `client` with this module's timeouts.
pub async fn connect(client: &redis::Client) -> redis::RedisResult<MultiplexedConnection> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT));
    tokio::time::timeout(
        TIMEOUT,
        client.get_multiplexed_async_connection_with_config(&config),
    )
    .await
    .map_err(|_| redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut)))?
}

/// Why [`RedisMemory::once`] gave no answer.
pub enum Missed<E, F> {
    /// The delivery ran and failed.
    Failed(E),
    /// Redis could not be used; the delivery did not run and is handed back.
    Unavailable(F),
}

/// Redis could not be used (unreachable, or what it holds is unreadable).
#[derive(Debug)]
pub struct Unusable;

/// The shared delivery memory.
pub struct RedisMemory {
    /// None when the URL cannot make a client: every delivery is then in-process.
    client: Option<redis::Client>,
    conn: Mutex<Option<MultiplexedConnection>>,
    ttl: Duration,
    /// How long a delivery in flight holds its key (then another instance may try).
    lease: Duration,
}

const PENDING: &[u8] = b"pending";

impl RedisMemory {
    pub fn new(url: RedisUrl, ttl: Duration, upstream_timeout: Duration) -> RedisMemory {
        RedisMemory {
            client: client(&url).ok(),
            conn: Mutex::new(None),
            ttl,
            lease: upstream_timeout * 2 + Duration::from_secs(5),
        }
    }

    /// Runs `cmd` on the shared connection (opened on first use, dropped after an error so the
    /// next command reconnects).
    async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> redis::RedisResult<T> {
        let mut conn = {
            let mut guard = self.conn.lock().await;
            match guard.as_ref() {
                Some(c) => c.clone(),
                None => {
                    let client = self.client.as_ref().ok_or_else(|| {
                        redis::RedisError::from(std::io::Error::from(
                            std::io::ErrorKind::InvalidInput,
                        ))
                    })?;
                    let c = connect(client).await?;
                    *guard = Some(c.clone());
                    c
                }
            }
        };
        let result = cmd.query_async(&mut conn).await;
        if result.is_err() {
            *self.conn.lock().await = None;
        }
        result
    }

    /// Whether the server answers.
    pub async fn ping(&self) -> bool {
        self.query::<String>(&redis::cmd("PING")).await.is_ok()
    }

    fn key(key: &str) -> String {
        format!(
            "helpwire-relay:delivered:{}",
            hex(&Sha256::digest(key.as_bytes()))
        )
    }

    /// The answer remembered for `key` across instances, without taking the key when there is
    /// none: a delivery of it in flight (its lease) is waited for. `Ok(None)` when nothing was
    /// delivered (or it failed, or the lease ran out).
    pub async fn get(&self, key: &str) -> Result<Option<Stored>, Unusable> {
        let deadline = Instant::now() + self.lease + Duration::from_secs(1);
        match self.settled(&Self::key(key), deadline).await? {
            Settled::Done(stored) => Ok(Some(stored)),
            Settled::Absent | Settled::Pending => Ok(None),
        }
    }

    /// What `k` holds once no delivery of it is in flight, waiting for one that is until
    /// `deadline` (then `Pending`). An answer that does not decode is `Unusable`.
    async fn settled(&self, k: &str, deadline: Instant) -> Result<Settled, Unusable> {
        loop {
            match self
                .query::<Option<Vec<u8>>>(redis::cmd("GET").arg(k))
                .await
            {
                Ok(Some(v)) if v == PENDING => {
                    if Instant::now() >= deadline {
                        return Ok(Settled::Pending);
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Ok(Some(v)) => return decode(&v).map(Settled::Done).ok_or(Unusable),
                Ok(None) => return Ok(Settled::Absent),
                Err(_) => return Err(Unusable),
            }
        }
    }

    /// The remembered answer for `key` across instances, or the one `run` gives.
    pub async fn once<E, F, Fut>(&self, key: &str, run: F) -> Result<Stored, Missed<E, F>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Stored, E>>,
    {
        let k = Self::key(key);
        let deadline = Instant::now() + self.lease + Duration::from_secs(1);
        loop {
            match self.settled(&k, deadline).await {
                Ok(Settled::Done(stored)) => return Ok(stored),
                Ok(Settled::Absent) => {}
                Ok(Settled::Pending) | Err(Unusable) => return Err(Missed::Unavailable(run)),
            }
            let lease = self.lease.as_millis() as u64;
            let mut set = redis::cmd("SET");
            set.arg(&k).arg(PENDING).arg("NX").arg("PX").arg(lease);
            match self.query::<Option<String>>(&set).await {
                Ok(Some(_)) => break,
                Ok(None) => continue, // another instance took it first
                Err(_) => return Err(Missed::Unavailable(run)),
            }
        }
        match run().await {
            Ok(stored) => {
                let ttl = self.ttl.as_millis() as u64;
                let mut set = redis::cmd("SET");
                set.arg(&k).arg(encode(&stored)).arg("PX").arg(ttl);
                if self.query::<()>(&set).await.is_err() {
                    tracing::warn!("redis: could not remember a delivery");
                }
                Ok(stored)
            }
            Err(e) => {
                let _ = self.query::<i64>(redis::cmd("DEL").arg(&k)).await;
                Err(Missed::Failed(e))
            }
        }
    }
}

/// What a key holds once no delivery of it is in flight ([`RedisMemory::settled`]).
enum Settled {
    Done(Stored),
    Absent,
    /// A delivery still in flight when the wait ended.
    Pending,
}

fn encode((status, value): &Stored) -> Vec<u8> {
    format!("done:{status}:{value}").into_bytes()
}

fn decode(v: &[u8]) -> Option<Stored> {
    let text = std::str::from_utf8(v).ok()?.strip_prefix("done:")?;
    let (status, json) = text.split_once(':')?;
    Some((
        status.parse().ok()?,
        Arc::new(serde_json::from_str(json).ok()?),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            RedisUrl::parse("redis://127.0.0.1:6380/2").unwrap(),
            RedisUrl {
                host: "127.0.0.1".into(),
                port: 6380,
                password: None,
                db: 2
            }
        );
        let u = RedisUrl::parse("redis://:s3cret@cache.internal").unwrap();
        assert_eq!((u.port, u.password.as_deref()), (6379, Some("s3cret")));
        assert!(RedisUrl::parse("rediss://x").is_err());
        assert!(RedisUrl::parse("redis://:p@").is_err());
    }

    #[test]
    fn stored_round_trip() {
        let s: Stored = (201, Arc::new(serde_json::json!({"a": "x:y"})));
        assert_eq!(decode(&encode(&s)), Some(s));
    }
}
