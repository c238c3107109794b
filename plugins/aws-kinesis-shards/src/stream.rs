//! A typed view of the raw object: the fields of Kinesis `DescribeStreamSummary`'s
//! `StreamDescriptionSummary` the rules read, under AWS's own names.

use aiops_sdk::Resource;
use serde::Deserialize;

/// The stream fields the rules read; `StreamName` and `OpenShardCount` are required.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Stream {
    /// `StreamName`.
    pub stream_name: String,
    /// `StreamARN`.
    #[serde(rename = "StreamARN", default)]
    pub stream_arn: Option<String>,
    /// `StreamStatus`: `CREATING`, `DELETING`, `ACTIVE` or `UPDATING`.
    #[serde(default)]
    pub stream_status: Option<String>,
    /// `StreamModeDetails`; absent on streams described by older APIs (provisioned).
    #[serde(default)]
    pub stream_mode_details: Option<StreamModeDetails>,
    /// `OpenShardCount`.
    pub open_shard_count: u64,
    /// `RetentionPeriodHours`.
    #[serde(default)]
    pub retention_period_hours: Option<u32>,
    /// `EncryptionType`: `NONE` or `KMS`.
    #[serde(default)]
    pub encryption_type: Option<String>,
    /// `KeyId` of the KMS key, when encrypted.
    #[serde(default)]
    pub key_id: Option<String>,
    /// `ConsumerCount` (enhanced fan-out consumers).
    #[serde(default)]
    pub consumer_count: Option<u32>,
}

/// `StreamModeDetails`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamModeDetails {
    /// `StreamMode`: `PROVISIONED` or `ON_DEMAND`.
    pub stream_mode: String,
}

/// Capacity mode value of a provisioned stream.
pub const PROVISIONED: &str = "PROVISIONED";
/// Capacity mode value of an on-demand stream.
pub const ON_DEMAND: &str = "ON_DEMAND";

impl Stream {
    /// Reads the raw object of `resource`.
    pub fn from_resource(resource: &Resource) -> Result<Stream, String> {
        resource.object().map_err(|e| e.to_string())
    }

    /// The capacity mode as given, if given.
    pub fn mode(&self) -> Option<&str> {
        self.stream_mode_details
            .as_ref()
            .map(|d| d.stream_mode.as_str())
    }

    /// True for a provisioned stream (also when the mode is absent, the API's old default).
    pub fn is_provisioned(&self) -> bool {
        self.mode().is_none_or(|m| m == PROVISIONED)
    }

    /// True while the stream is being created or deleted: nothing to judge yet or any more.
    pub fn is_transient(&self) -> bool {
        matches!(self.stream_status.as_deref(), Some("CREATING" | "DELETING"))
    }
}
