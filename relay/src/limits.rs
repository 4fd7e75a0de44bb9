//! In-process rate limits (token buckets) and the memory of delivered `client_id`s.
//!
//! Both live in this process. The rate limits stay per instance (several instances behind a load
//! balancer each keep their own); the memory of deliveries is shared over Redis when `redis_url`
//! is set (`redis.rs`), and this one serves when Redis is not configured or unavailable.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Keys kept before idle buckets are swept.
const SWEEP_AT: usize = 50_000;

/// Each key's tokens and when they were counted.
type Buckets = HashMap<String, (f64, Instant)>;

/// A token bucket per key: `burst` requests at once, refilled at `per_minute`.
pub struct RateLimiter {
    per_sec: f64,
    burst: f64,
    /// The buckets, and the size at which idle ones are swept next (doubling, so sweeps stay
    /// amortised O(1) even when most buckets are busy).
    buckets: Mutex<(Buckets, usize)>,
}

impl RateLimiter {
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_sec: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new((HashMap::new(), SWEEP_AT)),
        }
    }

    /// Takes one token for `key`; `Err(seconds)` to wait when there is none.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    /// [`check`](Self::check) at `now`, so tests can set the time.
    fn check_at(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut guard = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (buckets, next_sweep) = &mut *guard;
        if buckets.len() >= *next_sweep && !buckets.contains_key(key) {
            // Drop the buckets that have refilled: they hold no information.
            let (per_sec, burst) = (self.per_sec, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_sec < burst
            });
            *next_sweep = (buckets.len() * 2).max(SWEEP_AT);
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        let refilled =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_sec).min(self.burst);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            Err(((1.0 - refilled) / self.per_sec).ceil().max(1.0) as u64)
        }
    }
}

/// A remembered answer: status and JSON body.
pub type Stored = (u16, Arc<serde_json::Value>);

struct Entry {
    at: Instant,
    cell: Arc<tokio::sync::OnceCell<Stored>>,
}

/// The entries, and their keys oldest first (for expiry and the capacity bound).
type Memory = (HashMap<String, Entry>, VecDeque<(Instant, String)>);

/// The first successful answer for each key (visitor, conversation, `client_id`), for a bounded
/// time and number of keys. A retry gets that answer instead of a second delivery; a retry that
/// arrives while the first is still in flight waits for it. Failures are not remembered: the
/// retry tries again.
pub struct Delivered {
    ttl: Duration,
    capacity: usize,
    inner: Mutex<Memory>,
}

