//! `aiops cycle`: one recorded cycle over the config's `sources:` — collect, detect,
//! reconcile with the state store — and its summary.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aiops_collect::{CollectProgress, Source};
use aiops_engine::cycle::{CycleInput, Plugins, Verdict};
use aiops_engine::recorded::{RecordOptions, RecordedCycle, run_recorded};
use aiops_gitops::config::GitopsConfig;
use aiops_gitops::remediate::{GroupOutcome, RemediateInput, RemediationReport};
use aiops_gitops::workflow::Gitops;
use aiops_notify::deliver::{DrainReport, Notifier};
use aiops_sdk::Severity;
use aiops_state::{ObservedFinding, SeverityCounts, Store};
use anyhow::Context as _;
use clap::Args;

use crate::cli::{
    EXIT_FINDINGS, EXIT_INCOMPLETE, PluginArgs, Progress, async_runtime, host_options,
};
use crate::config::Config;
use crate::store_cmd::{OutputFormat, open_store};

/// Findings of each kind (new, resolved) the table lists before it says "and N more".
const LISTED: usize = 20;

/// Arguments of `aiops cycle`.
#[derive(Debug, Args)]
pub struct CycleArgs {
    /// More sources, after the config's `sources:`: `k8s`, `aws`, `azure`,
    /// `manifests:DIR` or `snapshot:FILE` (repeatable).
    #[arg(long = "source")]
    pub sources: Vec<Source>,
    /// Plugin sources.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Summary format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Exit 1 when a finding at or above this severity is open after the cycle.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Wait this long for another cycle on the same store to finish, then refuse.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub wait: u64,
    /// Detect and record only: propose no change in the IaC repository.
    #[arg(long)]
    pub no_remediate: bool,
    /// Show the branches and proposals the remediation stage would make; change nothing
    /// in the repository (the cycle's findings are still recorded).
    #[arg(long, conflicts_with = "no_remediate")]
    pub dry_run: bool,
    /// Leave the cycle's notifications queued (a later cycle or `aiops serve` sends them).
    #[arg(long)]
    pub no_notify: bool,
}

