//! Fixed-point numbers as the Cosmos SDK's `LegacyDec`: an unsigned integer
//! of atoms, 10^18 atoms to 1. No floats anywhere.
//!
//! On the protobuf wire the SDK writes a `LegacyDec` as its atoms
//! (`"100000000000000000"` is 0.1); in JSON and amino it writes the decimal
//! form (`"0.100000000000000000"`). [`Dec::parse`] reads both (a string with
//! a `.` is decimal, one without is atoms); [`Dec::to_atoms_string`] writes
//! the wire form and `Display` the decimal form (cosmos/cosmos-sdk#10863).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use thiserror::Error;

/// Atoms in one: 10^18.
pub const DEC_ONE_ATOMS: u128 = 1_000_000_000_000_000_000;

/// Digits after the point.
pub const DEC_PRECISION: usize = 18;

/// A non-negative fixed-point number with 18 decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dec(u128);

/// A decimal that could not be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{text:?} is not a non-negative decimal with at most 18 digits after the point: {reason}")]
pub struct DecError {
    /// What was given.
    pub text: String,
    /// What is wrong.
    pub reason: &'static str,
}

impl Dec {
    /// Zero.
    pub const ZERO: Dec = Dec(0);
    /// One.
    pub const ONE: Dec = Dec(DEC_ONE_ATOMS);

    /// The number with `atoms` atoms (10^-18 each).
    pub const fn from_atoms(atoms: u128) -> Self {
        Dec(atoms)
    }

    /// The whole number `n`, or `None` if it overflows.
    pub fn from_int(n: u128) -> Option<Self> {
        n.checked_mul(DEC_ONE_ATOMS).map(Dec)
    }

    /// `numerator / denominator`, truncated; `None` for a zero denominator.
    pub fn ratio(numerator: u128, denominator: u128) -> Option<Self> {
        mul_div_floor(numerator, DEC_ONE_ATOMS, denominator).map(Dec)
    }

    /// The atoms.
    pub const fn atoms(self) -> u128 {
        self.0
    }

    /// Whether this is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Dec) -> Option<Dec> {
        self.0.checked_add(other.0).map(Dec)
    }

    /// `self - other`, or `None` if negative.
    pub fn checked_sub(self, other: Dec) -> Option<Dec> {
        self.0.checked_sub(other.0).map(Dec)
    }

    /// The whole part (truncated).
    pub const fn truncate(self) -> u128 {
        self.0 / DEC_ONE_ATOMS
    }

    /// `amount × self`, truncated to an integer (e.g. a commission of an
    /// amount); `None` on overflow.
    pub fn mul_int_floor(self, amount: u128) -> Option<u128> {
        mul_div_floor(amount, self.0, DEC_ONE_ATOMS)
    }

    /// `amount × self`, rounded up to an integer; `None` on overflow.
    pub fn mul_int_ceil(self, amount: u128) -> Option<u128> {
        mul_div_ceil(amount, self.0, DEC_ONE_ATOMS)
    }

    /// Parses the decimal form (`"0.05"`) or the atoms form (`"50000000000000000"`).
    pub fn parse(text: &str) -> Result<Self, DecError> {
        let err = |reason| DecError {
            text: text.chars().take(64).collect(),
            reason,
        };
        if text.is_empty() {
            return Err(err("empty"));
        }
        let (whole, fraction) = match text.split_once('.') {
            None => {
                if !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err("not digits"));
                }
                return text.parse::<u128>().map(Dec).map_err(|_| err("too large"));
            }
            Some(parts) => parts,
        };
        if whole.is_empty()
            || fraction.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(err("not digits.digits"));
        }
        if fraction.len() > DEC_PRECISION {
            return Err(err("more than 18 digits after the point"));
        }
        let whole: u128 = whole.parse().map_err(|_| err("too large"))?;
        let mut fraction_atoms: u128 = fraction.parse().map_err(|_| err("too large"))?;
        for _ in fraction.len()..DEC_PRECISION {
            fraction_atoms *= 10;
        }
        whole
            .checked_mul(DEC_ONE_ATOMS)
            .and_then(|w| w.checked_add(fraction_atoms))
            .map(Dec)
            .ok_or_else(|| err("too large"))
    }

    /// The protobuf wire form: the atoms as a decimal integer.
    pub fn to_atoms_string(self) -> String {
        self.0.to_string()
    }
}

impl fmt::Display for Dec {
    /// The decimal form with all 18 digits, as the SDK prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:018}",
            self.0 / DEC_ONE_ATOMS,
            self.0 % DEC_ONE_ATOMS
        )
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Dec::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `a × b / c` rounded down, computed without intermediate overflow;
/// `None` if `c` is zero or the result does not fit a u128.
pub fn mul_div_floor(a: u128, b: u128, c: u128) -> Option<u128> {
    if c == 0 {
        return None;
    }
    let (high, low) = mul_wide(a, b);
    div_wide(high, low, c).map(|(quotient, _)| quotient)
}

