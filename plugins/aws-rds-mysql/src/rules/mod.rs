//! The nine rules: their stable ids and documentation, and the checker that runs them on
//! one instance. Sizing rules (from CloudWatch metrics) are in [`sizing`], configuration
//! rules (from the raw object) in [`posture`].

mod posture;
mod sizing;

use aiops_sdk::rules::RuleTable;
use aiops_sdk::{FieldChange, Finding, RemediationHint, Resource, RuleInfo};
use serde_json::Value;

use crate::config::Config;
use crate::date::Day;
use crate::instance::DbInstance;

aiops_sdk::rules! {
    /// The rules, in the order of the plugin's info.
    pub enum Rule {
        /// Rule id: CPU p95 below `cpu_p95_low`; the hint is the next smaller class.
        UnderUsed / UNDER_USED = "aws.rds.under-used" {
            severity: Medium,
            title: "Instance under-used",
            description: "An instance whose CPUUtilization p95 over the collection window stays below \
                 `cpu_p95_low` (20% by default; exactly the threshold is fine) pays for capacity it \
                 does not use. The hint proposes the next smaller class of the same family from the \
                 plugin's class table (db.t3, db.t4g, db.m5, db.m6g, db.m6i, db.r5, db.r6g, db.r6i), \
                 and only when the move is safe: the CPU p95 scaled to the smaller class's vCPUs stays \
                 below `cpu_p95_high` and the connections p95 below `connections_ratio` of its \
                 estimated max_connections. An unknown class is reported without a hint; the \
                 smallest class of a family and instances without a CPU metric are not reported.",
        },
        /// Rule id: CPU p95 above `cpu_p95_high` or connections near the class maximum.
        OverUsed / OVER_USED = "aws.rds.over-used" {
            severity: High,
            title: "Instance over-used",
            description: "An instance whose CPUUtilization p95 is above `cpu_p95_high` (80% by default), or \
                 whose DatabaseConnections p95 is above `connections_ratio` (0.8) of the class's \
                 estimated max_connections (memory / 12,582,880 bytes, the default parameter formula, \
                 capped at 16,000), runs out of headroom: queries queue, replication lags and new \
                 connections are refused. The hint proposes the next larger class of the same family; \
                 the largest class or an unknown one is reported without a hint.",
        },
        /// Rule id: free storage below `free_storage_ratio` of the allocation, no autoscaling.
        FreeStorageLow / FREE_STORAGE_LOW = "aws.rds.free-storage-low" {
            severity: High,
            title: "Free storage low",
            description: "An instance whose FreeStorageSpace (the latest point when the collector sent points, \
                 else the window's average) is below `free_storage_ratio` (10% by default) of its \
                 AllocatedStorage, and that has no storage autoscaling (MaxAllocatedStorage absent or \
                 not above the allocation), stops accepting writes when the disk fills. The hint turns \
                 on storage autoscaling with a maximum of twice the current allocation. Aurora \
                 instances are not judged: their cluster volume grows by itself.",
        },
        /// Rule id: a production instance in a single Availability Zone.
        SingleAzProduction / SINGLE_AZ_PRODUCTION = "aws.rds.single-az-production" {
            severity: Medium,
            title: "Production instance in a single AZ",
            description: "An instance tagged as production (a tag among `production_tag_keys`, default \
                 `environment` and `env`, with a value among `production_tag_values`, default \
                 `production` and `prod`, compared case-insensitively) without MultiAZ has no standby: \
                 a host failure or an AZ outage means downtime until a replacement is built, and \
                 maintenance windows reboot it. The hint turns on Multi-AZ.",
        },
        /// Rule id: backup retention 0 or below `min_backup_retention_days`.
        BackupRetention / BACKUP_RETENTION = "aws.rds.backup-retention" {
            severity: Medium,
            title: "Backup retention below policy",
            description: "An instance keeping automated backups for fewer than `min_backup_retention_days` (7 \
                 by default) days cannot be restored to a point in time before that; a retention of 0 \
                 disables automated backups and point-in-time recovery altogether, so that case is \
                 raised to high severity. The hint sets the retention to the policy minimum.",
        },
        /// Rule id: the instance is publicly accessible.
        PubliclyAccessible / PUBLICLY_ACCESSIBLE = "aws.rds.publicly-accessible" {
            severity: High,
            title: "Instance publicly accessible",
            description: "A PubliclyAccessible instance gets a DNS name that resolves to a public IP address, so \
                 only its security groups stand between the database and the internet; one permissive \
                 rule exposes it to credential stuffing and exploits. Databases belong in private \
                 subnets reached through the application or a bastion. The hint turns public access \
                 off.",
        },
        /// Rule id: the storage is not encrypted.
        StorageNotEncrypted / STORAGE_NOT_ENCRYPTED = "aws.rds.storage-not-encrypted" {
            severity: Medium,
            title: "Storage not encrypted",
            description: "An instance without StorageEncrypted keeps its data, automated backups, snapshots and \
                 read replicas unencrypted at rest, which most compliance regimes forbid. Encryption \
                 cannot be turned on in place: the hint sets it, and applying it replaces the instance \
                 (restore from an encrypted copy of a snapshot), so plan a migration window.",
        },
        /// Rule id: the engine version is at or past the end of standard support.
        EngineEndOfSupport / ENGINE_END_OF_SUPPORT = "aws.rds.engine-end-of-support" {
            severity: High,
            title: "Engine version past end of standard support",
            description: "An instance whose engine major version reached the end of RDS standard support (from \
                 the plugin's dated table: MySQL 5.7 on 2024-02-29, 8.0 on 2026-07-31, 8.4 on \
                 2029-07-31; Aurora MySQL 2 on 2024-10-31) gets no more fixes and is billed for \
                 Extended Support or upgraded automatically at a time AWS picks. The day compared is \
                 `today` from the config, else the wall clock; the end day itself counts as ended. For \
                 RDS MySQL the hint proposes the oldest later major version still supported; Aurora \
                 upgrades need a full version and get no hint.",
        },
        /// Rule id: the instance uses a default parameter group.
        DefaultParameterGroup / DEFAULT_PARAMETER_GROUP = "aws.rds.default-parameter-group" {
            severity: Low,
            title: "Default parameter group",
            description: "An instance attached to a default parameter group (a name starting with `default.`) \
                 cannot have any parameter changed without moving it to a custom group first, which \
                 needs a reboot; settings such as slow query logging, timeouts or max_connections are \
                 then out of reach when an incident needs them. Create a custom group per engine \
                 family and attach it; there is no automatic hint.",
        },
    }
}

