//! A cycle with memory, in stages: **lock** the store's cycles (one at a time per
//! store), **recover** cycles a killed process left running, **begin** (the cycle gets
//! its id), **collect** each source, **detect**, **record** (reconcile with the store in
//! one transaction, under the coverage rule), **prune** what retention lets go. The
//! stages after it (remediation, notifications) run on the [`RecordedCycle`] while its
//! lock is still held, so no other cycle interleaves.
//!
//! Atomic by construction: nothing of a cycle is stored before its reconcile
//! transaction commits; a process killed before then leaves a `running` row that the
//! next cycle marks abandoned.

use std::sync::Arc;
use std::time::Duration;

use aiops_sdk::Severity;
use aiops_state::{CycleLock, ReconcileOutcome, SourceStatus, StateError, Store, now_millis};

use crate::cycle::{
    CycleError, CycleInput, DetectObserver, Detected, Plugins, Verdict, beside_plugins, detect_with,
};
use crate::observe::{Observation, observe};
use crate::sources::collect_each;

/// How a recorded cycle runs against its store.
pub struct RecordOptions<'a> {
    /// The store.
    pub store: &'a Store,
    /// Who runs it (`aiops cycle (pid 42 on host)`), recorded with the cycle and the lock.
    pub owner: String,
    /// How long to wait for another cycle on the same store before refusing.
    pub lock_wait: Duration,
    /// `state.retention_days`.
    pub retention_days: u32,
}

/// A cycle after its record stage.
pub struct RecordedCycle {
    /// Its id in the store.
    pub id: i64,
    /// What reconciling it changed.
    pub outcome: ReconcileOutcome,
    /// How each source went.
    pub sources: Vec<SourceStatus>,
    /// What it reported and covered.
    pub observation: Observation,
    /// The detect stage's result (inventory, report, plugins).
    pub detected: Detected,
    /// Cycles a killed process had left running, marked abandoned by this one.
    pub abandoned: Vec<i64>,
    /// Resolved findings pruned by retention.
    pub pruned: usize,
    /// The store's cycle lock, held until this is dropped.
    _lock: CycleLock,
}

impl RecordedCycle {
    /// How the cycle ended: a finding at or above `fail_on` wins, then anything
    /// incomplete (a source or a plugin failed).
    pub fn verdict(&self, fail_on: Option<Severity>) -> Verdict {
        match self.detected.verdict(fail_on, false) {
            Verdict::Clean if !self.observation.problems.is_empty() => Verdict::Incomplete,
            verdict => verdict,
        }
    }
}

/// Runs one recorded cycle over `input.sources`.
pub async fn run_recorded(
    input: CycleInput<'_>,
    plugins: Plugins,
    observer: Arc<dyn DetectObserver>,
    options: RecordOptions<'_>,
) -> Result<RecordedCycle, CycleError> {
    let store = options.store;
    let lock = store.lock_cycles(&options.owner, options.lock_wait).await?;
    let abandoned = store.abandon_unfinished().await?;
    let id = store.begin_cycle(&options.owner).await?;
    tracing::Span::current().record("cycle", id);
    match stages(input, plugins, observer, store, id).await {
        Ok((outcome, sources, observation, detected)) => {
            let pruned = store
                .prune(options.retention_days, &format!("cycle:{id}"))
                .await?;
            Ok(RecordedCycle {
                id,
                outcome,
                sources,
                observation,
                detected,
                abandoned,
                pruned,
                _lock: lock,
            })
        }
        Err(err) => {
            // Nothing of the cycle was stored: say so now rather than at the next one.
            let _ = store.abandon_unfinished().await;
            Err(err)
        }
    }
}

type Staged = (ReconcileOutcome, Vec<SourceStatus>, Observation, Detected);

async fn stages(
    input: CycleInput<'_>,
    plugins: Plugins,
    observer: Arc<dyn DetectObserver>,
    store: &Store,
    id: i64,
) -> Result<Staged, CycleError> {
    let collecting = collect_each(
        input.sources,
        input.source_names,
        input.collectors,
        input.progress,
    );
    let (mut collected, registry, host) =
        beside_plugins(plugins, input.plugins, collecting).await?;
    let inventory = Arc::new(std::mem::take(&mut collected.inventory));
    let detected = detect_with(registry, host, inventory, input.plugins, observer).await?;
    let mut observation = observe(
        &collected,
        &detected.inventory,
        &detected.report,
        &detected.plugins,
        input.plugins,
    );
    observation.coverage.not_due = input.not_due.iter().cloned().collect();
    let outcome = store
        .reconcile(
            id,
            now_millis(),
            &observation.findings,
            &observation.coverage,
            &observation.problems,
        )
        .await?;
    Ok((outcome, collected.statuses, observation, detected))
}

impl From<StateError> for CycleError {
    fn from(err: StateError) -> Self {
        CycleError::State(err)
    }
}
