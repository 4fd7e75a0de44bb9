//! When to try again after a failure: exponential, capped, with "equal jitter" (part fixed,
//! part random), so that every visitor of a site cut off at once does not come back in the same
//! millisecond. One rule for the engine's send retries and the push socket's reconnects.

/// The shape of a backoff schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// The first retry comes after at most this long.
    pub min_ms: f64,
    /// No wait is ever longer.
    pub max_ms: f64,
    /// Growth per attempt.
    pub factor: f64,
    /// Share of each wait that is random, in `[0, 1]`.
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            min_ms: 1_000.0,
            max_ms: 30_000.0,
            factor: 2.0,
            jitter: 0.5,
        }
    }
}

impl Backoff {
    /// The wait before attempt `attempt` (1 = the first retry), with `random` in `[0, 1)`.
    /// Always within `[(1 - jitter) × step, step]` where
    /// `step = min(min_ms × factor^(attempt-1), max_ms)`.
    pub fn delay_ms(&self, attempt: u32, random: f64) -> f64 {
        let exponent = attempt.saturating_sub(1).min(60) as i32;
        let step = (self.min_ms * self.factor.powi(exponent)).min(self.max_ms);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        (step * (1.0 - jitter) + step * jitter * random).max(0.0)
    }
}
