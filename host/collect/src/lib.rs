//! # aiops-collect
//!
//! Where inventory comes from. File sources: Kubernetes manifests on disk
//! ([`manifests`]) and inventory snapshot files ([`snapshot`]), the embedded default and
//! the fixture format. Live collectors ([`k8s`], [`aws`], [`azure`], each behind a
//! feature of the same name) implement core's [`Collector`](aiops_core::Collector), are
//! registered once in [`live_collectors!`] (which makes both their config section and
//! their entry in [`LIVE_SOURCES`]), run in parallel on the caller's runtime, each under
//! its own deadline with retries on throttling ([`retry`]), fill the same
//! [`Inventory`](aiops_core::Inventory) and write the same snapshot format.
//!
//! What cannot be read at all is an error for a file source (a usage error) and an
//! [`InventoryProblem`](aiops_core::InventoryProblem) naming the source for a live one;
//! what is wrong inside a source (a broken document, a forbidden kind) is a problem too,
//! and the rest of the inventory is still used.

#![forbid(unsafe_code)]

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "azure")]
pub mod azure;
#[cfg(feature = "k8s")]
pub mod k8s;
pub mod kustomize;
pub mod manifests;
mod progress;
mod registry;
pub mod retry;
mod runner;
pub mod snapshot;
mod source;

pub use progress::{CollectProgress, SourceProgress};
pub use registry::{LiveCollector, LiveSource};
pub use runner::{SourceOutcome, merge_outcomes, run_collectors};
pub use snapshot::SnapshotError;
pub use source::{Source, collect_sources};

live_collectors! {
    /// Kubernetes API (kubeconfig or in-cluster).
    #[cfg(feature = "k8s")]
    k8s => k8s::K8sCollector,
    /// AWS RDS, Kinesis and CloudWatch.
    #[cfg(feature = "aws")]
    aws => aws::AwsCollector,
    /// Azure Resource Manager and Azure Monitor.
    #[cfg(feature = "azure")]
    azure => azure::AzureCollector,
}
