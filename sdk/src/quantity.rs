//! Kubernetes resource quantities (`500m`, `0.5`, `1Gi`, `1024Mi`, `1e3`) parsed exactly.
//!
//! A quantity is held as an integer count of nano-units, so `1Gi == 1024Mi` and
//! `500m == 0.5` compare equal without floating-point error.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A parsed Kubernetes quantity, exact to 1e-9 of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quantity {
    nanos: i128,
}

/// Why a string is not a Kubernetes quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a Kubernetes quantity: {reason}")]
pub struct QuantityError {
    /// The text that failed to parse.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

const NANOS_PER_UNIT: i128 = 1_000_000_000;

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity { nanos: 0 };

    /// Parses a quantity string (see the module docs for the accepted forms).
    pub fn parse(input: &str) -> Result<Quantity, QuantityError> {
        let err = |reason| QuantityError {
            input: input.to_string(),
            reason,
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err("empty"));
        }
        let (negative, s) = match s.as_bytes()[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let number_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (number, suffix) = s.split_at(number_end);
        if number.is_empty() || number == "." {
            return Err(err("no digits"));
        }
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        if frac_part.contains('.') {
            return Err(err("more than one decimal point"));
        }
        // Mantissa as an integer with `scale` decimal digits after the point.
        let mantissa = mantissa_of(int_part, frac_part).ok_or_else(|| err("number too large"))?;
        let scale = frac_part.len() as i32;
        let (binary_multiplier, decimal_exponent) =
            parse_suffix(suffix).ok_or_else(|| err("unknown suffix"))?;
        // value = mantissa * 10^(decimal_exponent - scale) * binary_multiplier, in units.
        let exponent = decimal_exponent - scale + 9;
        let mut nanos = mantissa
            .checked_mul(binary_multiplier)
            .ok_or_else(|| err("number too large"))?;
        if exponent >= 0 {
            nanos = 10i128
                .checked_pow(exponent as u32)
                .and_then(|p| nanos.checked_mul(p))
                .ok_or_else(|| err("number too large"))?;
        } else {
            // Kubernetes rounds up values finer than its precision.
            let divisor = 10i128
                .checked_pow((-exponent) as u32)
                .ok_or_else(|| err("too many decimal places"))?;
            nanos = (nanos + divisor - 1) / divisor;
        }
        Ok(Quantity {
            nanos: if negative { -nanos } else { nanos },
        })
    }

    /// Builds a quantity from milli-units (`500` → `500m`).
    pub fn from_millis(millis: i64) -> Quantity {
        Quantity {
            nanos: millis as i128 * 1_000_000,
        }
    }

    /// Builds a quantity from whole units (bytes for memory, cores for CPU).
    pub fn from_units(units: i64) -> Quantity {
        Quantity {
            nanos: units as i128 * NANOS_PER_UNIT,
        }
    }

    /// The value in milli-units, rounded up (CPU is usually read so).
    pub fn millis(&self) -> i128 {
        self.nanos_rounded_up(1_000_000)
    }

    /// The value in whole units, rounded up (memory in bytes).
    pub fn units(&self) -> i128 {
        self.nanos_rounded_up(NANOS_PER_UNIT as i64)
    }

    /// `nanos / per`, rounded up; in 64-bit arithmetic when it fits (128-bit division
    /// is a library call, in wasm even the multiplication).
    fn nanos_rounded_up(&self, per: i64) -> i128 {
        const FITS: i128 = (i64::MAX / 2) as i128;
        if (-FITS..=FITS).contains(&self.nanos) {
            return (self.nanos as i64 + per - 1).div_euclid(per) as i128;
        }
        (self.nanos + per as i128 - 1).div_euclid(per as i128)
    }

    /// The value as a float, for ratios and display.
    pub fn as_f64(&self) -> f64 {
        self.nanos as f64 / NANOS_PER_UNIT as f64
    }

    /// True when the quantity is zero.
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// `self / other` as a float; `None` when `other` is zero.
    pub fn ratio_to(&self, other: &Quantity) -> Option<f64> {
        (other.nanos != 0).then(|| self.nanos as f64 / other.nanos as f64)
    }
}

/// The digits of `int_part` then `frac_part` (ASCII digits only) as one integer;
/// `None` when it does not fit.
fn mantissa_of(int_part: &str, frac_part: &str) -> Option<i128> {
    let mut digits = int_part.bytes().chain(frac_part.bytes()).map(|b| b - b'0');
    if int_part.len() + frac_part.len() <= 18 {
        // At most 18 digits cannot overflow 64 bits.
        return Some(digits.fold(0u64, |m, d| m * 10 + d as u64) as i128);
    }
    digits.try_fold(0i128, |m, d| m.checked_mul(10)?.checked_add(d as i128))
}

