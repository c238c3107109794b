//! The plugin's configuration: its keys, defaults, validation and JSON Schema.

use aiops_sdk::knobs::{Knobs, PluginConfig, above, at_least, between, invalid};
use serde_json::json;

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

impl PluginConfig for Config {
    const TITLE: &'static str = "aws-kinesis-shards";

    fn read(k: &mut Knobs) -> Result<Config, String> {
        let d = Config::default();
        let share = above(0.0).at_most(1.0);
        Ok(Config {
            low_utilisation: k
                .key(
                    "low_utilisation",
                    "A provisioned stream whose IncomingBytes and IncomingRecords p95 are both below this share of its capacity is over-provisioned (aws.kinesis.over-provisioned).",
                )
                .number(d.low_utilisation, share)?,
            target_utilisation: k
                .key(
                    "target_utilisation",
                    "Share of capacity the proposed shard count puts the p95 at.",
                )
                .number(d.target_utilisation, share)?,
            high_utilisation: k
                .key(
                    "high_utilisation",
                    "IncomingBytes or IncomingRecords p95 above this share of capacity is under-provisioned (aws.kinesis.under-provisioned).",
                )
                .number(d.high_utilisation, share)?,
            max_iterator_age_ms: k
                .key(
                    "max_iterator_age_ms",
                    "GetRecords.IteratorAgeMilliseconds p95 above this many milliseconds means consumers fall behind (aws.kinesis.iterator-age-growing).",
                )
                .number(d.max_iterator_age_ms, above(0.0))?,
            spiky_ratio: k
                .key(
                    "spiky_ratio",
                    "Max over average of IncomingBytes or IncomingRecords above this ratio suggests on-demand mode (aws.kinesis.consider-on-demand).",
                )
                .number(d.spiky_ratio, at_least(1.0))?,
            min_retention_hours: k
                .key(
                    "min_retention_hours",
                    "Retention below this many hours is flagged (aws.kinesis.retention-below-policy); Kinesis allows 24 to 8760.",
                )
                .whole(d.min_retention_hours.into(), between(24.0, 8760.0))? as u32,
            kms_key_id: k
                .key(
                    "kms_key_id",
                    "KMS key the encryption hint proposes (aws.kinesis.encryption-disabled).",
                )
                .schema(json!({"minLength": 1}))
                .get(d.kms_key_id)?,
        })
    }

    fn check(&self) -> Result<(), String> {
        if self.kms_key_id.trim().is_empty() {
            return Err(invalid("kms_key_id", "must not be empty"));
        }
        if !(self.low_utilisation < self.target_utilisation
            && self.target_utilisation <= self.high_utilisation)
        {
            return Err(invalid(
                "target_utilisation",
                format!(
                    "({}) must be above `low_utilisation` ({}) and at most `high_utilisation` ({})",
                    self.target_utilisation, self.low_utilisation, self.high_utilisation
                ),
            ));
        }
        Ok(())
    }
}
