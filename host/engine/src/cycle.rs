//! One cycle, in stages: **collect** every source (async, on the caller's runtime, the
//! plugin host starting beside it when the cycle brings its own), **detect** (the scan,
//! on the existing pool through `spawn_blocking`, one at a time), then, when asked,
//! **fix** the findings in the IaC source. The command line runs the stages and prints
//! between them; the server will run the same ones on a schedule. Later stages
//! (state, pull requests, notifications) hang on the [`Detected`] a cycle yields.

use std::sync::Arc;

use aiops_collect::{CollectProgress, CollectorsConfig, SnapshotError, Source, collect_sources};
use aiops_core::{Inventory, ScanReport};
use aiops_runtime::{HostOptions, PluginHost, PluginRegistry, PluginsConfig, RegistrySnapshot};
use aiops_sdk::Severity;
use tokio::sync::Semaphore;

use crate::fix::{FileChange, FixedFinding, IacRepo, RepoError, fix_findings};
use crate::scan::run_scan;

/// Scans at once in the process: a scan already uses every core.
static SCANS: Semaphore = Semaphore::const_new(1);

/// Why a cycle could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    /// A file source could not be read (a usage error: missing directory, bad snapshot).
    #[error(transparent)]
    Source(#[from] SnapshotError),
    /// The plugin host could not start (plugin directory missing, engine failure).
    #[error("{0:#}")]
    Host(anyhow::Error),
    /// The state store failed (unreachable, locked by another cycle, a query failed).
    #[error(transparent)]
    State(aiops_state::StateError),
    /// A stage's task panicked or was cancelled.
    #[error("the {stage} stage did not finish: {message}")]
    Stage {
        /// The stage.
        stage: &'static str,
        /// What happened to it.
        message: String,
    },
}

/// Where a cycle's plugins come from.
pub enum Plugins {
    /// Start a plugin host for this cycle, while the sources are read.
    Start(HostOptions),
    /// The current plugins of a running host.
    Running(Arc<PluginRegistry>),
}

/// What the cycle tells while it detects (a progress bar, logs, metrics).
pub trait DetectObserver: Send + Sync {
    /// The scan starts: this many enabled detectors over this many resources.
    fn started(&self, detectors: usize, resources: usize) {
        let _ = (detectors, resources);
    }
    /// A detector finished all its calls.
    fn plugin_done(&self, plugin: &str) {
        let _ = plugin;
    }
    /// The scan is over.
    fn finished(&self) {}
}

/// An observer that tells nothing.
pub struct Quiet;

impl DetectObserver for Quiet {}

/// What a cycle reads and runs with.
pub struct CycleInput<'a> {
    /// The inventory sources, in order.
    pub sources: &'a [Source],
    /// What the store calls each source (as the config spells it); unset: the
    /// sources' own spelling.
    pub source_names: Option<&'a [String]>,
    /// The `collectors:` config section.
    pub collectors: &'a CollectorsConfig,
    /// The `plugins:` config section.
    pub plugins: &'a PluginsConfig,
    /// Progress of collection.
    pub progress: &'a CollectProgress,
    /// Names of the config's sources this cycle leaves to a later one (per-source
    /// schedules): their open findings are left as they are.
    pub not_due: &'a [String],
}

/// A cycle after its detect stage.
pub struct Detected {
    /// What was collected.
    pub inventory: Arc<Inventory>,
    /// What the detectors found, and every failure.
    pub report: Arc<ScanReport>,
    /// The plugins the scan ran with (the fix stage uses the same).
    pub plugins: Arc<RegistrySnapshot>,
    /// The host the cycle started, if it brought its own.
    pub host: Option<PluginHost>,
}

/// What the fix stage gave: an outcome per finding and the changed files.
pub struct Fixed {
    /// Outcome of each finding, in report order.
    pub outcomes: Vec<FixedFinding>,
    /// The changed files, sorted by path.
    pub changes: Vec<FileChange>,
    /// The paths written, or why writing failed; `None` for a dry run.
    pub written: Option<Result<Vec<String>, RepoError>>,
    /// True when a remediator failed or its edits were refused.
    pub has_failures: bool,
}

/// How a cycle ended, as exit codes tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing at or above the threshold, everything ran.
    Clean,
    /// A finding at or above the threshold.
    Findings,
    /// Something could not be read, a plugin failed, or a fix failed.
    Incomplete,
}

