//! Helpers shared by the JSON and time tests: a seeded generator and hard decimal numbers.
// Each test crate uses a part of this.
#![allow(dead_code)]

/// xorshift64*: reproducible pseudo-random numbers without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    pub fn digit(&mut self) -> char {
        char::from(b'0' + self.below(10) as u8)
    }
}

/// Decimal digits of a big number, in base-10^9 limbs (least significant first).
struct Big(Vec<u64>);

impl Big {
    const LIMB: u64 = 1_000_000_000;

    fn mul(&mut self, m: u64) {
        let mut carry = 0;
        for limb in &mut self.0 {
            let x = *limb * m + carry;
            *limb = x % Self::LIMB;
            carry = x / Self::LIMB;
        }
        while carry > 0 {
            self.0.push(carry % Self::LIMB);
            carry /= Self::LIMB;
        }
    }

    fn digits(&self) -> String {
        let mut s = self.0.last().map_or("0".to_string(), u64::to_string);
        for limb in self.0.iter().rev().skip(1) {
            s.push_str(&format!("{limb:09}"));
        }
        s
    }
}

/// The exact decimal text of `m × 2^k`, e.g. `12345e-20`.
fn exact_decimal(m: u64, k: i32) -> String {
    let mut big = Big(vec![m % Big::LIMB, m / Big::LIMB]);
    // m × 2^k, or for k < 0 m × 5^-k × 10^k; multiplied in chunks that keep limbs in u64.
    let (factor, per_chunk): (u64, u32) = if k >= 0 { (2, 20) } else { (5, 12) };
    let steps = k.unsigned_abs();
    for _ in 0..steps / per_chunk {
        big.mul(factor.pow(per_chunk));
    }
    big.mul(factor.pow(steps % per_chunk));
    if k >= 0 {
        big.digits()
    } else {
        format!("{}e{k}", big.digits())
    }
}

/// Exactly halfway between two neighbouring doubles (normal or subnormal), or a hair above or
/// below it: the cases where rounding goes wrong if anywhere.
pub fn halfway(rng: &mut Rng) -> String {
    let (m, k) = if rng.chance(4) {
        (rng.below(1 << 53) | 1, -1075)
    } else {
        (
            (1 << 53) | rng.below(1 << 53) | 1,
            rng.below(2045) as i32 - 1075,
        )
    };
    let text = exact_decimal(m, k);
    let (digits, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    match rng.below(3) {
        0 => text,
        // A trailing 1 in the next place: just above halfway.
        1 => format!("{digits}1e{}", exp - 1),
        // A hair below: digits - 1 in the last place, followed by nines.
        _ => {
            let mut d: Vec<u8> = digits.bytes().collect();
            let mut i = d.len();
            while i > 0 {
                i -= 1;
                if d[i] == b'0' {
                    d[i] = b'9';
                } else {
                    d[i] -= 1;
                    break;
                }
            }
            let d = String::from_utf8(d).unwrap_or_default();
            let d = d.trim_start_matches('0');
            format!("{}999e{}", if d.is_empty() { "0" } else { d }, exp - 3)
        }
    }
}
