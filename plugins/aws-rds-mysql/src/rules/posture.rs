//! Rules judged from the instance's configuration: availability, backups, exposure,
//! encryption, engine support and parameter groups.

use aiops_sdk::Finding;
use serde_json::json;

use super::{Checker, Rule, Site, hint};
use crate::support::VersionLine;

impl Checker<'_> {
    /// A production-tagged instance without Multi-AZ.
    pub(super) fn single_az_production(&self, site: &Site<'_>) -> Option<Finding> {
        if site.db.multi_az {
            return None;
        }
        let (key, value) = self.config.production_tag_keys.iter().find_map(|key| {
            let value = site.db.tag(site.resource, key)?;
            self.config.means_production(&value).then_some((key, value))
        })?;
        let message = format!(
            "{} is tagged {key}={value} but runs in a single Availability Zone.",
            site.describe()
        );
        Some(
            Finding::new(self.rule(Rule::SingleAzProduction), site.resource, message)
                .evidence("tag", format!("{key}={value}"))
                .evidence("multi_az", false)
                .remediation(hint(
                    format!("multi_az: false → true, tagged {key}={value}"),
                    "/MultiAZ",
                    Some(json!(false)),
                    json!(true),
                )),
        )
    }

    /// Backup retention below the policy; 0 (no automated backups) is high severity.
    pub(super) fn backup_retention(&self, site: &Site<'_>) -> Option<Finding> {
        let days = site.db.backup_retention_period;
        let min = self.config.min_backup_retention_days;
        if days >= min {
            return None;
        }
        let message = if days == 0 {
            format!(
                "{} has automated backups disabled (retention 0 days); the policy is {min} days.",
                site.describe()
            )
        } else {
            format!(
                "{} keeps automated backups for {days} days, below the {min}-day policy.",
                site.describe()
            )
        };
        let mut finding = Finding::new(self.rule(Rule::BackupRetention), site.resource, message)
            .evidence("backup_retention_days", days)
            .evidence("min_backup_retention_days", min)
            .remediation(hint(
                format!("backup_retention_period: {days} → {min}"),
                "/BackupRetentionPeriod",
                Some(json!(days)),
                json!(min),
            ));
        if days == 0 {
            finding.severity = aiops_sdk::Severity::High;
        }
        Some(finding)
    }

    /// A publicly accessible instance.
    pub(super) fn publicly_accessible(&self, site: &Site<'_>) -> Option<Finding> {
        if !site.db.publicly_accessible {
            return None;
        }
        let message = format!(
            "{} is publicly accessible: its endpoint resolves to a public IP address.",
            site.describe()
        );
        Some(
            Finding::new(self.rule(Rule::PubliclyAccessible), site.resource, message)
                .evidence("publicly_accessible", true)
                .remediation(hint(
                    "publicly_accessible: true → false".to_string(),
                    "/PubliclyAccessible",
                    Some(json!(true)),
                    json!(false),
                )),
        )
    }

    /// Storage not encrypted at rest.
    pub(super) fn storage_not_encrypted(&self, site: &Site<'_>) -> Option<Finding> {
        if site.db.storage_encrypted {
            return None;
        }
        let message = format!(
            "{} does not encrypt its storage, backups and snapshots at rest.",
            site.describe()
        );
        Some(
            Finding::new(self.rule(Rule::StorageNotEncrypted), site.resource, message)
                .evidence("storage_encrypted", false)
                .remediation(hint(
                    "storage_encrypted: false → true (replaces the instance: restore from an encrypted snapshot copy)"
                        .to_string(),
                    "/StorageEncrypted",
                    Some(json!(false)),
                    json!(true),
                )),
        )
    }

    /// An engine major version at or past the end of standard support on `today`.
    pub(super) fn engine_end_of_support(&self, site: &Site<'_>) -> Option<Finding> {
        let db = site.db;
        let line = VersionLine::of(&db.engine, &db.engine_version)?;
        let end = line
            .end_of_standard_support
            .filter(|_| line.ended(self.today))?;
        let message = format!(
            "{} runs {}, version {}, whose standard support ended on {end}.",
            site.describe(),
            line.label,
            db.engine_version
        );
        let mut finding = Finding::new(self.rule(Rule::EngineEndOfSupport), site.resource, message)
            .evidence("engine", &db.engine)
            .evidence("engine_version", &db.engine_version)
            .evidence("end_of_standard_support", end)
            .evidence("today", self.today);
        let target = line.upgrade_target(self.today);
        if let Some((target, version)) = target.and_then(|t| Some((t, t.proposable?))) {
            let path = match line.next() {
                Some(next) if !std::ptr::eq(next, target) => {
                    format!(", upgrading through {} first", next.major)
                }
                _ => String::new(),
            };
            finding = finding
                .evidence("proposed_version", version)
                .remediation(hint(
                    format!(
                        "engine_version: {} → {version}, {} standard support ended {end} (major upgrade{path})",
                        db.engine_version, line.label
                    ),
                    "/EngineVersion",
                    Some(json!(db.engine_version)),
                    json!(version),
                ));
        }
        Some(finding)
    }

    /// A parameter group whose name starts with `default.`.
    pub(super) fn default_parameter_group(&self, site: &Site<'_>) -> Option<Finding> {
        let group = site
            .db
            .parameter_groups
            .iter()
            .find(|g| g.name.starts_with("default."))?;
        let message = format!(
            "{} uses the default parameter group `{}`, whose parameters cannot be changed.",
            site.describe(),
            group.name
        );
        Some(
            Finding::new(
                self.rule(Rule::DefaultParameterGroup),
                site.resource,
                message,
            )
            .evidence("parameter_group", &group.name),
        )
    }
}
