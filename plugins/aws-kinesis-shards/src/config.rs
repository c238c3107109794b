//! The plugin's configuration: its keys, defaults, validation and JSON Schema.

use aiops_sdk::Context;
use aiops_sdk::knobs::{Knobs, invalid};

/// JSON Schema of [`Config`], published in the plugin's info.
pub const CONFIG_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "aws-kinesis-shards",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "low_utilisation": {
      "description": "A provisioned stream whose IncomingBytes and IncomingRecords p95 are both below this share of its capacity is over-provisioned (aws.kinesis.over-provisioned).",
      "type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.3
    },
    "target_utilisation": {
      "description": "Share of capacity the proposed shard count puts the p95 at.",
      "type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.6
    },
    "high_utilisation": {
      "description": "IncomingBytes or IncomingRecords p95 above this share of capacity is under-provisioned (aws.kinesis.under-provisioned).",
      "type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.8
    },
    "max_iterator_age_ms": {
      "description": "GetRecords.IteratorAgeMilliseconds p95 above this many milliseconds means consumers fall behind (aws.kinesis.iterator-age-growing).",
      "type": "number", "exclusiveMinimum": 0, "default": 60000
    },
    "spiky_ratio": {
      "description": "Max over average of IncomingBytes or IncomingRecords above this ratio suggests on-demand mode (aws.kinesis.consider-on-demand).",
      "type": "number", "minimum": 1, "default": 4
    },
    "min_retention_hours": {
      "description": "Retention below this many hours is flagged (aws.kinesis.retention-below-policy); Kinesis allows 24 to 8760.",
      "type": "integer", "minimum": 24, "maximum": 8760, "default": 24
    },
    "kms_key_id": {
      "description": "KMS key the encryption hint proposes (aws.kinesis.encryption-disabled).",
      "type": "string", "minLength": 1, "default": "alias/aws/kinesis"
    }
  }
}"#;

/// Settings of the `aws-kinesis-shards` plugin; every key is optional.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Both p95s below this share of capacity is over-provisioned (default 0.3).
    pub low_utilisation: f64,
    /// Share of capacity the proposed shard count aims the p95 at (default 0.6).
    pub target_utilisation: f64,
    /// Either p95 above this share of capacity is under-provisioned (default 0.8).
    pub high_utilisation: f64,
    /// Iterator age p95 above this many milliseconds is flagged (default 60000).
    pub max_iterator_age_ms: f64,
    /// Max over average above this ratio suggests on-demand (default 4).
    pub spiky_ratio: f64,
    /// Retention below this many hours is flagged (default 24).
    pub min_retention_hours: u32,
    /// KMS key proposed when encryption is off (default `alias/aws/kinesis`).
    pub kms_key_id: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            low_utilisation: 0.3,
            target_utilisation: 0.6,
            high_utilisation: 0.8,
            max_iterator_age_ms: 60_000.0,
            spiky_ratio: 4.0,
            min_retention_hours: 24,
            kms_key_id: "alias/aws/kinesis".to_string(),
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
            low_utilisation: share(&mut k, "low_utilisation", d.low_utilisation)?,
            target_utilisation: share(&mut k, "target_utilisation", d.target_utilisation)?,
            high_utilisation: share(&mut k, "high_utilisation", d.high_utilisation)?,
            max_iterator_age_ms: positive(&mut k, "max_iterator_age_ms", d.max_iterator_age_ms)?,
            spiky_ratio: k.number("spiky_ratio", d.spiky_ratio, 1.0..=f64::MAX)?,
            min_retention_hours: hours(&mut k, d.min_retention_hours)?,
            kms_key_id: k.get("kms_key_id", d.kms_key_id)?,
        };
        k.finish()?;
        if config.kms_key_id.trim().is_empty() {
            return Err(invalid("kms_key_id", "must not be empty"));
        }
        if !(config.low_utilisation < config.target_utilisation
            && config.target_utilisation <= config.high_utilisation)
        {
            return Err(invalid(
                "target_utilisation",
                format!(
                    "({}) must be above `low_utilisation` ({}) and at most `high_utilisation` ({})",
                    config.target_utilisation, config.low_utilisation, config.high_utilisation
                ),
            ));
        }
        Ok(config)
    }
}

/// A share of capacity in (0, 1].
fn share(k: &mut Knobs, key: &str, default: f64) -> Result<f64, String> {
    let value = k.number(key, default, 0.0..=1.0)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(invalid(key, "must be above 0"))
    }
}

/// A finite number above 0.
fn positive(k: &mut Knobs, key: &str, default: f64) -> Result<f64, String> {
    let value = k.number(key, default, 0.0..=f64::MAX)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(invalid(key, "must be above 0"))
    }
}

/// `min_retention_hours`: whole hours within Kinesis's 24..=8760.
fn hours(k: &mut Knobs, default: u32) -> Result<u32, String> {
    let key = "min_retention_hours";
    let value = k.number(key, default.into(), 24.0..=8760.0)?;
    if value.fract() == 0.0 {
        Ok(value as u32)
    } else {
        Err(invalid(key, format!("must be a whole number, got {value}")))
    }
}