/// Runs `aiops cycle`.
pub fn run_cycle(config: &Config, args: &CycleArgs) -> anyhow::Result<ExitCode> {
    let mut sources: Vec<Source> = config.sources.iter().map(|s| s.source.clone()).collect();
    sources.extend(args.sources.iter().cloned());
    if sources.is_empty() {
        anyhow::bail!(
            "no sources: list them under `sources:` in the config (e.g. `sources: [\"manifests:k8s/\"]`) or give --source"
        );
    }
    let names: Vec<String> = config
        .sources
        .iter()
        .map(|s| s.name.clone())
        .chain(args.sources.iter().map(ToString::to_string))
        .collect();
    let runtime = async_runtime()?;
    let started = Instant::now();
    let cycle = runtime.block_on(async {
        let store = open_store(config).await?;
        let stages = Stages {
            program: "aiops cycle",
            sources: &sources,
            names: &names,
            not_due: &[],
            plugins: Plugins::Start(host_options(&args.plugins)),
            progress: Arc::new(Progress::default()),
            collect_progress: CollectProgress::for_stderr(),
            lock_wait: Duration::from_secs(args.wait),
            remediate: !args.no_remediate,
            dry_run: args.dry_run,
            notify: !(args.no_notify || args.dry_run),
        };
        let run = run_stages(config, &store, stages).await?;
        anyhow::Ok((run.cycle, run.remediation, run.notifications))
    })?;
    let (cycle, remediation, notifications) = cycle;
    for problem in &cycle.observation.problems {
        match (&problem.plugin, &problem.source, problem.line) {
            (Some(plugin), _, _) => eprintln!("error: plugin {plugin}: {}", problem.message),
            (None, Some(source), Some(line)) => {
                eprintln!("error: {source}:{line}: {}", problem.message)
            }
            (None, Some(source), None) => eprintln!("error: {source}: {}", problem.message),
            (None, None, _) => eprintln!("error: {}", problem.message),
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        OutputFormat::Json => {
            let mut summary = serde_json::to_value(summary_json(&cycle))?;
            if let Some(r) = &remediation {
                summary["remediation"] = serde_json::to_value(r)?;
            }
            match &notifications {
                Some(Ok(n)) => summary["notifications"] = serde_json::to_value(n)?,
                Some(Err(e)) => summary["notifications"] = serde_json::json!({"error": e}),
                None => {}
            }
            serde_json::to_writer_pretty(&mut out, &summary)?;
            writeln!(out)?;
        }
        OutputFormat::Table => {
            print_summary(&mut out, &cycle, started.elapsed())?;
            if let Some(r) = &remediation {
                print_remediation(&mut out, r)?;
            }
            if let Some(Ok(n)) = &notifications {
                writeln!(
                    out,
                    "notifications: {} event(s) routed, {} silenced; {} sent, {} to retry, {} dead, {} queued",
                    n.routed, n.silenced, n.sent, n.failed, n.dead, n.queued
                )?;
            }
        }
    }
    if let Some(Err(e)) = &notifications {
        eprintln!("error: notifications: {e}");
    }
    out.flush()?;
    let remediation_failed = remediation.as_ref().is_some_and(|r| {
        r.groups
            .iter()
            .any(|g| matches!(g.outcome, GroupOutcome::Failed { .. }))
    });
    let notify_failed = notifications
        .as_ref()
        .is_some_and(|n| n.as_ref().map_or(true, |r| r.dead > 0));
    let code = match cycle.verdict(args.fail_on) {
        Verdict::Findings => ExitCode::from(EXIT_FINDINGS),
        Verdict::Incomplete => ExitCode::from(EXIT_INCOMPLETE),
        Verdict::Clean if remediation_failed || notify_failed => ExitCode::from(EXIT_INCOMPLETE),
        Verdict::Clean => ExitCode::SUCCESS,
    };
    drop(cycle);
    // As `scan`: the process ends next, the system takes the runtime's threads back.
    std::mem::forget(runtime);
    Ok(code)
}

/// What one cycle does and how: its sources, plugins and which stages run.
pub struct Stages<'a> {
    /// The program running the cycle (`aiops cycle`, `aiops serve`), recorded in its owner.
    pub program: &'static str,
    /// The sources to collect.
    pub sources: &'a [Source],
    /// Their names as the config spells them.
    pub names: &'a [String],
    /// The config's sources this cycle leaves to a later one (their own schedule).
    pub not_due: &'a [String],
    /// Start a plugin host, or the running one.
    pub plugins: Plugins,
    /// The detect stage's observer.
    pub progress: Arc<dyn aiops_engine::cycle::DetectObserver>,
    /// The collect stage's progress.
    pub collect_progress: CollectProgress,
    /// How long to wait for another cycle's lock.
    pub lock_wait: Duration,
    /// Run the remediation stage (when `gitops:` is configured).
    pub remediate: bool,
    /// Remediation as a dry run.
    pub dry_run: bool,
    /// Run the notification stage.
    pub notify: bool,
}

/// What one cycle did, stage by stage.
pub struct CycleRun {
    /// Collect, detect and record.
    pub cycle: RecordedCycle,
    /// The remediation stage, when it ran.
    pub remediation: Option<RemediationReport>,
    /// The notification stage, when it ran (its error as text).
    pub notifications: Option<Result<DrainReport, String>>,
}

/// Runs one cycle's stages on `store` (under the cycle lock): collect, detect, record,
/// then remediate and notify; the one place `aiops cycle` and `aiops serve` run a cycle.
pub async fn run_stages(
    config: &Config,
    store: &Store,
    stages: Stages<'_>,
) -> anyhow::Result<CycleRun> {
    use tracing::Instrument as _;
    // Every line of the cycle carries its id (recorded once the store allots it).
    let span = tracing::info_span!(
        "cycle",
        cycle = tracing::field::Empty,
        program = stages.program
    );
    stages_in_span(config, store, stages).instrument(span).await
}

async fn stages_in_span(
    config: &Config,
    store: &Store,
    stages: Stages<'_>,
) -> anyhow::Result<CycleRun> {
    let input = CycleInput {
        sources: stages.sources,
        source_names: Some(stages.names),
        not_due: stages.not_due,
        collectors: &config.collectors,
        plugins: &config.plugins,
        progress: &stages.collect_progress,
    };
    let options = RecordOptions {
        store,
        owner: owner(stages.program),
        lock_wait: stages.lock_wait,
        retention_days: config.state.retention_days,
    };
    let cycle = run_recorded(input, stages.plugins, stages.progress, options).await?;
    let remediation = match (&config.gitops, stages.remediate) {
        (Some(gitops), true) => {
            Some(remediate(config, gitops, store, &cycle, stages.dry_run).await?)
        }
        _ => None,
    };
    let notifications = if stages.notify {
        Some(notify(config, store).await)
    } else {
        None
    };
    Ok(CycleRun {
        cycle,
        remediation,
        notifications,
    })
}

