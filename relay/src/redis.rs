//! The delivery memory shared by several relay instances over Redis (`redis_url`).
//!
//! A tiny RESP2 client (GET, SET … NX PX, DEL, AUTH, SELECT) over one connection, reconnected
//! after an error. Per key: an instance that finds nothing takes a lease (`SET k pending NX PX`),
//! delivers, and stores `done:<status>:<json>` for `dedupe_ttl`; a failure deletes the lease so
//! a retry tries again. An instance that finds a lease waits for the answer (a retry arriving
//! at another instance while the first is in flight). If Redis cannot be reached the relay
//! degrades to its in-process memory and says so in the log.

use crate::limits::Stored;
use crate::token::hex;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
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

/// A RESP reply, as far as these commands need.
#[derive(Debug, PartialEq)]
enum Reply {
    Ok,
    Nil,
    Bulk(Vec<u8>),
    Int(i64),
}

struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    async fn open(url: &RedisUrl, timeout: Duration) -> std::io::Result<Conn> {
        let stream =
            tokio::time::timeout(timeout, TcpStream::connect((url.host.as_str(), url.port)))
                .await
                .map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
                })??;
        stream.set_nodelay(true)?;
        let mut conn = Conn {
            stream: BufReader::new(stream),
        };
        if let Some(p) = &url.password {
            conn.command(&[b"AUTH", p.as_bytes()]).await?;
        }
        if url.db != 0 {
            conn.command(&[b"SELECT", url.db.to_string().as_bytes()])
                .await?;
        }
        Ok(conn)
    }

    async fn command(&mut self, args: &[&[u8]]) -> std::io::Result<Reply> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.stream.get_mut().write_all(&out).await?;
        let mut line = Vec::new();
        self.stream.read_until(b'\n', &mut line).await?;
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
        if line.len() < 3 || !line.ends_with(b"\r\n") {
            return Err(bad("redis: connection closed or bad reply"));
        }
        let body = &line[1..line.len() - 2];
        let text = std::str::from_utf8(body).map_err(|_| bad("redis: bad reply"))?;
        match line[0] {
            b'+' => Ok(Reply::Ok),
            // The server's error text is not logged: it may echo the command's arguments.
            b'-' => Err(bad("redis: the server refused a command")),
            b':' => Ok(Reply::Int(
                text.parse().map_err(|_| bad("redis: bad integer"))?,
            )),
            b'$' => {
                let n: i64 = text.parse().map_err(|_| bad("redis: bad length"))?;
                if n < 0 {
                    return Ok(Reply::Nil);
                }
                let mut data = vec![0u8; n as usize + 2];
                tokio::io::AsyncReadExt::read_exact(&mut self.stream, &mut data).await?;
                data.truncate(n as usize);
                Ok(Reply::Bulk(data))
            }
            _ => Err(bad("redis: unexpected reply type")),
        }
    }
}

/// Why [`RedisMemory::once`] gave no answer.
pub enum Missed<E, F> {
    /// The delivery ran and failed.
    Failed(E),
    /// Redis could not be used; the delivery did not run and is handed back.
    Unavailable(F),
}

/// The shared delivery memory.
pub struct RedisMemory {
    url: RedisUrl,
    conn: Mutex<Option<Conn>>,
    ttl: Duration,
    /// How long a delivery in flight holds its key (then another instance may try).
    lease: Duration,
}

const PENDING: &[u8] = b"pending";

impl RedisMemory {
    pub fn new(url: RedisUrl, ttl: Duration, upstream_timeout: Duration) -> RedisMemory {
        RedisMemory {
            url,
            conn: Mutex::new(None),
            ttl,
            lease: upstream_timeout * 2 + Duration::from_secs(5),
        }
    }

    async fn command(&self, args: &[&[u8]]) -> std::io::Result<Reply> {
        let mut guard = self.conn.lock().await;
        if guard.is_none() {
            *guard = Some(Conn::open(&self.url, Duration::from_secs(2)).await?);
        }
        let conn = guard.as_mut().expect("just opened");
        match tokio::time::timeout(Duration::from_secs(2), conn.command(args)).await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(e)) => {
                *guard = None;
                Err(e)
            }
            Err(_) => {
                *guard = None;
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "redis: timed out",
                ))
            }
        }
    }

    /// Whether the server answers.
    pub async fn ping(&self) -> bool {
        self.command(&[b"PING"]).await.is_ok()
    }

    fn key(key: &str) -> String {
        format!(
            "helpwire-relay:delivered:{}",
            hex(&Sha256::digest(key.as_bytes()))
        )
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
            match self.command(&[b"GET", k.as_bytes()]).await {
                Ok(Reply::Bulk(v)) if v == PENDING => {
                    if Instant::now() >= deadline {
                        return Err(Missed::Unavailable(run));
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                    continue;
                }
                Ok(Reply::Bulk(v)) => match decode(&v) {
                    Some(stored) => return Ok(stored),
                    None => return Err(Missed::Unavailable(run)),
                },
                Ok(Reply::Nil) => {}
                Ok(_) | Err(_) => return Err(Missed::Unavailable(run)),
            }
            let lease = self.lease.as_millis().to_string();
            match self
                .command(&[
                    b"SET",
                    k.as_bytes(),
                    PENDING,
                    b"NX",
                    b"PX",
                    lease.as_bytes(),
                ])
                .await
            {
                Ok(Reply::Ok) => break,
                Ok(Reply::Nil) => continue, // another instance took it first
                _ => return Err(Missed::Unavailable(run)),
            }
        }
        match run().await {
            Ok(stored) => {
                let ttl = self.ttl.as_millis().to_string();
                let value = encode(&stored);
                if self
                    .command(&[b"SET", k.as_bytes(), &value, b"PX", ttl.as_bytes()])
                    .await
                    .is_err()
                {
                    tracing::warn!("redis: could not remember a delivery");
                }
                Ok(stored)
            }
            Err(e) => {
                let _ = self.command(&[b"DEL", k.as_bytes()]).await;
                Err(Missed::Failed(e))
            }
        }
    }
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