/// Runs the rules on instances with one config; build once per batch.
pub struct Checker<'a> {
    config: &'a Config,
    today: Day,
    rules: RuleTable<Rule>,
}

/// One instance: what a finding is about.
struct Site<'a> {
    resource: &'a Resource,
    db: &'a DbInstance,
}

impl Site<'_> {
    /// "RDS instance `orders-db` (db.r5.2xlarge)".
    fn describe(&self) -> String {
        format!("RDS instance `{}` ({})", self.db.identifier, self.db.class)
    }
}

/// A hint changing one field of the raw object (`path` a JSON pointer); values as JSON.
fn hint(summary: String, path: &str, current: Option<Value>, proposed: Value) -> RemediationHint {
    RemediationHint {
        summary,
        changes: vec![FieldChange {
            path: path.to_string(),
            current: current.map(|v| v.to_string()),
            proposed: proposed.to_string(),
        }],
    }
}

/// A number for messages: at most one decimal, none when whole (`9`, `9.1`).
fn num(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

impl<'a> Checker<'a> {
    /// A checker for `config`, judging support dates against `today`.
    pub fn new(config: &'a Config, today: Day) -> Self {
        Checker {
            config,
            today,
            rules: RuleTable::new(),
        }
    }

    fn rule(&self, rule: Rule) -> &RuleInfo {
        self.rules.get(rule)
    }

    /// Appends the findings of every rule on one instance to `out`.
    pub fn check(&self, resource: &Resource, db: &DbInstance, out: &mut Vec<Finding>) {
        let site = Site { resource, db };
        out.extend(self.under_used(&site));
        out.extend(self.over_used(&site));
        out.extend(self.free_storage_low(&site));
        out.extend(self.single_az_production(&site));
        out.extend(self.backup_retention(&site));
        out.extend(self.publicly_accessible(&site));
        out.extend(self.storage_not_encrypted(&site));
        out.extend(self.engine_end_of_support(&site));
        out.extend(self.default_parameter_group(&site));
    }
}