/// The notification stage: routes the outbox's new events and sends what is due, for
/// at most `notifications.drain_timeout_seconds`; what is left stays queued.
async fn notify(config: &Config, store: &Store) -> Result<DrainReport, String> {
    let notifier = Notifier::new(&config.notifications).map_err(|e| e.to_string())?;
    let after = config.notifications.failing_after_cycles.unwrap_or(3);
    aiops_notify::failing::record_failing(store, after)
        .await
        .map_err(|e| e.to_string())?;
    notifier
        .drain(store, notifier.drain_timeout)
        .await
        .map_err(|e| e.to_string())
}

/// The remediation stage of the cycle, on aiops's clone of `gitops.repo`.
async fn remediate(
    config: &Config,
    gitops: &GitopsConfig,
    store: &Store,
    cycle: &RecordedCycle,
    dry_run: bool,
) -> anyhow::Result<RemediationReport> {
    let gitops = Gitops::open(gitops.clone(), &config.policy, &config.data_dir())
        .await
        .context("gitops")?;
    let input = RemediateInput {
        store,
        cycle: cycle.id,
        inventory: &cycle.detected.inventory,
        report: &cycle.detected.report,
        plugins: &cycle.detected.plugins,
        plugins_config: &config.plugins,
        dry_run,
    };
    aiops_gitops::remediate::remediate(&gitops, input)
        .await
        .context("remediation")
}

/// Who runs the cycle (`program`, pid, host), as the store records it and a waiting
/// cycle is told.
fn owner(program: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown host".into());
    format!("{program} (pid {} on {host})", std::process::id())
}

/// The `--format json` summary: the fields the issue names first, then the details.
#[derive(serde::Serialize)]
struct SummaryJson<'a> {
    cycle: i64,
    new: usize,
    open: usize,
    resolved: usize,
    reopened: usize,
    stale: usize,
    problems: &'a [aiops_state::CycleProblem],
    by_severity: &'a std::collections::BTreeMap<String, SeverityCounts>,
    sources: &'a [aiops_state::SourceStatus],
    /// Fingerprints opened or reopened by this cycle.
    opened: &'a [String],
    /// Fingerprints resolved by this cycle.
    resolved_fingerprints: &'a [String],
    abandoned_cycles: &'a [i64],
    pruned: usize,
}

fn summary_json(cycle: &RecordedCycle) -> SummaryJson<'_> {
    let t = cycle.outcome.summary.total;
    SummaryJson {
        cycle: cycle.id,
        new: t.new,
        open: t.open,
        resolved: t.resolved,
        reopened: t.reopened,
        stale: t.stale,
        problems: &cycle.observation.problems,
        by_severity: &cycle.outcome.summary.by_severity,
        sources: &cycle.sources,
        opened: &cycle.outcome.opened,
        resolved_fingerprints: &cycle.outcome.resolved,
        abandoned_cycles: &cycle.abandoned,
        pruned: cycle.pruned,
    }
}

fn counts_line(t: &SeverityCounts) -> String {
    format!(
        "{} new, {} open, {} resolved, {} reopened, {} stale",
        t.new, t.open, t.resolved, t.reopened, t.stale
    )
}

