//! The contract every live collector implements, and the runner that drives them: each
//! source in parallel, each under its own deadline, one source's failure isolated from
//! the others (it becomes an [`InventoryProblem`] naming the source; the rest of the
//! inventory still reaches the detectors).

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use super::progress::{CollectProgress, SourceProgress};
use crate::inventory::{Inventory, InventoryProblem};

/// The future a collector returns.
pub type CollectFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Inventory, CollectError>> + Send + 'a>>;

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
    fn collect<'a>(&'a self, progress: &'a SourceProgress) -> CollectFuture<'a>;
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

/// What one source yielded.
#[derive(Debug)]
pub struct SourceOutcome {
    /// The source's name.
    pub name: String,
    /// Its inventory, or why there is none.
    pub result: Result<Inventory, CollectError>,
    /// Wall time spent.
    pub elapsed: Duration,
}

/// Runs every collector concurrently on a private runtime, each under its deadline.
/// Outcomes come back in the order of `collectors`.
pub fn run_collectors(
    collectors: &[Box<dyn Collector>],
    progress: &CollectProgress,
) -> Vec<SourceOutcome> {
    if collectors.is_empty() {
        return Vec::new();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            return collectors
                .iter()
                .map(|c| SourceOutcome {
                    name: c.name().to_string(),
                    result: Err(CollectError::Api(format!(
                        "cannot start the async runtime: {err}"
                    ))),
                    elapsed: Duration::ZERO,
                })
                .collect();
        }
    };
    runtime.block_on(async {
        let runs = collectors.iter().map(|collector| {
            let bar = progress.source(collector.name());
            async move {
                let started = Instant::now();
                let deadline = collector.timeout();
                let result = match tokio::time::timeout(deadline, collector.collect(&bar)).await {
                    Ok(result) => result,
                    Err(_) => Err(CollectError::Timeout(deadline)),
                };
                bar.finish(&result);
                SourceOutcome {
                    name: collector.name().to_string(),
                    result,
                    elapsed: started.elapsed(),
                }
            }
        });
        futures_util::future::join_all(runs).await
    })
}

/// Folds outcomes into one inventory: a failed source becomes a problem naming it.
pub fn merge_outcomes(outcomes: Vec<SourceOutcome>, into: &mut Inventory) {
    for outcome in outcomes {
        match outcome.result {
            Ok(inventory) => into.extend(inventory),
            Err(err) => into.problems.push(InventoryProblem {
                source: outcome.name,
                line: None,
                message: err.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_sdk::{Platform, Resource};

    struct Fake {
        name: &'static str,
        delay: Duration,
        fail: bool,
    }

    impl Collector for Fake {
        fn name(&self) -> &str {
            self.name
        }
        fn timeout(&self) -> Duration {
            Duration::from_millis(300)
        }
        fn collect<'a>(&'a self, progress: &'a SourceProgress) -> CollectFuture<'a> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                if self.fail {
                    return Err(CollectError::Api("503 Service Unavailable".into()));
                }
                let mut inventory = Inventory::default();
                let resource = Resource {
                    id: format!("{}/x", self.name),
                    kind: "test.kind".into(),
                    platform: Platform::Aws,
                    name: "x".into(),
                    namespace: None,
                    labels: Vec::new(),
                    metrics: Vec::new(),
                    raw: "{}".into(),
                };
                inventory.push(resource, None);
                progress.found("test.kind", 1);
                Ok(inventory)
            })
        }
    }

    #[test]
    fn a_failing_and_a_slow_source_do_not_cost_the_others() {
        let collectors: Vec<Box<dyn Collector>> = vec![
            Box::new(Fake {
                name: "good",
                delay: Duration::ZERO,
                fail: false,
            }),
            Box::new(Fake {
                name: "down",
                delay: Duration::ZERO,
                fail: true,
            }),
            Box::new(Fake {
                name: "slow",
                delay: Duration::from_secs(30),
                fail: false,
            }),
        ];
        let started = Instant::now();
        let outcomes = run_collectors(&collectors, &CollectProgress::hidden());
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the slow source was not cut off"
        );
        let mut inventory = Inventory::default();
        merge_outcomes(outcomes, &mut inventory);
        assert_eq!(inventory.len(), 1);
        assert!(inventory.get("good/x").is_some());
        let problems: Vec<String> = inventory.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            vec![
                "down: 503 Service Unavailable".to_string(),
                "slow: timed out after 0.3s".to_string()
            ]
        );
    }
}
