//! The six rules: their stable ids and documentation, and the checker that runs them on
//! one stream. Shard sizing and capacity mode are in [`shards`], consumer lag in [`lag`],
//! retention and encryption in [`policy`].

mod lag;
mod policy;
mod shards;

use aiops_sdk::rules::RuleTable;
use aiops_sdk::{FieldChange, Finding, RemediationHint, Resource, RuleInfo};
use serde_json::Value;

use crate::config::Config;
use crate::stream::Stream;

pub use lag::ITERATOR_AGE;
pub use shards::{INCOMING_BYTES, INCOMING_RECORDS, READ_THROTTLED, WRITE_THROTTLED};

aiops_sdk::rules! {
    /// The rules, in the order of the plugin's info.
    pub enum Rule {
        /// Rule id: a provisioned stream uses a small share of its shards' capacity.
        OverProvisioned / OVER_PROVISIONED = "aws.kinesis.over-provisioned" {
            severity: Low,
            title: "Stream over-provisioned",
            description: "A provisioned stream whose IncomingBytes p95 and IncomingRecords p95 are both below \
                 `low_utilisation` (0.3 by default) of its write capacity (open shards × 1 MiB/s and × \
                 1,000 records/s) pays for shards it does not use. The hint proposes the fewest shards \
                 (at least 1) that put the larger p95 at `target_utilisation` (0.6) of capacity; \
                 Kinesis halves a stream at most per resharding step, so large cuts take several. Not \
                 judged without both metrics, or when writes were throttled.",
        },
        /// Rule id: a provisioned stream is throttled or runs near its shards' capacity.
        UnderProvisioned / UNDER_PROVISIONED = "aws.kinesis.under-provisioned" {
            severity: High,
            title: "Stream under-provisioned",
            description: "A provisioned stream whose writes were throttled (WriteProvisionedThroughputExceeded \
                 above 0) or whose IncomingBytes or IncomingRecords p95 is above `high_utilisation` \
                 (0.8 by default) of its write capacity rejects or is about to reject producers' \
                 records. The hint proposes at least one more shard: enough to put the p95 at \
                 `target_utilisation` (0.6) and, when writes were throttled, to carry the window's \
                 maximum at full capacity.",
        },
        /// Rule id: consumers fall behind (iterator age high or rising).
        IteratorAgeGrowing / ITERATOR_AGE_GROWING = "aws.kinesis.iterator-age-growing" {
            severity: Medium,
            title: "Consumers falling behind",
            description: "A stream whose GetRecords.IteratorAgeMilliseconds p95 is above `max_iterator_age_ms` \
                 (60,000 by default), or whose points rise across the window (at least 4 points, the \
                 later half's mean more than twice the earlier half's and the last point above one \
                 second), has consumers that read slower than producers write: data ages towards the \
                 retention limit and is lost once it expires. Scale or fix the consumers (more \
                 parallelism, enhanced fan-out when reads are throttled); there is no automatic hint.",
        },
        /// Rule id: a provisioned stream with spiky traffic might be cheaper and safer on demand.
        ConsiderOnDemand / CONSIDER_ON_DEMAND = "aws.kinesis.consider-on-demand" {
            severity: Medium,
            title: "Spiky traffic on a provisioned stream",
            description: "A provisioned stream whose IncomingBytes or IncomingRecords maximum is more than \
                 `spiky_ratio` (4 by default) times its average must be sized for the peaks and pays \
                 for idle shards the rest of the time, or is throttled at the peaks. On-demand mode \
                 scales with the traffic; it costs more per byte at a steady load, so this is a \
                 suggestion for a person to weigh. The hint switches the stream mode to ON_DEMAND.",
        },
        /// Rule id: retention below `min_retention_hours`.
        RetentionBelowPolicy / RETENTION_BELOW_POLICY = "aws.kinesis.retention-below-policy" {
            severity: Low,
            title: "Retention below policy",
            description: "A stream keeping records for fewer than `min_retention_hours` (24 by default, the \
                 Kinesis minimum) hours leaves consumers that stop for longer (an incident, a \
                 deployment over a weekend) unable to catch up: records expire unread. The hint raises \
                 the retention period to the policy minimum.",
        },
        /// Rule id: server-side encryption is off.
        EncryptionDisabled / ENCRYPTION_DISABLED = "aws.kinesis.encryption-disabled" {
            severity: Medium,
            title: "Encryption at rest disabled",
            description: "A stream with EncryptionType NONE stores records unencrypted at rest, which most \
                 compliance regimes forbid for data streams carrying user events. Server-side \
                 encryption with KMS is transparent to producers and consumers that may use the key. \
                 The hint sets EncryptionType to KMS with the key `kms_key_id` (the AWS managed key \
                 `alias/aws/kinesis` by default).",
        },
    }
}

/// Runs the rules on streams with one config; build once per batch.
pub struct Checker<'a> {
    config: &'a Config,
    rules: RuleTable<Rule>,
}

/// One stream: what a finding is about.
struct Site<'a> {
    resource: &'a Resource,
    stream: &'a Stream,
}

impl Site<'_> {
    /// "Kinesis stream `clickstream` (8 shards)".
    fn describe(&self) -> String {
        let shards = self.stream.open_shard_count;
        let plural = if shards == 1 { "" } else { "s" };
        format!(
            "Kinesis stream `{}` ({shards} shard{plural})",
            self.stream.stream_name
        )
    }

    fn finding(&self, rule: &RuleInfo, message: String) -> Finding {
        Finding::new(rule, self.resource, message)
    }
}

/// A field change of the raw object (`path` a JSON pointer); values as JSON.
fn change(path: &str, current: Option<Value>, proposed: Value) -> FieldChange {
    FieldChange {
        path: path.to_string(),
        current: current.map(|v| v.to_string()),
        proposed: proposed.to_string(),
    }
}

impl<'a> Checker<'a> {
    /// A checker for `config`.
    pub fn new(config: &'a Config) -> Self {
        Checker {
            config,
            rules: RuleTable::new(),
        }
    }

    fn rule(&self, rule: Rule) -> &RuleInfo {
        self.rules.get(rule)
    }

    /// Appends the findings of every rule on one stream to `out`.
    pub fn check(&self, resource: &Resource, stream: &Stream, out: &mut Vec<Finding>) {
        let site = Site { resource, stream };
        out.extend(self.over_provisioned(&site));
        out.extend(self.under_provisioned(&site));
        out.extend(self.iterator_age_growing(&site));
        out.extend(self.consider_on_demand(&site));
        out.extend(self.retention_below_policy(&site));
        out.extend(self.encryption_disabled(&site));
    }

    /// A one-change hint.
    fn hint(summary: String, change: FieldChange) -> RemediationHint {
        RemediationHint {
            summary,
            changes: vec![change],
        }
    }
}
