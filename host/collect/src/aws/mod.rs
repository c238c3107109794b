//! The AWS collector: RDS DB instances and Kinesis data streams with their CloudWatch
//! metrics, from several regions and, through assumed roles, several accounts.
//!
//! The story of one collection:
//! 1. [`client`] loads the SDK configuration once (the default credential chain or the
//!    credentials given, the SDK's standard retry from the config's [`RetryPolicy`],
//!    per-attempt and connect timeouts, an endpoint override) and expands the config
//!    into targets, one per account and region.
//! 2. Every target is read concurrently: [`rds`] and [`kinesis`] list their resources
//!    (paginated; Kinesis tags through [`tagging`]) and build the raw objects under the
//!    API's own names ([`raw`]); as soon as one service's listing is done, [`metrics`]
//!    fetches its CloudWatch series in batched `GetMetricData` calls and attaches avg,
//!    max and p95 over the window (RDS metrics do not wait for the Kinesis describes).
//! 3. What fails in one target (a region down, one service denied) becomes an
//!    [`InventoryProblem`] naming `aws/ACCOUNT/REGION`; the other targets' resources
//!    are kept. Only when nothing at all could be read is the whole source an error.
//!
//! Resource ids are `aws/rds/REGION/IDENTIFIER` and `aws/kinesis/REGION/NAME` for the
//! ambient account, with the account id after the service for assumed-role accounts.
//! Credentials never reach a log line or an error message.
//!
//! [`RetryPolicy`]: crate::collect::retry::RetryPolicy

pub mod client;
pub mod config;
pub mod kinesis;
pub mod metrics;
pub mod raw;
pub mod rds;
pub mod tagging;

use std::time::{Duration, SystemTime};

use aws_sdk_rds::config::{Credentials, SharedCredentialsProvider};

pub use config::{AwsAccount, AwsConfig};

use self::client::{CallError, Target};
use self::metrics::{Pending, Window};
use aiops_core::{CollectError, CollectFuture, Collector, CollectorProgress};

use crate::LiveCollector;
use aiops_core::{Inventory, InventoryProblem};

/// Reads AWS into inventory.
pub struct AwsCollector {
    config: AwsConfig,
    credentials: Option<SharedCredentialsProvider>,
}

impl LiveCollector for AwsCollector {
    const NAME: &'static str = "aws";
    type Config = AwsConfig;

    fn validate(config: &AwsConfig) -> Result<(), String> {
        config.validate().map_err(|err| err.to_string())
    }

    fn from_config(config: AwsConfig) -> Self {
        AwsCollector::new(config)
    }
}

impl AwsCollector {
    /// A collector with these settings, using the SDK's default credential chain.
    pub fn new(config: AwsConfig) -> Self {
        AwsCollector {
            config,
            credentials: None,
        }
    }

    /// The same with fixed credentials instead of the default chain (a local stand-in,
    /// tests). The secret stays inside the SDK's provider and is never printed.
    pub fn with_static_credentials(mut self, access_key_id: &str, secret_access_key: &str) -> Self {
        let credentials =
            Credentials::new(access_key_id, secret_access_key, None, None, "aiops-config");
        self.credentials = Some(SharedCredentialsProvider::new(credentials));
        self
    }

    async fn run(&self, progress: &dyn CollectorProgress) -> Result<Inventory, CollectError> {
        self.config.validate()?;
        progress.status("loading AWS configuration");
        let base = client::base_config(&self.config, self.credentials.clone()).await;
        let targets = client::targets(&self.config, base.region());
        if targets.is_empty() {
            return Err(CollectError::Config(
                "no region: set collectors.aws.regions or AWS_REGION".to_string(),
            ));
        }
        let window = Window::ending_at(
            SystemTime::now(),
            self.config.metrics_window_hours,
            self.config.metrics_period_seconds,
        );
        let runs = targets.iter().map(|target| async {
            let config = client::target_config(&base, target).await;
            collect_target(&config, target, &self.config, window, progress).await
        });
        let outcomes = futures_util::future::join_all(runs).await;

        let mut inventory = Inventory::default();
        let mut any_read = false;
        for (target, outcome) in targets.iter().zip(outcomes) {
            any_read |= outcome.any_read;
            for resource in outcome.resources {
                inventory.push(resource, None);
            }
            for failure in outcome.failures {
                tracing::warn!(target = %target.label(), "{failure}");
                inventory.problems.push(InventoryProblem {
                    source: target.label(),
                    line: None,
                    message: failure.to_string(),
                });
            }
        }
        if !any_read {
            let all: Vec<String> = inventory.problems.iter().map(ToString::to_string).collect();
            return Err(CollectError::Api(all.join("; ")));
        }
        Ok(inventory)
    }
}

impl Collector for AwsCollector {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_seconds)
    }

    fn collect<'a>(&'a self, progress: &'a dyn CollectorProgress) -> CollectFuture<'a> {
        Box::pin(self.run(progress))
    }
}

/// What one account and region yielded.
struct TargetOutcome {
    resources: Vec<aiops_sdk::Resource>,
    failures: Vec<CallError>,
    /// At least one service answered.
    any_read: bool,
}

async fn collect_target(
    sdk: &aws_config::SdkConfig,
    target: &Target,
    config: &AwsConfig,
    window: Window,
    progress: &dyn CollectorProgress,
) -> TargetOutcome {
    progress.status(&format!("{}: listing", target.label()));
    let rds_client = aws_sdk_rds::Client::new(sdk);
    let kinesis_client = aws_sdk_kinesis::Client::new(sdk);
    let tagging_client = aws_sdk_resourcegroupstagging::Client::new(sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(sdk);
    // Each service's metrics start as soon as its own listing is done.
    let (instances, streams) = futures_util::future::join(
        listed_with_metrics(
            rds::collect(&rds_client, target, progress),
            &cloudwatch,
            window,
            "rds",
            target,
        ),
        listed_with_metrics(
            kinesis::collect(
                &kinesis_client,
                &tagging_client,
                sdk.endpoint_url().is_some(),
                target,
                config.concurrency,
                progress,
            ),
            &cloudwatch,
            window,
            "kinesis",
            target,
        ),
    )
    .await;

    let mut outcome = TargetOutcome {
        resources: Vec::new(),
        failures: Vec::new(),
        any_read: false,
    };
    for result in [instances, streams] {
        match result {
            Ok((found, metrics_failure)) => {
                outcome.any_read = true;
                outcome
                    .resources
                    .extend(found.into_iter().map(|p| p.resource));
                outcome.failures.extend(metrics_failure);
            }
            Err(err) => outcome.failures.push(err),
        }
    }
    outcome
}

/// One service's listing, then the CloudWatch metrics of what it found; a metrics
/// failure keeps the resources.
async fn listed_with_metrics(
    listing: impl std::future::Future<Output = Result<Vec<Pending>, CallError>>,
    cloudwatch: &aws_sdk_cloudwatch::Client,
    window: Window,
    service: &'static str,
    target: &Target,
) -> Result<(Vec<Pending>, Option<CallError>), CallError> {
    let mut pending = listing.await?;
    if pending.is_empty() {
        return Ok((pending, None));
    }
    match metrics::attach(cloudwatch, &mut pending, window).await {
        Ok(calls) => {
            tracing::debug!(
                target = %target.label(),
                service,
                resources = pending.len(),
                calls,
                "metrics fetched"
            );
            Ok((pending, None))
        }
        Err(err) => Ok((pending, Some(err))),
    }
}
