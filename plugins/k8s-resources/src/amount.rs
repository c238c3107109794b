//! Integer amounts of CPU (millicores) and memory (bytes): scaling, clamping and
//! formatting back into valid Kubernetes quantities for evidence and hints.

use std::fmt;
use std::ops::{Div, Rem};

use aiops_sdk::Quantity;

/// How amounts of one resource are counted and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// CPU, counted in millicores (the finest precision Kubernetes keeps) and written
    /// as whole cores (`2`) or millicores (`500m`).
    Millicores,
    /// Memory, counted in bytes and written with the shortest exact suffix (`256Mi`, `1G`).
    Bytes,
}

/// Suffixes tried for byte amounts, binary first so they win ties.
const BYTE_SUFFIXES: [(&str, i64); 12] = [
    ("Ei", 1 << 60),
    ("Pi", 1 << 50),
    ("Ti", 1 << 40),
    ("Gi", 1 << 30),
    ("Mi", 1 << 20),
    ("Ki", 1 << 10),
    ("E", 1_000_000_000_000_000_000),
    ("P", 1_000_000_000_000_000),
    ("T", 1_000_000_000_000),
    ("G", 1_000_000_000),
    ("M", 1_000_000),
    ("k", 1_000),
];

impl Unit {
    /// The quantity as a whole count of this unit, rounded up.
    pub fn count(self, q: &Quantity) -> i128 {
        match self {
            Unit::Millicores => q.millis(),
            Unit::Bytes => q.units(),
        }
    }

    /// Writes a count as a valid Kubernetes quantity.
    pub fn format(self, count: i128) -> String {
        // 64-bit arithmetic when it fits: 128-bit division is a library call (in wasm,
        // multiplication too).
        match i64::try_from(count) {
            Ok(count) => self.format_count(count),
            Err(_) => self.format_count(count),
        }
    }

    fn format_count<C: Count>(self, count: C) -> String {
        let thousand = C::from_size(1000);
        match self {
            Unit::Millicores if count % thousand == C::ZERO => (count / thousand).to_string(),
            Unit::Millicores => with_suffix(count, "m"),
            Unit::Bytes => shortest_with_suffix(count),
        }
    }

    /// Writes a quantity the way this unit reads best.
    pub fn show(self, q: &Quantity) -> String {
        self.format(self.count(q))
    }
}

/// An integer type byte counts are written from.
trait Count: Copy + fmt::Display + PartialEq + Rem<Output = Self> + Div<Output = Self> {
    const ZERO: Self;
    /// The same number in this type.
    fn from_size(size: i64) -> Self;
    /// Characters the number takes written in decimal.
    fn decimal_len(self) -> usize;
}

/// Implements [`Count`] for primitive signed integers.
macro_rules! impl_count {
    ($($int:ty),*) => {$(
        impl Count for $int {
            const ZERO: Self = 0;
            fn from_size(size: i64) -> Self {
                size.into()
            }
            fn decimal_len(self) -> usize {
                let digits = self.unsigned_abs().checked_ilog10().map_or(1, |l| l as usize + 1);
                digits + usize::from(self < 0)
            }
        }
    )*};
}

impl_count!(i64, i128);

/// `count` with the suffix of [`BYTE_SUFFIXES`] that writes it shortest (exactly), or
/// plain when none is shorter.
fn shortest_with_suffix<C: Count>(count: C) -> String {
    let mut best: Option<(C, &str)> = None;
    let mut best_len = count.decimal_len();
    for (suffix, size) in BYTE_SUFFIXES {
        let size = C::from_size(size);
        if count != C::ZERO && count % size == C::ZERO {
            let value = count / size;
            let len = value.decimal_len() + suffix.len();
            if len < best_len {
                best = Some((value, suffix));
                best_len = len;
            }
        }
    }
    match best {
        Some((value, suffix)) => with_suffix(value, suffix),
        None => count.to_string(),
    }
}

/// `value` in decimal followed by `suffix` (without `format!`'s machinery).
fn with_suffix<C: Count>(value: C, suffix: &str) -> String {
    let mut text = value.to_string();
    text.push_str(suffix);
    text
}

/// `count × factor`, rounded down (`up == false`) or up, tolerant of float noise.
pub fn scale(count: i128, factor: f64, up: bool) -> i128 {
    let exact = count as f64 * factor;
    if up {
        (exact - 1e-6).ceil() as i128
    } else {
        (exact + 1e-6).floor() as i128
    }
}

/// Formats a ratio with at most two decimals and no trailing zeros (`4`, `8.39`).
pub fn format_ratio(ratio: f64) -> String {
    let text = format!("{ratio:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn formats_cpu_as_cores_or_millicores() {
        assert_eq!(Unit::Millicores.show(&q("0.5")), "500m");
        assert_eq!(Unit::Millicores.show(&q("2000m")), "2");
        assert_eq!(Unit::Millicores.show(&q("1e3")), "1000");
        assert_eq!(Unit::Millicores.format(0), "0");
        // Beyond 64 bits, the same rules in 128-bit arithmetic.
        assert_eq!(
            Unit::Millicores.format(i64::MAX as i128 * 1000),
            "9223372036854775807"
        );
        assert_eq!(Unit::Bytes.format(1i128 << 70), "1024Ei");
        assert_eq!(
            Unit::Bytes.format((1i128 << 70) + 1),
            "1180591620717411303425"
        );
    }

    #[test]
    fn formats_memory_with_the_shortest_exact_suffix() {
        assert_eq!(Unit::Bytes.show(&q("1024Mi")), "1Gi");
        assert_eq!(Unit::Bytes.show(&q("1e3")), "1k");
        assert_eq!(Unit::Bytes.show(&q("400M")), "400M");
        assert_eq!(Unit::Bytes.show(&q("1536Mi")), "1536Mi");
        assert_eq!(Unit::Bytes.format(1023), "1023");
        assert_eq!(Unit::Bytes.format(0), "0");
        assert_eq!(Unit::Bytes.format(-2048), "-2Ki");
        assert_eq!(Unit::Bytes.format(99_999), "99999");
        assert_eq!(Unit::Bytes.format(100_000), "100k");
        for s in ["1Gi", "1k", "400M", "1536Mi", "1023"] {
            assert_eq!(Quantity::parse(&Unit::Bytes.show(&q(s))).unwrap(), q(s));
        }
    }

    #[test]
    fn scales_and_rounds_in_the_asked_direction() {
        assert_eq!(scale(250, 4.0, false), 1000);
        assert_eq!(scale(100, 1.13, false), 113);
        assert_eq!(scale(1000, 1.0 / 3.0, true), 334);
        assert_eq!(scale(1000, 1.0 / 3.0, false), 333);
    }

    #[test]
    fn formats_ratios_compactly() {
        assert_eq!(format_ratio(4.0), "4");
        assert_eq!(format_ratio(8.388_608), "8.39");
        assert_eq!(format_ratio(4.5), "4.5");
    }
}
