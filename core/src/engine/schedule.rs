//! When to try again: retry backoff and poll intervals, as pure functions.

use crate::backoff::Backoff;
use crate::hash::Fnv1a;

/// The longest we ever wait between attempts.
pub const MAX_BACKOFF_MS: f64 = 60_000.0;
/// The first retry comes after about this long.
pub const BASE_BACKOFF_MS: f64 = 1_000.0;
/// The longest `Retry-After` honoured. A longer one (or a wrong one, up to `u32::MAX`
/// seconds) would park the message until the visitor went offline and online again; five
/// minutes covers real rate-limit windows, and the worst a too-early retry costs is one more 429.
pub const MAX_RETRY_AFTER_MS: f64 = 300_000.0;

/// The engine's retry schedule: from about a second, doubling, up to [`MAX_BACKOFF_MS`], half of
/// each wait random.
const RETRY: Backoff = Backoff {
    min_ms: BASE_BACKOFF_MS,
    max_ms: MAX_BACKOFF_MS,
    factor: 2.0,
    jitter: 0.5,
};

/// Delay before attempt number `attempt` (1 = first retry): exponential with "equal jitter"
/// (half fixed, half random) so that many visitors cut off together do not retry in lockstep.
/// `retry_after_s`, from a 429/503, is a floor, itself capped at [`MAX_RETRY_AFTER_MS`].
/// `jitter` is in `[0, 1)`.
pub fn backoff_ms(attempt: u32, retry_after_s: Option<u32>, jitter: f64) -> f64 {
    let delay = RETRY.delay_ms(attempt, jitter);
    match retry_after_s {
        Some(s) => delay.max((s as f64 * 1000.0).min(MAX_RETRY_AFTER_MS)),
        None => delay,
    }
}

/// A deterministic jitter in `[0, 1)` from a seed (the visitor id) and the attempt number:
/// different across visitors, reproducible in tests.
pub fn jitter(seed: &str, attempt: u32) -> f64 {
    let mut h = Fnv1a::seeded(u64::from(attempt))
        .write(seed.as_bytes())
        .finish();
    h ^= h >> 33;
    (h % 10_000) as f64 / 10_000.0
}
