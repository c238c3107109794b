//! Policy rules on a stream's settings: retention and encryption at rest.

use aiops_sdk::{Finding, RemediationHint};
use serde_json::json;

use super::{Checker, Rule, Site, change};

impl Checker<'_> {
    /// Retention below `min_retention_hours`.
    pub(super) fn retention_below_policy(&self, site: &Site<'_>) -> Option<Finding> {
        let hours = site.stream.retention_period_hours?;
        let min = self.config.min_retention_hours;
        if hours >= min {
            return None;
        }
        let message = format!(
            "{} keeps records for {hours} hours, below the {min}-hour policy.",
            site.describe()
        );
        Some(
            site.finding(self.rule(Rule::RetentionBelowPolicy), message)
                .evidence("retention_period_hours", hours)
                .evidence("min_retention_hours", min)
                .remediation(Self::hint(
                    format!("retention_period: {hours} → {min}"),
                    change("/RetentionPeriodHours", Some(json!(hours)), json!(min)),
                )),
        )
    }

    /// `EncryptionType` NONE (or absent): propose KMS with the configured key.
    pub(super) fn encryption_disabled(&self, site: &Site<'_>) -> Option<Finding> {
        let current = site.stream.encryption_type.as_deref();
        if current.is_some_and(|t| t != "NONE") {
            return None;
        }
        let key = &self.config.kms_key_id;
        let message = format!(
            "{} stores records unencrypted at rest (EncryptionType {}).",
            site.describe(),
            current.unwrap_or("absent")
        );
        let hint = RemediationHint {
            summary: format!("encryption_type: NONE → KMS, kms_key_id: {key}"),
            changes: vec![
                change("/EncryptionType", current.map(|c| json!(c)), json!("KMS")),
                change(
                    "/KeyId",
                    site.stream.key_id.as_ref().map(|k| json!(k)),
                    json!(key),
                ),
            ],
        };
        Some(
            site.finding(self.rule(Rule::EncryptionDisabled), message)
                .evidence("encryption_type", current.unwrap_or("absent"))
                .remediation(hint),
        )
    }
}
