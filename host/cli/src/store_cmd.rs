//! The commands that read the state store: `aiops findings list|show`, `aiops cycles
//! list`, `aiops audit`; and opening the store for every command that uses it.

use std::io::Write;
use std::process::ExitCode;

use aiops_sdk::Severity;
use std::collections::BTreeMap;

use aiops_state::{
    AuditEntry, AuditQuery, CycleRecord, FindingFilter, FindingState, HistoryEntry,
    RemediationState, Store, StoredFinding, format_millis, now_millis, parse_since,
};
use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};

use crate::config::Config;

/// How a store command prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people.
    Table,
    /// JSON for tools.
    Json,
}

/// `aiops findings …`.
#[derive(Debug, Subcommand)]
pub enum FindingsCommand {
    /// List the findings the store holds.
    List(FindingsListArgs),
    /// Show one finding, its evidence and its history.
    Show(FindingShowArgs),
}

/// Arguments of `aiops findings list`.
#[derive(Debug, Args)]
pub struct FindingsListArgs {
    /// Which findings: `open` (stale ones included), `resolved`, `stale` or `all`.
    #[arg(long, default_value = "open", value_parser = ["open", "resolved", "stale", "all"])]
    pub state: String,
    /// Only this severity (repeatable).
    #[arg(long = "severity", value_name = "SEVERITY")]
    pub severities: Vec<Severity>,
    /// Only rules matching this glob (`k8s.resources.*`).
    #[arg(long, value_name = "GLOB")]
    pub rule: Option<glob::Pattern>,
    /// Only resources whose id matches this glob (`k8s/Deployment/shop/*`).
    #[arg(long, value_name = "GLOB")]
    pub resource: Option<glob::Pattern>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Arguments of `aiops findings show`.
#[derive(Debug, Args)]
pub struct FindingShowArgs {
    /// The finding's fingerprint, or enough of its start to be unique.
    pub fingerprint: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `aiops cycles …`.
#[derive(Debug, Subcommand)]
pub enum CyclesCommand {
    /// The most recent cycles and their outcome, newest first.
    List(CyclesListArgs),
}

/// Arguments of `aiops cycles list`.
#[derive(Debug, Args)]
pub struct CyclesListArgs {
    /// How many cycles.
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Arguments of `aiops audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only entries since this time: a duration back (`30m`, `12h`, `7d`) or an RFC 3339 time.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only entries about this subject (a finding's full fingerprint, or `cycle:ID`).
    #[arg(long)]
    pub subject: Option<String>,
    /// At most this many entries, the newest.
    #[arg(long)]
    pub limit: Option<i64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Opens (and migrates) the store the config names.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let url = config.state.store_url(&config.data_dir())?;
    Ok(Store::open(&url).await?)
}

/// Runs a store-reading command to completion on its own runtime.
fn with_store<T>(
    config: &Config,
    work: impl AsyncFnOnce(&Store) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    crate::cli::async_runtime()?.block_on(async {
        let store = open_store(config).await?;
        let result = work(&store).await;
        store.close().await;
        result
    })
}

/// `aiops findings list|show`.
pub fn run_findings(config: &Config, command: &FindingsCommand) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match command {
        FindingsCommand::List(args) => {
            let filter = FindingFilter {
                state: Some(args.state.clone()),
                severities: args.severities.clone(),
                rule: args.rule.clone(),
                resource: args.resource.clone(),
                ..Default::default()
            };
            let (found, remediations) = with_store(config, async |store| {
                Ok((
                    store.list_findings(&filter).await?,
                    remediations_by_finding(store).await?,
                ))
            })?;
            match args.format {
                OutputFormat::Json => {
                    let listed: Vec<serde_json::Value> = found
                        .iter()
                        .map(|f| finding_json(f, remediations.get(&f.fingerprint)))
                        .collect::<anyhow::Result<_>>()?;
                    print_json(&mut out, &listed)?
                }
                OutputFormat::Table => print_findings(&mut out, &found, &remediations)?,
            }
        }
        FindingsCommand::Show(args) => {
            let (finding, history) = with_store(config, async |store| {
                Ok(store.show_finding(&args.fingerprint).await?)
            })?;
            match args.format {
                OutputFormat::Json => print_json(
                    &mut out,
                    &serde_json::json!({"finding": finding, "history": history}),
                )?,
                OutputFormat::Table => print_finding(&mut out, &finding, &history)?,
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `aiops cycles list`.
pub fn run_cycles(config: &Config, command: &CyclesCommand) -> anyhow::Result<ExitCode> {
    let CyclesCommand::List(args) = command;
    let cycles = with_store(config, async |store| {
        Ok(store.list_cycles(args.limit.max(1)).await?)
    })?;
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => print_json(&mut out, &cycles)?,
        OutputFormat::Table => print_cycles(&mut out, &cycles)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `aiops audit`.
pub fn run_audit(config: &Config, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(|text| parse_since(text, now_millis()))
        .transpose()
        .map_err(anyhow::Error::msg)
        .context("--since")?;
    let query = AuditQuery {
        since,
        subject: args.subject.clone(),
        limit: args.limit,
    };
    let entries = with_store(config, async |store| Ok(store.audit(&query).await?))?;
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => print_json(&mut out, &entries)?,
        OutputFormat::Table => print_audit(&mut out, &entries)?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn print_json(out: &mut impl Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Each finding's latest remediation: id and state, by fingerprint.
async fn remediations_by_finding(
    store: &Store,
) -> anyhow::Result<BTreeMap<String, (i64, RemediationState)>> {
    let mut latest = BTreeMap::new();
    // Newest first: the first seen for a fingerprint is its latest.
    for r in store.list_remediations(&[]).await? {
        for f in &r.findings {
            latest
                .entry(f.fingerprint.clone())
                .or_insert((r.id, r.state));
        }
    }
    Ok(latest)
}

/// True for an open finding whose fix is already on base (until a cycle resolves it).
fn fixed_in_source(f: &StoredFinding, remediation: Option<&(i64, RemediationState)>) -> bool {
    f.state == FindingState::Open
        && remediation.is_some_and(|(_, s)| *s == RemediationState::FixedInSource)
}

/// A finding as `findings list --format json` prints it: the stored finding, its latest
/// remediation and whether its fix is already in the source.
fn finding_json(
    f: &StoredFinding,
    remediation: Option<&(i64, RemediationState)>,
) -> anyhow::Result<serde_json::Value> {
    let mut value = serde_json::to_value(f)?;
    value["fixed_in_source"] = fixed_in_source(f, remediation).into();
    value["remediation"] = match remediation {
        Some((id, state)) => serde_json::json!({"id": id, "state": state.as_str()}),
        None => serde_json::Value::Null,
    };
    Ok(value)
}

/// A finding's state as a column shows it.
fn state_label(f: &StoredFinding) -> &'static str {
    if f.stale { "stale" } else { f.state.as_str() }
}

fn resource_label(f: &StoredFinding) -> String {
    match &f.component {
        Some(c) => format!("{} [{c}]", f.resource_id),
        None => f.resource_id.clone(),
    }
}

fn print_findings(
    out: &mut impl Write,
    found: &[StoredFinding],
    remediations: &BTreeMap<String, (i64, RemediationState)>,
) -> anyhow::Result<()> {
    if found.is_empty() {
        writeln!(out, "no findings")?;
        return Ok(());
    }
    let rule_width = found.iter().map(|f| f.rule.len()).max().unwrap_or(4).max(4);
    let label = |f: &StoredFinding| {
        if fixed_in_source(f, remediations.get(&f.fingerprint)) {
            "fixed in source"
        } else {
            state_label(f)
        }
    };
    let state_width = found
        .iter()
        .map(|f| label(f).len())
        .max()
        .unwrap_or(5)
        .max(8);
    writeln!(
        out,
        "{:<12}  {:<state_width$}  {:<8}  {:<rule_width$}  {:<20}  RESOURCE",
        "FINGERPRINT", "STATE", "SEVERITY", "RULE", "LAST SEEN"
    )?;
    for f in found {
        writeln!(
            out,
            "{:<12}  {:<state_width$}  {:<8}  {:<rule_width$}  {:<20}  {}",
            &f.fingerprint[..f.fingerprint.len().min(12)],
            label(f),
            f.severity,
            f.rule,
            format_millis(f.last_seen),
            resource_label(f),
        )?;
    }
    writeln!(out, "{} finding(s)", found.len())?;
    Ok(())
}

fn print_finding(
    out: &mut impl Write,
    f: &StoredFinding,
    history: &[HistoryEntry],
) -> anyhow::Result<()> {
    writeln!(out, "{}  {}", f.fingerprint, f.title)?;
    writeln!(out, "  state       {}", state_label(f))?;
    if let Some(why) = &f.stale_reason {
        writeln!(out, "  stale       {why}")?;
    }
    writeln!(out, "  severity    {}", f.severity)?;
    writeln!(out, "  rule        {} (plugin {})", f.rule, f.plugin)?;
    writeln!(
        out,
        "  resource    {} ({})",
        resource_label(f),
        f.resource_kind
    )?;
    writeln!(out, "  source      {}", f.source)?;
    if let Some(file) = &f.file {
        match f.line {
            Some(line) => writeln!(out, "  location    {file}:{line}")?,
            None => writeln!(out, "  location    {file}")?,
        }
    }
    writeln!(out, "  first seen  {}", format_millis(f.first_seen))?;
    writeln!(out, "  last seen   {}", format_millis(f.last_seen))?;
    if let Some(at) = f.resolved_at {
        writeln!(out, "  resolved    {}", format_millis(at))?;
    }
    writeln!(out, "  reopened    {} time(s)", f.times_reopened)?;
    writeln!(out, "  message     {}", f.message)?;
    if !f.evidence.is_empty() {
        writeln!(out, "  evidence")?;
        for (key, value) in &f.evidence {
            writeln!(out, "    {key}: {value}")?;
        }
    }
    if let Some(hint) = &f.remediation {
        writeln!(out, "  remediation {hint}")?;
    }
    writeln!(out, "  history")?;
    for h in history {
        let change = match (&h.from, &h.to) {
            (Some(from), Some(to)) => format!("{} {from} → {to}", h.change),
            (None, Some(to)) => format!("{} {to}", h.change),
            _ => h.change.clone(),
        };
        let reason = h
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        writeln!(
            out,
            "    {}  cycle {:<5} {change}{reason}",
            format_millis(h.at),
            h.cycle
        )?;
    }
    Ok(())
}

fn print_cycles(out: &mut impl Write, cycles: &[CycleRecord]) -> anyhow::Result<()> {
    if cycles.is_empty() {
        writeln!(out, "no cycles yet")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<9}  {:<20}  {:>8}  {:>5} {:>5} {:>8} {:>8} {:>5}  PROBLEMS",
        "CYCLE", "STATUS", "STARTED", "TOOK", "NEW", "OPEN", "RESOLVED", "REOPENED", "STALE"
    )?;
    for c in cycles {
        let took = c
            .finished_at
            .map(|end| format!("{:.1}s", (end - c.started_at) as f64 / 1000.0))
            .unwrap_or_else(|| "-".into());
        let t = c.summary.as_ref().map(|s| s.total).unwrap_or_default();
        let problems = match c.problems.first() {
            None => String::new(),
            Some(first) => format!(
                "{} ({}{})",
                c.problems.len(),
                first
                    .source
                    .as_deref()
                    .or(first.plugin.as_deref())
                    .unwrap_or(""),
                if c.problems.len() > 1 { ", …" } else { "" }
            ),
        };
        writeln!(
            out,
            "{:>6}  {:<9}  {:<20}  {:>8}  {:>5} {:>5} {:>8} {:>8} {:>5}  {problems}",
            c.id,
            c.status.as_str(),
            format_millis(c.started_at),
            took,
            t.new,
            t.open,
            t.resolved,
            t.reopened,
            t.stale
        )?;
    }
    Ok(())
}

fn print_audit(out: &mut impl Write, entries: &[AuditEntry]) -> anyhow::Result<()> {
    if entries.is_empty() {
        writeln!(out, "no audit entries")?;
        return Ok(());
    }
    for e in entries {
        let reason = e
            .reason
            .as_deref()
            .map(|r| format!("  {r}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{}  {:<10}  {:<18}  {}{reason}",
            format_millis(e.at),
            e.actor,
            e.action,
            e.subject
        )?;
    }
    Ok(())
}