/// `a × b / c` rounded up; `None` if `c` is zero or the result overflows.
pub fn mul_div_ceil(a: u128, b: u128, c: u128) -> Option<u128> {
    if c == 0 {
        return None;
    }
    let (high, low) = mul_wide(a, b);
    let (quotient, remainder) = div_wide(high, low, c)?;
    if remainder == 0 {
        Some(quotient)
    } else {
        quotient.checked_add(1)
    }
}

/// The 256-bit product `a × b` as `(high, low)` 128-bit halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a_hi, a_lo) = (a >> 64, a & MASK);
    let (b_hi, b_lo) = (b >> 64, b & MASK);
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_hi = a_hi * b_hi;
    let middle = (lo_lo >> 64) + (hi_lo & MASK) + (lo_hi & MASK);
    let low = (middle << 64) | (lo_lo & MASK);
    let high = hi_hi + (hi_lo >> 64) + (lo_hi >> 64) + (middle >> 64);
    (high, low)
}

/// `(high ‖ low) / divisor` as `(quotient, remainder)` if the quotient fits
/// 128 bits (`high < divisor`). Binary long division: 128 steps.
fn div_wide(high: u128, low: u128, divisor: u128) -> Option<(u128, u128)> {
    if high >= divisor {
        return None;
    }
    if high == 0 {
        return Some((low / divisor, low % divisor));
    }
    let mut remainder = high;
    let mut quotient: u128 = 0;
    for bit in (0..128).rev() {
        let carry = remainder >> 127;
        remainder = (remainder << 1) | ((low >> bit) & 1);
        quotient <<= 1;
        // The true remainder is `carry ‖ remainder` (129 bits); subtract the
        // divisor whenever it fits.
        if carry == 1 || remainder >= divisor {
            remainder = remainder.wrapping_sub(divisor);
            quotient |= 1;
        }
    }
    Some((quotient, remainder))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_and_prints_both() {
        let tenth = Dec::parse("0.1").unwrap();
        assert_eq!(tenth, Dec::parse("100000000000000000").unwrap());
        assert_eq!(tenth, Dec::parse("0.100000000000000000").unwrap());
        assert_eq!(tenth.to_string(), "0.100000000000000000");
        assert_eq!(tenth.to_atoms_string(), "100000000000000000");
        assert_eq!(Dec::parse("1").unwrap(), Dec::from_atoms(1));
        assert_eq!(Dec::parse("1.0").unwrap(), Dec::ONE);
        assert_eq!(
            Dec::parse("2.5").unwrap().to_string(),
            "2.500000000000000000"
        );
        for bad in [
            "",
            ".",
            "1.",
            ".5",
            "-1",
            "0.1e3",
            "1.2.3",
            " 1",
            "0.0000000000000000001",
            "340282366920938463463374607431768211456",
        ] {
            assert!(Dec::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn serde_is_the_decimal_form() {
        let json = serde_json::to_string(&Dec::parse("0.05").unwrap()).unwrap();
        assert_eq!(json, "\"0.050000000000000000\"");
        let back: Dec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Dec::parse("0.05").unwrap());
    }

    #[test]
    fn mul_div_matches_exact_arithmetic() {
        let cases: [(u128, u128, u128); 8] = [
            (0, 5, 3),
            (7, 5, 3),
            (u128::MAX, 1, 1),
            (u128::MAX, u128::MAX, u128::MAX),
            (u128::MAX, 3, 4),
            (1 << 100, 1 << 100, 1 << 90),
            (123_456_789_012_345_678_901_234, DEC_ONE_ATOMS, 987_654_321),
            (u128::MAX - 1, u128::MAX - 2, u128::MAX),
        ];
        for (a, b, c) in cases {
            let got = mul_div_floor(a, b, c);
            // Reference: split a = q·c + r so a·b/c = q·b + r·b/c (exact when
            // it fits), checked on the small cases by plain u128 arithmetic.
            if let Some(product) = a.checked_mul(b) {
                assert_eq!(got, Some(product / c), "{a}×{b}/{c}");
            }
        }
        assert_eq!(
            mul_div_floor(u128::MAX, u128::MAX, u128::MAX),
            Some(u128::MAX)
        );
        assert_eq!(mul_div_floor(u128::MAX, 3, 4), Some(u128::MAX / 4 * 3 + 2));
        assert_eq!(mul_div_floor(1 << 100, 1 << 100, 1 << 90), Some(1 << 110));
        assert_eq!(mul_div_floor(u128::MAX, 2, 1), None);
        assert_eq!(mul_div_floor(1, 1, 0), None);
        assert_eq!(mul_div_ceil(7, 5, 3), Some(12));
        assert_eq!(mul_div_ceil(6, 5, 3), Some(10));
    }

    #[test]
    fn multiplying_amounts() {
        let five_percent = Dec::parse("0.05").unwrap();
        assert_eq!(five_percent.mul_int_floor(1_000_001), Some(50_000));
        assert_eq!(five_percent.mul_int_ceil(1_000_001), Some(50_001));
        assert_eq!(
            Dec::ratio(1, 3).unwrap().to_string(),
            "0.333333333333333333"
        );
        assert_eq!(Dec::ratio(1, 0), None);
    }
}