/// Collects `input.sources` and runs every enabled detector over them.
pub async fn collect_and_detect(
    input: CycleInput<'_>,
    plugins: Plugins,
    observer: Arc<dyn DetectObserver>,
) -> Result<Detected, CycleError> {
    let collecting = collect_sources(input.sources, input.collectors, input.progress);
    let (inventory, registry, host) = beside_plugins(plugins, input.plugins, collecting).await?;
    let inventory = Arc::new(inventory?);
    detect_with(registry, host, inventory, input.plugins, observer).await
}

/// Runs `work` (a collect stage) while the plugin host starts, when the cycle brings
/// its own; returns what `work` gave and the plugins to detect with.
pub(crate) async fn beside_plugins<T>(
    plugins: Plugins,
    config: &PluginsConfig,
    work: impl std::future::Future<Output = T>,
) -> Result<(T, Arc<PluginRegistry>, Option<PluginHost>), CycleError> {
    Ok(match plugins {
        Plugins::Start(options) => {
            let config = config.clone();
            let starting =
                tokio::task::spawn_blocking(move || PluginHost::start(&config, &options));
            let done = work.await;
            let host = starting
                .await
                .map_err(|err| stage_error("plugin host", err))?
                .map_err(CycleError::Host)?;
            let registry = host.registry.clone();
            (done, registry, Some(host))
        }
        Plugins::Running(registry) => (work.await, registry, None),
    })
}

/// The detect stage over a collected inventory, as a [`Detected`].
pub(crate) async fn detect_with(
    registry: Arc<PluginRegistry>,
    host: Option<PluginHost>,
    inventory: Arc<Inventory>,
    config: &PluginsConfig,
    observer: Arc<dyn DetectObserver>,
) -> Result<Detected, CycleError> {
    let plugins = registry.snapshot();
    let report = detect(&plugins, &inventory, config, observer).await?;
    Ok(Detected {
        inventory,
        report: Arc::new(report),
        plugins,
        host,
    })
}

/// The detect stage alone: the scan on the blocking pool, one at a time.
pub async fn detect(
    plugins: &Arc<RegistrySnapshot>,
    inventory: &Arc<Inventory>,
    config: &PluginsConfig,
    observer: Arc<dyn DetectObserver>,
) -> Result<ScanReport, CycleError> {
    let _turn = SCANS
        .acquire()
        .await
        .map_err(|err| stage_error("detect", err))?;
    let (plugins, inventory, config) = (plugins.clone(), inventory.clone(), config.clone());
    tokio::task::spawn_blocking(move || {
        let detectors = plugins
            .detectors()
            .filter(|p| config.plugin(p.name()).enabled)
            .count();
        observer.started(detectors, inventory.len());
        let report = run_scan(&plugins, &inventory, &config, &|name| {
            observer.plugin_done(name)
        });
        observer.finished();
        report
    })
    .await
    .map_err(|err| stage_error("detect", err))
}

impl Detected {
    /// The fix stage: remediators turn the findings into edits of `repo`, written
    /// unless `dry_run`.
    pub async fn fix(
        &self,
        repo: Arc<IacRepo>,
        config: &PluginsConfig,
        dry_run: bool,
    ) -> Result<Fixed, CycleError> {
        let plugins = self.plugins.clone();
        let inventory = self.inventory.clone();
        let report = self.report.clone();
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            let run = fix_findings(&repo, &plugins, &inventory, &report.findings, &config);
            Fixed {
                changes: run.changes(),
                written: (!dry_run).then(|| run.write()),
                has_failures: run.has_failures(),
                outcomes: run.outcomes,
            }
        })
        .await
        .map_err(|err| stage_error("fix", err))
    }

    /// How the cycle ended: findings at or above `fail_on` win, then anything
    /// incomplete (including a failed fix).
    pub fn verdict(&self, fail_on: Option<Severity>, fix_failed: bool) -> Verdict {
        let breached = match (fail_on, self.report.max_severity()) {
            (Some(threshold), Some(max)) => max >= threshold,
            _ => false,
        };
        if breached {
            Verdict::Findings
        } else if self.report.is_incomplete() || fix_failed {
            Verdict::Incomplete
        } else {
            Verdict::Clean
        }
    }
}

pub(crate) fn stage_error(stage: &'static str, err: impl std::fmt::Display) -> CycleError {
    CycleError::Stage {
        stage,
        message: err.to_string(),
    }
}
