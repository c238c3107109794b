//! # aws-kinesis-shards
//!
//! A built-in aiops detector for AWS Kinesis data streams (kind `aws.kinesis.stream`):
//! shard counts against CloudWatch incoming bytes and records, write throttling, consumer
//! lag, capacity mode for spiky traffic, and retention and encryption policy. See
//! [`rules`] for the six rules and [`config::Config`] for the settings.

#![warn(missing_docs)]

pub mod capacity;
pub mod config;
pub mod rules;
pub mod stream;

use aiops_sdk::rules::RuleId;
use aiops_sdk::{Context, Detector, Finding, LogLevel, PluginInfo, Resource};

use aiops_sdk::knobs::PluginConfig;

use crate::config::Config;
use crate::rules::Checker;
use crate::stream::Stream;

/// The resource kind this detector judges.
pub const KIND: &str = aiops_sdk::kinds::AWS_KINESIS_STREAM;

/// The `aws-kinesis-shards` detector.
pub struct AwsKinesisShards;

impl Detector for AwsKinesisShards {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "aws-kinesis-shards".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Shard sizing, consumer lag, capacity mode, retention and encryption \
                          of Kinesis data streams"
                .to_string(),
            kinds: vec![KIND.to_string()],
            rules: rules::Rule::infos(),
            config_schema: Config::schema(),
            per_resource: true,
            ..Default::default()
        }
    }

    /// Checks every stream that is not being created or deleted.
    ///
    /// A resource whose raw object cannot be read is skipped with a warning; only an
    /// invalid config fails the batch.
    fn detect(ctx: &Context<'_>, resources: Vec<Resource>) -> Result<Vec<Finding>, String> {
        let config = Config::from_context(ctx)?;
        let checker = Checker::new(&config);
        let mut findings = Vec::new();
        for resource in &resources {
            match Stream::from_resource(resource) {
                Ok(stream) if stream.is_transient() => ctx.log(
                    LogLevel::Debug,
                    "skipping a stream being created or deleted",
                    &[("resource", &resource.id)],
                ),
                Ok(stream) => checker.check(resource, &stream, &mut findings),
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

aiops_sdk::export_detector!(AwsKinesisShards);
