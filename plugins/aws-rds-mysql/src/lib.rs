//! # aws-rds-mysql
//!
//! A built-in aiops detector for AWS RDS MySQL and Aurora MySQL instances (kind
//! `aws.rds.db-instance`): sizing from CloudWatch metrics, free storage, availability,
//! backups, exposure, encryption, engine support and parameter groups. See [`rules`] for
//! the nine rules and [`config::Config`] for the settings.

#![warn(missing_docs)]

pub mod classes;
pub mod config;
pub mod date;
pub mod instance;
pub mod rules;
pub mod support;

use aiops_sdk::knobs::PluginConfig;
use aiops_sdk::rules::RuleId;
use aiops_sdk::{Context, Detector, Finding, LogLevel, PluginInfo, Resource};

use crate::config::Config;
use crate::date::Day;
use crate::instance::DbInstance;
use crate::rules::Checker;

/// The resource kind this detector judges.
pub const KIND: &str = aiops_sdk::kinds::AWS_RDS_DB_INSTANCE;

/// The `aws-rds-mysql` detector.
pub struct AwsRdsMysql;

impl Detector for AwsRdsMysql {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "aws-rds-mysql".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Sizing, storage, availability, backups, exposure, encryption and \
                          engine support of RDS MySQL and Aurora MySQL instances"
                .to_string(),
            kinds: vec![KIND.to_string()],
            rules: rules::Rule::infos(),
            config_schema: Config::schema(),
            per_resource: true,
            ..Default::default()
        }
    }

    /// Checks every MySQL or Aurora MySQL instance; other engines are skipped.
    ///
    /// A resource whose raw object cannot be read is skipped with a warning; only an
    /// invalid config fails the batch.
    fn detect(ctx: &Context<'_>, resources: Vec<Resource>) -> Result<Vec<Finding>, String> {
        let config = Config::from_context(ctx)?;
        let checker = Checker::new(&config, config.today.unwrap_or_else(Day::today));
        let mut findings = Vec::new();
        for resource in &resources {
            match DbInstance::from_resource(resource) {
                Ok(db) if db.is_mysql() => checker.check(resource, &db, &mut findings),
                Ok(db) => ctx.log(
                    LogLevel::Debug,
                    "skipping an instance whose engine is not MySQL",
                    &[("resource", &resource.id), ("engine", &db.engine)],
                ),
                Err(error) => ctx.log(
                    LogLevel::Warn,
                    "skipping a resource whose raw object cannot be read",
                    &[("resource", &resource.id), ("error", &error)],
                ),
            }
        }
        Ok(findings)
    }
}

aiops_sdk::export_detector!(AwsRdsMysql);
