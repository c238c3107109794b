//! The AWS collector. Not built yet: it reports itself as such when asked to run.

use std::time::Duration;

use serde::Deserialize;

use super::collector::{CollectError, CollectFuture, Collector};
use super::progress::SourceProgress;
use super::retry::RetryPolicy;

/// The `collectors.aws` config section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwsConfig {
    /// Seconds the whole collection may take.
    pub timeout_seconds: u64,
    /// Retries on throttling.
    pub retry: RetryPolicy,
}

impl Default for AwsConfig {
    fn default() -> Self {
        AwsConfig {
            timeout_seconds: 120,
            retry: RetryPolicy::default(),
        }
    }
}

/// Reads AWS into inventory.
pub struct AwsCollector {
    config: AwsConfig,
}

impl AwsCollector {
    /// A collector with these settings.
    pub fn new(config: AwsConfig) -> Self {
        AwsCollector { config }
    }
}

impl Collector for AwsCollector {
    fn name(&self) -> &str {
        "aws"
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_seconds)
    }

    fn collect<'a>(&'a self, _progress: &'a SourceProgress) -> CollectFuture<'a> {
        Box::pin(async {
            Err(CollectError::Config(
                "the aws collector is not built into this version yet".to_string(),
            ))
        })
    }
}
