//! The runner that drives live collectors: each source in parallel on the caller's
//! runtime, each under its own deadline, one source's failure isolated from the others
//! (it becomes an [`InventoryProblem`] naming the source; the rest of the inventory
//! still reaches the detectors).

use std::time::{Duration, Instant};

use aiops_core::{CollectError, Collector, Inventory, InventoryProblem};

use crate::progress::CollectProgress;

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

/// Runs every collector concurrently, each under its deadline. Outcomes come back in
/// the order of `collectors`.
pub async fn run_collectors(
    collectors: &[Box<dyn Collector>],
    progress: &CollectProgress,
) -> Vec<SourceOutcome> {
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
    use aiops_core::{CollectFuture, CollectorProgress};
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
        fn collect<'a>(&'a self, progress: &'a dyn CollectorProgress) -> CollectFuture<'a> {
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

    #[tokio::test(start_paused = true)]
    async fn a_failing_and_a_slow_source_do_not_cost_the_others() {
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
        let started = tokio::time::Instant::now();
        let outcomes = run_collectors(&collectors, &CollectProgress::hidden()).await;
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(300),
            "the slow source was cut off at its deadline, not waited for"
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
