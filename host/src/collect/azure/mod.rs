//! The Azure Monitor collector. Not built yet: it reports itself as such when asked to run.

use std::time::Duration;

use serde::Deserialize;

use super::collector::{CollectError, CollectFuture, Collector};
use super::progress::SourceProgress;
use super::retry::RetryPolicy;

/// The `collectors.azure` config section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AzureConfig {
    /// Seconds the whole collection may take.
    pub timeout_seconds: u64,
    /// Retries on throttling.
    pub retry: RetryPolicy,
}

impl Default for AzureConfig {
    fn default() -> Self {
        AzureConfig {
            timeout_seconds: 120,
            retry: RetryPolicy::default(),
        }
    }
}

/// Reads Azure Monitor into inventory.
pub struct AzureCollector {
    config: AzureConfig,
}

impl AzureCollector {
    /// A collector with these settings.
    pub fn new(config: AzureConfig) -> Self {
        AzureCollector { config }
    }
}

impl Collector for AzureCollector {
    fn name(&self) -> &str {
        "azure"
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_seconds)
    }

    fn collect<'a>(&'a self, _progress: &'a SourceProgress) -> CollectFuture<'a> {
        Box::pin(async {
            Err(CollectError::Config(
                "the azure collector is not built into this version yet".to_string(),
            ))
        })
    }
}