/// Returns (binary multiplier, decimal exponent) for a suffix.
fn parse_suffix(suffix: &str) -> Option<(i128, i32)> {
    let binary = |power: u32| Some((1i128 << power, 0));
    match suffix {
        "" => Some((1, 0)),
        "n" => Some((1, -9)),
        "u" => Some((1, -6)),
        "m" => Some((1, -3)),
        "k" => Some((1, 3)),
        "M" => Some((1, 6)),
        "G" => Some((1, 9)),
        "T" => Some((1, 12)),
        "P" => Some((1, 15)),
        "E" => Some((1, 18)),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            let exp = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))?;
            let exp: i32 = exp.parse().ok()?;
            (-30..=30).contains(&exp).then_some((1, exp))
        }
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl fmt::Display for Quantity {
    /// Canonical-ish form: whole units when exact, else milli-units, else nano-units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos % NANOS_PER_UNIT == 0 {
            write!(f, "{}", self.nanos / NANOS_PER_UNIT)
        } else if self.nanos % 1_000_000 == 0 {
            write!(f, "{}m", self.nanos / 1_000_000)
        } else {
            write!(f, "{}n", self.nanos)
        }
    }
}

impl<'de> serde::Deserialize<'de> for Quantity {
    /// Accepts a string (`"500m"`) or a JSON number (`2`, `0.5`), as Kubernetes does.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(QuantityVisitor)
    }
}

/// Reads a quantity from a string or a number without buffering the value.
struct QuantityVisitor;

impl serde::de::Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes quantity (a string like \"500m\" or a number)")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Quantity, E> {
        Quantity::parse(s).map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, i: i64) -> Result<Quantity, E> {
        Ok(Quantity::from_units(i))
    }

    fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<Quantity, E> {
        Ok(Quantity {
            nanos: u as i128 * NANOS_PER_UNIT,
        })
    }

    fn visit_f64<E: serde::de::Error>(self, x: f64) -> Result<Quantity, E> {
        Quantity::parse(&x.to_string()).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn milli_and_decimal_cpu_are_equal() {
        assert_eq!(q("500m"), q("0.5"));
        assert_eq!(q("1"), q("1000m"));
        assert_eq!(q("0.5").millis(), 500);
        assert_eq!(q(".5"), q("500m"));
    }

    #[test]
    fn binary_suffixes_compare_exactly() {
        assert_eq!(q("1Gi"), q("1024Mi"));
        assert_eq!(q("1Mi").units(), 1_048_576);
        assert!(q("1G") < q("1Gi"));
        assert!(q("1000Mi") < q("1Gi"));
    }

    #[test]
    fn exponent_forms() {
        assert_eq!(q("1e3"), q("1k"));
        assert_eq!(q("1E3"), q("1000"));
        assert_eq!(q("5e-3"), q("5m"));
        assert_eq!(q("1.5e3"), q("1500"));
    }

    #[test]
    fn numbers_from_json_parse() {
        let v: Quantity = serde_json::from_str("2").unwrap();
        assert_eq!(v, q("2"));
        let v: Quantity = serde_json::from_str("0.25").unwrap();
        assert_eq!(v, q("250m"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "abc", "1.2.3", "12Qi", "m", "1e99", "--1"] {
            assert!(Quantity::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn rounds_sub_nano_up_and_displays() {
        assert_eq!(q("0.0000000001").to_string(), "1n");
        assert_eq!(q("250m").to_string(), "250m");
        assert_eq!(q("2Ki").to_string(), "2048");
        assert_eq!(q("-1").to_string(), "-1");
    }

    #[test]
    fn ratio() {
        assert_eq!(q("2").ratio_to(&q("500m")), Some(4.0));
        assert_eq!(q("2").ratio_to(&Quantity::ZERO), None);
    }

    #[test]
    fn rounds_up_the_same_beyond_64_bits() {
        // 16Ei of nanos is past i64: the 128-bit path must agree with the fast one.
        assert_eq!(q("16Ei").units(), 16i128 << 60);
        assert_eq!(q("16Ei").millis(), (16i128 << 60) * 1000);
        assert_eq!(q("1.5n").units(), 1);
        assert_eq!(q("-1.5").units(), -1);
        assert_eq!(q("-1500m").millis(), -1500);
        assert_eq!(
            q("123456789012345678901234").units(),
            123456789012345678901234
        );
        assert!(Quantity::parse("1234567890123456789012345678901234567890").is_err());
    }

    #[test]
    fn deserialises_strings_and_numbers() {
        let read = |json: &str| serde_json::from_str::<Quantity>(json);
        assert_eq!(read(r#""500m""#).unwrap(), q("0.5"));
        assert_eq!(read("2").unwrap(), q("2"));
        assert_eq!(read("-3").unwrap(), q("-3"));
        assert_eq!(read("0.25").unwrap(), q("250m"));
        assert_eq!(
            read("18446744073709551615").unwrap(),
            q("18446744073709551615")
        );
        let bad = read(r#""lots""#).unwrap_err().to_string();
        assert!(bad.contains("`lots` is not a Kubernetes quantity"), "{bad}");
        let wrong_type = read("[1]").unwrap_err().to_string();
        assert!(wrong_type.contains("a Kubernetes quantity"), "{wrong_type}");
    }
}
