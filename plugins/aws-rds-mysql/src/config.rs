//! The plugin's configuration: its keys, defaults, validation and JSON Schema.

use aiops_sdk::Context;
use aiops_sdk::knobs::{Knobs, invalid};

use crate::date::Day;

/// JSON Schema of [`Config`], published in the plugin's info.
pub const CONFIG_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "aws-rds-mysql",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "cpu_p95_low": {
      "description": "CPUUtilization p95 (percent) below which an instance is under-used (aws.rds.under-used).",
      "type": "number", "minimum": 0, "maximum": 100, "default": 20
    },
    "cpu_p95_high": {
      "description": "CPUUtilization p95 (percent) above which an instance is over-used (aws.rds.over-used).",
      "type": "number", "minimum": 0, "maximum": 100, "default": 80
    },
    "connections_ratio": {
      "description": "DatabaseConnections p95 above this share of the class's estimated max_connections is over-use (aws.rds.over-used).",
      "type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.8
    },
    "free_storage_ratio": {
      "description": "FreeStorageSpace below this share of AllocatedStorage, without storage autoscaling, is flagged (aws.rds.free-storage-low).",
      "type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.1
    },
    "min_backup_retention_days": {
      "description": "Backup retention below this many days is flagged (aws.rds.backup-retention).",
      "type": "integer", "minimum": 1, "maximum": 35, "default": 7
    },
    "production_tag_keys": {
      "description": "Tag keys naming an instance's environment (aws.rds.single-az-production).",
      "type": "array", "items": { "type": "string" }, "default": ["environment", "env"]
    },
    "production_tag_values": {
      "description": "Values of those tags (compared case-insensitively) that mean production.",
      "type": "array", "items": { "type": "string" }, "default": ["production", "prod"]
    },
    "today": {
      "description": "The date (YYYY-MM-DD) the end-of-support check uses; the wall clock when unset.",
      "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    }
  }
}"#;

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

impl Config {
    /// Reads and validates the config the host passed; the error names the offending key.
    pub fn from_context(ctx: &Context<'_>) -> Result<Config, String> {
        Config::parse(ctx.config_json())
    }

    /// Reads and validates a config document (JSON, empty means all defaults).
    pub fn parse(json: &str) -> Result<Config, String> {
        let d = Config::default();
        let mut k = Knobs::parse(json)?;
        let config = Config {
            cpu_p95_low: k.number("cpu_p95_low", d.cpu_p95_low, 0.0..=100.0)?,
            cpu_p95_high: k.number("cpu_p95_high", d.cpu_p95_high, 0.0..=100.0)?,
            connections_ratio: positive_share(&mut k, "connections_ratio", d.connections_ratio)?,
            free_storage_ratio: positive_share(&mut k, "free_storage_ratio", d.free_storage_ratio)?,
            min_backup_retention_days: k
                .number(
                    "min_backup_retention_days",
                    d.min_backup_retention_days.into(),
                    1.0..=35.0,
                )
                .and_then(|days| whole(days, "min_backup_retention_days"))?,
            production_tag_keys: k.get("production_tag_keys", d.production_tag_keys)?,
            production_tag_values: k.get("production_tag_values", d.production_tag_values)?,
            today: match k.get::<Option<String>>("today", None)? {
                None => None,
                Some(text) => Some(Day::parse(&text).map_err(|e| invalid("today", e))?),
            },
        };
        k.finish()?;
        if config.cpu_p95_low >= config.cpu_p95_high {
            return Err(invalid(
                "cpu_p95_low",
                format!(
                    "({}) must be below `cpu_p95_high` ({})",
                    config.cpu_p95_low, config.cpu_p95_high
                ),
            ));
        }
        Ok(config)
    }

    /// True when an environment tag's value means production (case-insensitive).
    pub fn means_production(&self, value: &str) -> bool {
        self.production_tag_values
            .iter()
            .any(|p| p.eq_ignore_ascii_case(value.trim()))
    }
}

/// A share in (0, 1].
fn positive_share(k: &mut Knobs, key: &'static str, default: f64) -> Result<f64, String> {
    let value = k.number(key, default, 0.0..=1.0)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(invalid(key, "must be above 0"))
    }
}

/// A whole number of days.
fn whole(days: f64, key: &str) -> Result<u32, String> {
    if days.fract() == 0.0 {
        Ok(days as u32)
    } else {
        Err(invalid(key, format!("must be a whole number, got {days}")))
    }
}
