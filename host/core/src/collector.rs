//! The contract every live inventory source implements (Kubernetes, AWS, Azure). The
//! runner that drives several at once lives in `aiops-collect`.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::inventory::Inventory;

/// The future a collector returns.
pub type CollectFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Inventory, CollectError>> + Send + 'a>>;

/// Where a collector tells what it is doing while it reads (a progress line on a
/// terminal, counts for the summary).
pub trait CollectorProgress: Send + Sync {
    /// Records `count` more resources of `kind`.
    fn found(&self, kind: &str, count: usize);
    /// Shows what the collector is doing now (e.g. `listing Pods`).
    fn status(&self, what: &str);
}

/// A live inventory source (Kubernetes, AWS, Azure): reads its cloud into resources of
/// the kinds the detectors know (see the snapshot fixtures in `local-dev/inventory`).
///
/// A collector sets up its own client inside [`Collector::collect`] (credentials are
/// resolved there, under the deadline). What fails for part of the source (one kind
/// forbidden, one region down) goes into the returned inventory's `problems` and the
/// rest is kept; an `Err` means nothing usable came back from this source.
pub trait Collector: Send + Sync {
    /// The source's name as the command line spells it (`k8s`, `aws`, `azure`).
    fn name(&self) -> &str;
    /// How long the whole collection may take before it is abandoned.
    fn timeout(&self) -> Duration;
    /// Reads the source, reporting what it found on `progress`.
    fn collect<'a>(&'a self, progress: &'a dyn CollectorProgress) -> CollectFuture<'a>;
}

/// Why a collector produced nothing usable.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// No credentials, or the provider refused them. Never carries a secret.
    #[error("credentials: {0}")]
    Credentials(String),
    /// The collector's settings cannot be used.
    #[error("config: {0}")]
    Config(String),
    /// The API failed (after retries where retrying made sense).
    #[error("{0}")]
    Api(String),
    /// The API answered something that is not what its reference documents.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The collection did not finish within its deadline.
    #[error("timed out after {}s", .0.as_secs_f64())]
    Timeout(Duration),
}