fn print_summary(
    out: &mut impl Write,
    cycle: &RecordedCycle,
    took: Duration,
) -> anyhow::Result<()> {
    let summary = &cycle.outcome.summary;
    for id in &cycle.abandoned {
        writeln!(
            out,
            "cycle {id} was abandoned (its process stopped before it finished; nothing of it was stored)"
        )?;
    }
    writeln!(
        out,
        "cycle {}: {} ({:.1} s)",
        cycle.id,
        counts_line(&summary.total),
        took.as_secs_f64()
    )?;
    if !summary.by_severity.is_empty() {
        writeln!(
            out,
            "  {:<9} {:>5} {:>5} {:>8} {:>8} {:>5}",
            "SEVERITY", "NEW", "OPEN", "RESOLVED", "REOPENED", "STALE"
        )?;
        let mut rows: Vec<_> = summary.by_severity.iter().collect();
        let rank = |s: &str| s.parse::<Severity>().map_or(0, |s| s as i32);
        rows.sort_by_key(|(s, _)| -rank(s));
        for (severity, c) in rows {
            writeln!(
                out,
                "  {severity:<9} {:>5} {:>5} {:>8} {:>8} {:>5}",
                c.new, c.open, c.resolved, c.reopened, c.stale
            )?;
        }
    }
    let by_fingerprint: std::collections::HashMap<&str, &ObservedFinding> = cycle
        .observation
        .findings
        .iter()
        .map(|f| (f.fingerprint.as_str(), f))
        .collect();
    let opened: Vec<&ObservedFinding> = cycle
        .outcome
        .opened
        .iter()
        .filter_map(|fp| by_fingerprint.get(fp.as_str()).copied())
        .collect();
    for f in opened.iter().take(LISTED) {
        let component = f
            .component
            .as_deref()
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        writeln!(
            out,
            "  + {:<8} {} {}{component}  {}",
            f.severity.as_str(),
            f.rule,
            f.resource_id,
            &f.fingerprint[..12.min(f.fingerprint.len())]
        )?;
    }
    if opened.len() > LISTED {
        writeln!(
            out,
            "  … and {} more new or reopened (aiops findings list)",
            opened.len() - LISTED
        )?;
    }
    for fp in cycle.outcome.resolved.iter().take(LISTED) {
        writeln!(out, "  - resolved {}", &fp[..12.min(fp.len())])?;
    }
    if cycle.outcome.resolved.len() > LISTED {
        writeln!(
            out,
            "  … and {} more resolved (aiops findings list --state resolved)",
            cycle.outcome.resolved.len() - LISTED
        )?;
    }
    for s in &cycle.sources {
        let outcome = if s.failed {
            "failed".to_string()
        } else if s.problems.is_empty() {
            "ok".to_string()
        } else {
            format!("{} problem(s)", s.problems.len())
        };
        writeln!(
            out,
            "  source {}: {} resources, {outcome}",
            s.source, s.resources
        )?;
    }
    if cycle.pruned > 0 {
        writeln!(
            out,
            "  pruned {} resolved finding(s) past retention",
            cycle.pruned
        )?;
    }
    Ok(())
}

/// Short form of an outcome for the table.
fn outcome_line(outcome: &GroupOutcome) -> String {
    match outcome {
        GroupOutcome::Proposed { id } => format!("proposed (remediation {id}, awaiting approval)"),
        GroupOutcome::AutoMerged { id } => format!("merged at once (remediation {id})"),
        GroupOutcome::Merged { id } => format!("merged (remediation {id}, approved earlier)"),
        GroupOutcome::MergeQueued { id } => {
            format!(
                "approved, auto-merge enabled (remediation {id}): merged when the required checks pass"
            )
        }
        GroupOutcome::Reopened { id } => {
            format!("re-opened (remediation {id}): the rejection is taken back, awaiting approval")
        }
        GroupOutcome::Updated { id } => format!("updated (remediation {id})"),
        GroupOutcome::Unchanged { id } => format!("unchanged (remediation {id})"),
        GroupOutcome::Held { id, reason } => format!("approved, held (remediation {id}): {reason}"),
        GroupOutcome::HumanPushed { id } => {
            format!("left alone: a human pushed to the branch (remediation {id})")
        }
        GroupOutcome::RejectedBefore { id, closed: true } => {
            format!("rejected: its pull request was closed (remediation {id})")
        }
        GroupOutcome::RejectedBefore { id, closed: false } => {
            format!("not proposed: the same change was rejected (remediation {id})")
        }
        GroupOutcome::FixedInSource => "fixed in source: the fix is already on base".into(),
        GroupOutcome::NotProposed { action } => format!("not proposed: {action}"),
        GroupOutcome::Deferred { reason } => format!("deferred: {reason}"),
        GroupOutcome::CannotFix { reasons } => format!("cannot fix: {}", reasons.join("; ")),
        GroupOutcome::WouldPropose { .. } => "would propose (dry run)".into(),
        GroupOutcome::Failed { error } => format!("failed: {error}"),
    }
}

fn print_remediation(out: &mut impl Write, report: &RemediationReport) -> anyhow::Result<()> {
    let verb = if report.dry_run {
        "remediation (dry run: nothing changed)"
    } else {
        "remediation"
    };
    writeln!(out, "{verb}: {} group(s)", report.groups.len())?;
    for g in &report.groups {
        writeln!(
            out,
            "  {:<19} {:<13} {}: {}",
            g.branch,
            g.action,
            g.key,
            outcome_line(&g.outcome)
        )?;
        if let GroupOutcome::WouldPropose { diff } = &g.outcome {
            for line in diff.lines() {
                writeln!(out, "      {line}")?;
            }
        }
    }
    for id in &report.verified {
        writeln!(
            out,
            "  verified: remediation {id} (its findings are resolved)"
        )?;
    }
    for id in &report.not_effective {
        writeln!(
            out,
            "  merged but not effective: remediation {id} (its findings are still reported)"
        )?;
    }
    Ok(())
}
