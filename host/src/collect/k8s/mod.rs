//! The Kubernetes collector. Not built yet: it reports itself as such when asked to run.

use std::time::Duration;

use serde::Deserialize;

use super::collector::{CollectError, CollectFuture, Collector};
use super::progress::SourceProgress;
use super::retry::RetryPolicy;

/// The `collectors.k8s` config section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct K8sConfig {
    /// Seconds the whole collection may take.
    pub timeout_seconds: u64,
    /// Retries on throttling.
    pub retry: RetryPolicy,
}

impl Default for K8sConfig {
    fn default() -> Self {
        K8sConfig {
            timeout_seconds: 120,
            retry: RetryPolicy::default(),
        }
    }
}

/// Reads Kubernetes into inventory.
pub struct K8sCollector {
    config: K8sConfig,
}

impl K8sCollector {
    /// A collector with these settings.
    pub fn new(config: K8sConfig) -> Self {
        K8sCollector { config }
    }
}

impl Collector for K8sCollector {
    fn name(&self) -> &str {
        "k8s"
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_seconds)
    }

    fn collect<'a>(&'a self, _progress: &'a SourceProgress) -> CollectFuture<'a> {
        Box::pin(async {
            Err(CollectError::Config(
                "the k8s collector is not built into this version yet".to_string(),
            ))
        })
    }
}
