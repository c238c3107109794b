//! Collectors: where inventory comes from.
//!
//! File sources: Kubernetes manifests on disk ([`manifests`]) and inventory snapshot
//! files ([`snapshot`]), the embedded default and the fixture format. Live collectors
//! ([`k8s`], [`aws`], [`azure`]) implement one trait ([`collector::Collector`]), run in
//! parallel each under its own deadline with retries on throttling ([`retry`]), fill
//! the same [`Inventory`](crate::inventory::Inventory) and write the same snapshot
//! format.
//!
//! What cannot be read at all is an error for a file source (a usage error) and an
//! [`InventoryProblem`](crate::inventory::InventoryProblem) naming the source for a live
//! one; what is wrong inside a source (a broken document, a forbidden kind) is a
//! problem too, and the rest of the inventory is still used.

pub mod aws;
pub mod azure;
pub mod block_yaml;
pub mod collector;
pub mod k8s;
mod lines;
pub mod manifests;
pub mod progress;
pub mod retry;
pub mod snapshot;
pub mod source;

pub use snapshot::SnapshotError;

use serde::Deserialize;

/// The `collectors:` config section: settings per live collector.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CollectorsConfig {
    /// Kubernetes.
    pub k8s: k8s::K8sConfig,
    /// AWS (RDS, Kinesis, CloudWatch).
    pub aws: aws::AwsConfig,
    /// Azure Resource Manager and Azure Monitor.
    pub azure: azure::AzureConfig,
}
