//! Times as the store keeps them: Unix milliseconds, shown as RFC 3339 in UTC.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now, in Unix milliseconds.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `millis` as RFC 3339 in UTC, to the second (`2026-12-05T12:00:00Z`).
pub fn format_millis(millis: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| millis.to_string())
}

/// Reads a `--since` value: a duration back from `now` (`30m`, `12h`, `7d`, `2w`) or an
/// RFC 3339 time (`2026-12-01T00:00:00Z`). Returns Unix milliseconds.
pub fn parse_since(text: &str, now: i64) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(t) = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    {
        return Ok(i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MIN));
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| since_error(text))?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| since_error(text))?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(since_error(text)),
    };
    let back = Duration::from_secs(n.saturating_mul(unit_secs));
    Ok(now.saturating_sub(i64::try_from(back.as_millis()).unwrap_or(i64::MAX)))
}

fn since_error(text: &str) -> String {
    format!(
        "`{text}` is neither a duration (30m, 12h, 7d, 2w) nor an RFC 3339 time (2026-12-01T00:00:00Z)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_durations_and_times() {
        let now = 1_000_000_000_000;
        assert_eq!(parse_since("90s", now), Ok(now - 90_000));
        assert_eq!(parse_since("2h", now), Ok(now - 7_200_000));
        assert_eq!(parse_since("7d", now), Ok(now - 604_800_000));
        assert_eq!(
            parse_since("2026-12-01T00:00:00Z", now),
            Ok(1_796_083_200_000)
        );
        assert!(
            parse_since("yesterday", now)
                .unwrap_err()
                .contains("`yesterday`")
        );
        assert!(parse_since("5y", now).is_err());
        assert_eq!(format_millis(1_796_083_200_000), "2026-12-01T00:00:00Z");
    }
}
