//! Calendar days: parsing `YYYY-MM-DD`, today's date from the wall clock, and ordering.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar day (proleptic Gregorian, UTC), ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day {
    /// Days since 1970-01-01.
    days: i64,
}

impl Day {
    /// The day `year-month-day`; panics on an impossible date (for the built-in tables).
    pub const fn ymd(year: i64, month: u32, day: u32) -> Day {
        assert!(month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month));
        Day {
            days: days_from_civil(year, month, day),
        }
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Day, String> {
        let bad = || format!("must be a date as YYYY-MM-DD, got `{text}`");
        let parts: Vec<&str> = text.split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year: i64 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        let day: u32 = d.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(bad());
        }
        Ok(Day::ymd(year, month, day))
    }

    /// Today (UTC) from the wall clock; in wasm that is the WASI clock the host grants.
    pub fn today() -> Day {
        let seconds = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => since.as_secs() as i64,
            Err(before) => -(before.duration().as_secs() as i64),
        };
        Day {
            days: seconds.div_euclid(86_400),
        }
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Day) -> i64 {
        later.days - self.days
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.days);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

const fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a count of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_dates_and_orders_them() {
        for text in [
            "1970-01-01",
            "2024-02-29",
            "2026-07-31",
            "2000-03-01",
            "1969-12-31",
        ] {
            assert_eq!(Day::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Day::ymd(1970, 1, 2).days, 1);
        assert!(Day::ymd(2026, 7, 31) < Day::ymd(2026, 8, 1));
        assert_eq!(Day::ymd(2024, 2, 28).days_until(Day::ymd(2024, 3, 1)), 2);
        assert!(Day::today() > Day::ymd(2025, 1, 1));
    }

    #[test]
    fn rejects_malformed_dates() {
        for text in [
            "2026-13-01",
            "2025-02-29",
            "2026-1-01",
            "26-01-01",
            "today",
            "",
        ] {
            assert!(Day::parse(text).is_err(), "{text}");
        }
    }
}
