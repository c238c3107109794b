//! The engine version table: when AWS ends standard support of each MySQL major version.
//!
//! Dates from the RDS and Aurora documentation (as of 2026-11); after them an instance runs
//! on paid Extended Support or is upgraded automatically.

use crate::date::Day;

/// One major version line of an engine.
#[derive(Debug, Clone, Copy)]
pub struct VersionLine {
    /// Engine name as RDS reports it: `mysql` or `aurora-mysql`.
    pub engine: &'static str,
    /// Major version prefix of `EngineVersion`, e.g. `8.0` (matches `8.0.35` and
    /// `8.0.mysql_aurora.3.05.2`).
    pub major: &'static str,
    /// Name for people, e.g. `Aurora MySQL 2 (5.7-compatible)`.
    pub label: &'static str,
    /// Last day of standard support; `None` when AWS has not announced it.
    pub end_of_standard_support: Option<Day>,
    /// The `EngineVersion` value a remediation proposes when moving to this line, when a
    /// major version alone is a valid value (RDS MySQL; not Aurora, which needs a full one).
    pub proposable: Option<&'static str>,
}

/// Known lines, oldest first within each engine.
pub static VERSION_LINES: &[VersionLine] = &[
    VersionLine {
        engine: "mysql",
        major: "5.6",
        label: "MySQL 5.6",
        end_of_standard_support: Some(Day::ymd(2022, 3, 1)),
        proposable: None,
    },
    VersionLine {
        engine: "mysql",
        major: "5.7",
        label: "MySQL 5.7",
        end_of_standard_support: Some(Day::ymd(2024, 2, 29)),
        proposable: None,
    },
    VersionLine {
        engine: "mysql",
        major: "8.0",
        label: "MySQL 8.0",
        end_of_standard_support: Some(Day::ymd(2026, 7, 31)),
        proposable: Some("8.0"),
    },
    VersionLine {
        engine: "mysql",
        major: "8.4",
        label: "MySQL 8.4",
        end_of_standard_support: Some(Day::ymd(2029, 7, 31)),
        proposable: Some("8.4"),
    },
    VersionLine {
        engine: "aurora-mysql",
        major: "5.7",
        label: "Aurora MySQL 2 (5.7-compatible)",
        end_of_standard_support: Some(Day::ymd(2024, 10, 31)),
        proposable: None,
    },
    VersionLine {
        engine: "aurora-mysql",
        major: "8.0",
        label: "Aurora MySQL 3 (8.0-compatible)",
        end_of_standard_support: None,
        proposable: None,
    },
];

impl VersionLine {
    /// The line of `engine` whose major version `version` belongs to.
    pub fn of(engine: &str, version: &str) -> Option<&'static VersionLine> {
        VERSION_LINES.iter().find(|line| {
            line.engine == engine
                && version
                    .strip_prefix(line.major)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    /// True when standard support has ended on or before `today`.
    pub fn ended(&self, today: Day) -> bool {
        self.end_of_standard_support.is_some_and(|end| end <= today)
    }

    /// The next line of the same engine, if any.
    pub fn next(&self) -> Option<&'static VersionLine> {
        VERSION_LINES
            .iter()
            .skip_while(|line| !std::ptr::eq(*line, self))
            .skip(1)
            .find(|line| line.engine == self.engine)
    }

    /// The oldest later line of the same engine still in standard support on `today`.
    pub fn upgrade_target(&self, today: Day) -> Option<&'static VersionLine> {
        VERSION_LINES
            .iter()
            .skip_while(|line| !std::ptr::eq(*line, self))
            .skip(1)
            .find(|line| line.engine == self.engine && !line.ended(today))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_line_of_a_version() {
        assert_eq!(
            VersionLine::of("mysql", "8.0.35").unwrap().label,
            "MySQL 8.0"
        );
        assert_eq!(VersionLine::of("mysql", "8.4").unwrap().label, "MySQL 8.4");
        let aurora = VersionLine::of("aurora-mysql", "5.7.mysql_aurora.2.11.2").unwrap();
        assert_eq!(aurora.label, "Aurora MySQL 2 (5.7-compatible)");
        assert!(VersionLine::of("mysql", "8.01.1").is_none());
        assert!(VersionLine::of("postgres", "8.0.1").is_none());
    }

    #[test]
    fn standard_support_ends_on_the_listed_day() {
        let line = VersionLine::of("mysql", "8.0.35").unwrap();
        assert!(!line.ended(Day::ymd(2026, 7, 30)));
        assert!(line.ended(Day::ymd(2026, 7, 31)));
        let target = line.upgrade_target(Day::ymd(2026, 8, 1)).unwrap();
        assert_eq!(target.proposable, Some("8.4"));
        let old = VersionLine::of("mysql", "5.7.44").unwrap();
        assert_eq!(
            old.upgrade_target(Day::ymd(2025, 1, 1)).unwrap().major,
            "8.0"
        );
        let aurora3 = VersionLine::of("aurora-mysql", "8.0.mysql_aurora.3.05.2").unwrap();
        assert!(!aurora3.ended(Day::ymd(2040, 1, 1)));
    }
}
