//! The plugin's configuration: its keys, defaults, validation and JSON Schema.

use aiops_sdk::knobs::{Knobs, PluginConfig, above, between, invalid};
use serde_json::json;

use crate::date::Day;

/// Settings of the `aws-rds-mysql` plugin; every key is optional.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// CPU p95 (percent) below which an instance is under-used (default 20).
    pub cpu_p95_low: f64,
    /// CPU p95 (percent) above which an instance is over-used (default 80).
    pub cpu_p95_high: f64,
    /// Connections p95 above this share of the class's max is over-use (default 0.8).
    pub connections_ratio: f64,
    /// Free storage below this share of the allocated storage is flagged (default 0.1).
    pub free_storage_ratio: f64,
    /// Backup retention below this many days is flagged (default 7).
    pub min_backup_retention_days: u32,
    /// Tag keys naming the environment (default `environment`, `env`).
    pub production_tag_keys: Vec<String>,
    /// Tag values meaning production, case-insensitive (default `production`, `prod`).
    pub production_tag_values: Vec<String>,
    /// The date of the end-of-support check; `None` means the wall clock.
    pub today: Option<Day>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            cpu_p95_low: 20.0,
            cpu_p95_high: 80.0,
            connections_ratio: 0.8,
            free_storage_ratio: 0.1,
            min_backup_retention_days: 7,
            production_tag_keys: vec!["environment".into(), "env".into()],
            production_tag_values: vec!["production".into(), "prod".into()],
            today: None,
        }
    }
}

impl PluginConfig for Config {
    const TITLE: &'static str = "aws-rds-mysql";

    fn read(k: &mut Knobs) -> Result<Config, String> {
        let d = Config::default();
        let percent = between(0.0, 100.0);
        let share = above(0.0).at_most(1.0);
        Ok(Config {
            cpu_p95_low: k
                .key(
                    "cpu_p95_low",
                    "CPUUtilization p95 (percent) below which an instance is under-used (aws.rds.under-used).",
                )
                .number(d.cpu_p95_low, percent)?,
            cpu_p95_high: k
                .key(
                    "cpu_p95_high",
                    "CPUUtilization p95 (percent) above which an instance is over-used (aws.rds.over-used).",
                )
                .number(d.cpu_p95_high, percent)?,
            connections_ratio: k
                .key(
                    "connections_ratio",
                    "DatabaseConnections p95 above this share of the class's estimated max_connections is over-use (aws.rds.over-used).",
                )
                .number(d.connections_ratio, share)?,
            free_storage_ratio: k
                .key(
                    "free_storage_ratio",
                    "FreeStorageSpace below this share of AllocatedStorage, without storage autoscaling, is flagged (aws.rds.free-storage-low).",
                )
                .number(d.free_storage_ratio, share)?,
            min_backup_retention_days: k
                .key(
                    "min_backup_retention_days",
                    "Backup retention below this many days is flagged (aws.rds.backup-retention).",
                )
                .whole(d.min_backup_retention_days.into(), between(1.0, 35.0))?
                as u32,
            production_tag_keys: k
                .key(
                    "production_tag_keys",
                    "Tag keys naming an instance's environment (aws.rds.single-az-production).",
                )
                .get(d.production_tag_keys)?,
            production_tag_values: k
                .key(
                    "production_tag_values",
                    "Values of those tags (compared case-insensitively) that mean production.",
                )
                .get(d.production_tag_values)?,
            today: match k
                .key(
                    "today",
                    "The date (YYYY-MM-DD) the end-of-support check uses; the wall clock when unset.",
                )
                .schema(json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}))
                .get::<Option<String>>(None)?
            {
                None => None,
                Some(text) => Some(Day::parse(&text).map_err(|e| invalid("today", e))?),
            },
        })
    }

    fn check(&self) -> Result<(), String> {
        if self.cpu_p95_low >= self.cpu_p95_high {
            return Err(invalid(
                "cpu_p95_low",
                format!(
                    "({}) must be below `cpu_p95_high` ({})",
                    self.cpu_p95_low, self.cpu_p95_high
                ),
            ));
        }
        Ok(())
    }
}

impl Config {
    /// True when an environment tag's value means production (case-insensitive).
    pub fn means_production(&self, value: &str) -> bool {
        self.production_tag_values
            .iter()
            .any(|p| p.eq_ignore_ascii_case(value.trim()))
    }
}
