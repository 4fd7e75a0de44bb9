//! When to try again: retry backoff and poll intervals, as pure functions.

/// The longest we ever wait between attempts.
pub const MAX_BACKOFF_MS: f64 = 60_000.0;
/// The first retry comes after about this long.
pub const BASE_BACKOFF_MS: f64 = 1_000.0;
/// The longest `Retry-After` honoured. A longer one (or a wrong one, up to `u32::MAX`
/// seconds) would park the message until the visitor went offline and online again; five
/// minutes covers real rate-limit windows, and the worst a too-early retry costs is one more 429.
pub const MAX_RETRY_AFTER_MS: f64 = 300_000.0;

/// Delay before attempt number `attempt` (1 = first retry): exponential with "equal jitter"
/// (half fixed, half random) so that many visitors cut off together do not retry in lockstep.
/// `retry_after_s`, from a 429/503, is a floor, itself capped at [`MAX_RETRY_AFTER_MS`].
/// `jitter` is in `[0, 1)`.
pub fn backoff_ms(attempt: u32, retry_after_s: Option<u32>, jitter: f64) -> f64 {
    let exp = BASE_BACKOFF_MS * 2f64.powi(attempt.saturating_sub(1).min(16) as i32);
    let capped = exp.min(MAX_BACKOFF_MS);
    let delay = capped / 2.0 + capped / 2.0 * jitter.clamp(0.0, 1.0);
    match retry_after_s {
        Some(s) => delay.max((s as f64 * 1000.0).min(MAX_RETRY_AFTER_MS)),
        None => delay,
    }
}

/// A deterministic jitter in `[0, 1)` from a seed (the visitor id) and the attempt number:
/// different across visitors, reproducible in tests.
pub fn jitter(seed: &str, attempt: u32) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ attempt as u64;
    for b in seed.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    (h % 10_000) as f64 / 10_000.0
}