impl Delivered {
    pub fn new(ttl: Duration, capacity: usize) -> Delivered {
        Delivered {
            ttl,
            capacity: capacity.max(1),
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    fn cell(&self, key: &str) -> Arc<tokio::sync::OnceCell<Stored>> {
        let now = Instant::now();
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (map, order) = &mut *guard;
        // Forget the expired, and the oldest beyond capacity.
        while let Some((at, _)) = order.front() {
            let expired = now.duration_since(*at) >= self.ttl;
            if !expired && map.len() < self.capacity {
                break;
            }
            let (at, k) = order.pop_front().expect("front exists");
            if map.get(&k).is_some_and(|e| e.at == at) {
                map.remove(&k);
            }
        }
        if let Some(e) = map.get(key) {
            return e.cell.clone();
        }
        let cell = Arc::new(tokio::sync::OnceCell::new());
        map.insert(
            key.to_string(),
            Entry {
                at: now,
                cell: cell.clone(),
            },
        );
        order.push_back((now, key.to_string()));
        cell
    }

    /// The remembered answer for `key`, or the one `run` gives (remembered when it succeeds).
    pub async fn once<E, F, Fut>(&self, key: &str, run: F) -> Result<Stored, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Stored, E>>,
    {
        let cell = self.cell(key);
        cell.get_or_try_init(run).await.cloned()
    }

    /// The answer remembered for `key`, without taking the key when there is none: a delivery
    /// of it still in flight is waited for; `None` when nothing was delivered (or it failed, or
    /// was forgotten).
    pub async fn get(&self, key: &str) -> Option<Stored> {
        let cell = {
            let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            let entry = guard.0.get(key)?;
            if entry.at.elapsed() >= self.ttl {
                return None;
            }
            entry.cell.clone()
        };
        // Waits while another task initializes the cell; when it is empty, this gives up at once
        // and leaves it empty.
        cell.get_or_try_init(|| async { Err(()) })
            .await
            .ok()
            .cloned()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refuses() {
        let l = RateLimiter::new(60, 3);
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        assert_eq!(l.check("a"), Err(1));
        assert!(l.check("b").is_ok());
    }

    #[test]
    fn idle_buckets_are_swept() {
        // Refills in a microsecond, and each check comes a microsecond after the one before:
        // every older bucket is idle by the time the sweep runs.
        let l = RateLimiter::new(60_000_000, 1);
        let start = Instant::now();
        let at = |micros: usize| start + Duration::from_micros(micros as u64);
        for i in 0..=SWEEP_AT {
            l.check_at(&i.to_string(), at(i)).unwrap();
        }
        l.check_at("new", at(SWEEP_AT + 2_000)).unwrap();
        let guard = l.buckets.lock().unwrap();
        assert!(guard.0.len() < 10, "{}", guard.0.len());
    }

    #[tokio::test]
    async fn delivered_remembers_success_only_and_is_bounded() {
        let d = Delivered::new(Duration::from_secs(60), 2);
        let r: Result<Stored, ()> = d.once("k", || async { Err(()) }).await;
        assert!(r.is_err());
        let first: Result<Stored, ()> = d
            .once("k", || async { Ok((201, Arc::new(serde_json::json!(1)))) })
            .await;
        let again: Result<Stored, ()> = d
            .once("k", || async { Ok((201, Arc::new(serde_json::json!(2)))) })
            .await;
        assert_eq!(first.unwrap().1, again.unwrap().1);
        for k in ["x", "y", "z"] {
            let _: Result<Stored, ()> = d
                .once(k, || async { Ok((200, Arc::new(serde_json::json!(0)))) })
                .await;
        }
        assert!(d.len() <= 2);
    }

    #[tokio::test]
    async fn get_reads_without_taking_the_key_and_waits_for_one_in_flight() {
        let d = Arc::new(Delivered::new(Duration::from_secs(60), 10));
        assert_eq!(d.get("k").await, None);
        assert!(d.is_empty(), "a miss takes no key");
        // A failed delivery leaves nothing to read, and the key still free.
        let _: Result<Stored, ()> = d.once("k", || async { Err(()) }).await;
        assert_eq!(d.get("k").await, None);
        let (started, start) = tokio::sync::oneshot::channel::<()>();
        let (finish, finished) = tokio::sync::oneshot::channel::<()>();
        let delivering = {
            let d = d.clone();
            tokio::spawn(async move {
                let _: Result<Stored, ()> = d
                    .once("k", || async move {
                        let _ = started.send(());
                        let _ = finished.await;
                        Ok((201, Arc::new(serde_json::json!("first"))))
                    })
                    .await;
            })
        };
        start.await.unwrap();
        let reading = {
            let d = d.clone();
            tokio::spawn(async move { d.get("k").await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!reading.is_finished(), "waits for the delivery in flight");
        finish.send(()).unwrap();
        delivering.await.unwrap();
        let read = reading.await.unwrap().expect("the delivered answer");
        assert_eq!(read.1, Arc::new(serde_json::json!("first")));
        // Expired: not read.
        let short = Delivered::new(Duration::from_millis(1), 10);
        let _: Result<Stored, ()> = short
            .once("k", || async { Ok((201, Arc::new(serde_json::json!(1)))) })
            .await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(short.get("k").await, None);
    }
}
