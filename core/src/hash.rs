//! FNV-1a, a stable and dependency-free 64-bit hash: for ids a backend did not give, reproducible
//! jitter and varied canned replies. Stable across builds and versions (unlike `std`'s hasher,
//! which is randomly keyed), so ids derived from it stay the same once stored. Not for security.

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0100_0000_01b3;

/// An FNV-1a state: feed it bytes, read the hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(OFFSET_BASIS)
    }
}

impl Fnv1a {
    /// A state whose offset basis is varied by `seed` (`seed = 0` is plain FNV-1a).
    pub fn seeded(seed: u64) -> Self {
        Fnv1a(OFFSET_BASIS ^ seed)
    }

    pub fn write(self, bytes: &[u8]) -> Self {
        Fnv1a(
            bytes
                .iter()
                .fold(self.0, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME)),
        )
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}

/// The FNV-1a hash of `s`.
pub fn fnv1a(s: &str) -> u64 {
    Fnv1a::default().write(s.as_bytes()).finish()
}

/// The FNV-1a hash of several strings, each followed by a zero byte so that `["ab", "c"]` and
/// `["a", "bc"]` differ.
pub fn fnv1a_parts(parts: &[&str]) -> u64 {
    parts
        .iter()
        .fold(Fnv1a::default(), |h, part| {
            h.write(part.as_bytes()).write(&[0])
        })
        .finish()
}
