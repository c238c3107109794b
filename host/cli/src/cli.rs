//! The `aiops` command line: `scan` runs one cycle over the inventory and reports,
//! `collect` writes a snapshot, `plugins` lists plugins and their load status, `cycle`
//! runs a recorded cycle and `findings`, `cycles`, `audit` read the state store. It
//! parses arguments, runs the engine's stages and prints between them.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use aiops_collect::{CollectProgress, Source, collect_sources, snapshot};
use aiops_engine::cycle::{self, CycleInput, DetectObserver, Detected, Plugins, Verdict};
use aiops_engine::fix::{FixStatus, IacRepo};
use aiops_engine::report::{self, Format};
use aiops_runtime::{HostOptions, PluginHost};
use aiops_sdk::Severity;
use anyhow::Context as _;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::cycle_cmd::{self, CycleArgs};
use crate::plugin_cmd::{self, PluginCommand};
use crate::store_cmd::{self, AuditArgs, CyclesCommand, FindingsCommand};
use crate::{notify_cmd, remediations_cmd};

/// Exit code when a finding at or above `--fail-on` exists.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code for a usage error or a scan that could not run at all.
pub const EXIT_ERROR: u8 = 2;
/// Exit code when the scan ran but is incomplete (a plugin failed, input unreadable).
pub const EXIT_INCOMPLETE: u8 = 3;

/// aiops: finds problems in cloud infrastructure with sandboxed WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "aiops", version, about)]
pub struct Cli {
    /// Config file (YAML).
    #[arg(long, global = true, env = "AIOPS_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every detector once over the inventory and report the findings.
    Scan(ScanArgs),
    /// List the plugins, their rules and load status.
    Plugins(PluginArgs),
    /// Read inventory sources and write them as one snapshot file (capture once, replay
    /// with `scan --snapshot`).
    Collect(CollectArgs),
    /// Run one cycle over the config's `sources:` and record it in the state store: new,
    /// still open, resolved, reopened and stale findings.
    Cycle(CycleArgs),
    /// Read the findings the state store holds.
    #[command(subcommand)]
    Findings(FindingsCommand),
    /// Read the cycles the state store recorded.
    #[command(subcommand)]
    Cycles(CyclesCommand),
    /// Read the audit log: every change of a finding, who or what made it, and why.
    Audit(AuditArgs),
    /// The changes aiops proposed in the IaC repository, and the decisions on them.
    #[command(subcommand)]
    Remediations(remediations_cmd::RemediationsCommand),
    /// The messages sent (or queued, failing, dead) to the notification channels.
    #[command(subcommand)]
    Notifications(notify_cmd::NotificationsCommand),
    /// Hold back notifications matching a matcher for a while.
    #[command(subcommand)]
    Silence(notify_cmd::SilenceCommand),
    /// Run as the long-running host: cycles on a schedule, the REST API, hot reload.
    Serve(crate::serve::ServeArgs),
    /// Check a config file without starting anything, or print its JSON Schema.
    #[command(subcommand)]
    Config(crate::config_cmd::ConfigCommand),
    /// The plugin author's tools.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

/// Where plugins come from.
#[derive(Debug, Args)]
pub struct PluginArgs {
    /// Directory of `.wasm` plugins, loaded next to the built-in ones.
    #[arg(long)]
    pub plugins: Option<PathBuf>,
    /// Do not load the built-in plugins.
    #[arg(long)]
    pub no_builtin: bool,
}

/// Arguments of `aiops collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Source to read: `k8s`, `aws`, `azure`, `manifests:DIR` or `snapshot:FILE` (repeatable).
    #[arg(long = "source", required = true)]
    pub sources: Vec<Source>,
    /// Write the snapshot here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Arguments of `aiops scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Directory of Kubernetes manifests (YAML or JSON) to scan.
    #[arg(long, required_unless_present_any = ["snapshot", "sources"])]
    pub manifests: Option<PathBuf>,
    /// Inventory snapshot file (the format `aiops collect` writes).
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    /// More sources: `k8s`, `aws`, `azure`, `manifests:DIR` or `snapshot:FILE` (repeatable).
    #[arg(long = "source")]
    pub sources: Vec<Source>,
    /// Plugin sources.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Report format.
    #[arg(long, default_value = "table", value_parser = format_parser())]
    pub format: Format,
    /// Exit non-zero when a finding at or above this severity exists.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Write the report to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Fix the findings in the IaC repository given by `--repo`: remediator plugins edit
    /// the files defining each resource, the edits are written into that working copy
    /// and shown as a unified diff on standard output, after the report. What each
    /// finding gave (fixed, or why not) goes to standard error. Exit codes still follow
    /// the scan's findings (a fixed finding counts: the running state is unchanged);
    /// a remediator that fails or returns refused edits makes the run incomplete (3).
    #[arg(long, requires = "repo")]
    pub fix: bool,
    /// The local working copy of the IaC repository `--fix` edits.
    #[arg(long, value_name = "DIR", requires = "fix")]
    pub repo: Option<PathBuf>,
    /// With `--fix`: print the diff only and write nothing.
    #[arg(long, requires = "fix")]
    pub dry_run: bool,
}

/// The `--format` values, listed in help and errors as clap lists an enum's.
fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::ALL.map(Format::name))
        .map(|name| name.parse::<Format>().expect("a listed format parses"))
}

/// Runs the command line; errors are printed as one line and give exit code 2.
pub fn main(cli: Cli) -> ExitCode {
    let result =
        match &cli.command {
            Command::Scan(args) => run_scan(cli.config.as_deref(), args),
            Command::Plugins(args) => run_plugins(cli.config.as_deref(), args),
            Command::Collect(args) => run_collect(cli.config.as_deref(), args),
            Command::Cycle(args) => {
                load_config(cli.config.as_deref()).and_then(|c| cycle_cmd::run_cycle(&c, args))
            }
            Command::Findings(command) => load_config(cli.config.as_deref())
                .and_then(|c| store_cmd::run_findings(&c, command)),
            Command::Cycles(command) => {
                load_config(cli.config.as_deref()).and_then(|c| store_cmd::run_cycles(&c, command))
            }
            Command::Plugin(command) => {
                load_config(cli.config.as_deref()).and_then(|c| plugin_cmd::run_plugin(&c, command))
            }
            Command::Audit(args) => {
                load_config(cli.config.as_deref()).and_then(|c| store_cmd::run_audit(&c, args))
            }
            Command::Remediations(command) => load_config(cli.config.as_deref())
                .and_then(|c| remediations_cmd::run_remediations(&c, command)),
            Command::Serve(args) => load_config(cli.config.as_deref())
                .and_then(|c| crate::serve::run_serve(cli.config.as_deref(), &c, args)),
            Command::Config(command) => crate::config_cmd::config_cmd(command),
            Command::Notifications(command) => load_config(cli.config.as_deref())
                .and_then(|c| notify_cmd::run_notifications(&c, command)),
            Command::Silence(command) => load_config(cli.config.as_deref())
                .and_then(|c| notify_cmd::run_silence(&c, command)),
        };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(match path {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    })
}

pub(crate) fn host_options(args: &PluginArgs) -> HostOptions {
    HostOptions {
        plugin_dir: args.plugins.clone(),
        builtin: !args.no_builtin,
        watch: false,
        builtins: crate::builtin::BUILTIN_PLUGINS,
        on_builtin_compile: Some(announce_builtin_compile),
    }
}

/// The line a first run shows while the built-in plugins compile (seconds, once per
/// machine and aiops version): only when stderr is a terminal, so logs and pipes stay clean.
fn announce_builtin_compile() {
    if std::io::stderr().is_terminal() {
        eprintln!("compiling built-in plugins (first run)");
    }
}

/// The runtime the engine's async stages run on (collectors, blocking scans).
pub(crate) fn async_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn scan_sources(args: &ScanArgs) -> Vec<Source> {
    let mut sources: Vec<Source> = Vec::new();
    sources.extend(args.manifests.clone().map(Source::Manifests));
    sources.extend(args.snapshot.clone().map(Source::Snapshot));
    sources.extend(args.sources.iter().cloned());
    sources
}

fn run_collect(config_path: Option<&Path>, args: &CollectArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(config_path)?;
    let inventory = async_runtime()?.block_on(collect_sources(
        &args.sources,
        &config.collectors,
        &CollectProgress::for_stderr(),
    ))?;
    let names: Vec<String> = args.sources.iter().map(ToString::to_string).collect();
    match &args.output {
        Some(path) => {
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .with_context(|| format!("cannot write {}", path.display()))?,
            );
            snapshot::write_snapshot(&inventory, &names, &mut file)?;
            file.flush()?;
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            snapshot::write_snapshot(&inventory, &names, &mut out)?;
            out.flush()?;
        }
    }
    for problem in &inventory.problems {
        eprintln!("error: {problem}");
    }
    for (kind, count) in inventory.counts_by_kind() {
        eprintln!("{count:>6} {kind}");
    }
    Ok(if inventory.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INCOMPLETE)
    })
}

fn run_scan(config_path: Option<&Path>, args: &ScanArgs) -> anyhow::Result<ExitCode> {
    if args.fix && args.output.is_none() && args.format != Format::Table {
        anyhow::bail!(
            "--fix prints a diff on standard output: write the {} report to a file with --output",
            args.format
        );
    }
    let config = load_config(config_path)?;
    let repo = match (&args.repo, args.fix) {
        (Some(dir), true) => Some(Arc::new(IacRepo::open(dir)?)),
        _ => None,
    };
    let runtime = async_runtime()?;
    let sources = scan_sources(args);
    let input = CycleInput {
        sources: &sources,
        source_names: None,
        collectors: &config.collectors,
        plugins: &config.plugins,
        progress: &CollectProgress::for_stderr(),
        not_due: &[],
    };
    let detected = runtime.block_on(cycle::collect_and_detect(
        input,
        Plugins::Start(host_options(&args.plugins)),
        Arc::new(Progress::default()),
    ))?;
    let report = &detected.report;
    let context = report::RenderContext {
        scanned_dirs: sources
            .iter()
            .filter_map(|source| match source {
                Source::Manifests(dir) => Some(dir.clone()),
                _ => None,
            })
            .collect(),
    };
    for failure in &report.plugin_failures {
        eprintln!("error: plugin {}: {}", failure.plugin, failure.message);
    }
    for problem in &report.inventory_problems {
        eprintln!("error: {problem}");
    }
    // Buffered: reports are written in many small pieces, and an unbuffered file (or
    // line-buffered stdout) would turn each into a system call.
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            report::render_with(report, args.format, &context, &mut out)?;
            out.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            report::render_with(report, args.format, &context, &mut out)?;
            out.flush()?;
        }
    }
    let fix_failed = match repo {
        Some(repo) => runtime.block_on(run_fix(repo, args.dry_run, &detected, &config))?,
        None => false,
    };
    let code = match detected.verdict(args.fail_on, fix_failed) {
        Verdict::Findings => ExitCode::from(EXIT_FINDINGS),
        Verdict::Incomplete => ExitCode::from(EXIT_INCOMPLETE),
        Verdict::Clean => ExitCode::SUCCESS,
    };
    // The process ends next: freeing every finding and resource one by one would only
    // delay the exit, and so would tearing down the plugin host and the runtime's
    // threads; the system takes it all back at once.
    std::mem::forget(detected);
    std::mem::forget(runtime);
    Ok(code)
}

/// `scan --fix`: fixes the report's findings in `repo`, lists each finding's outcome
/// on stderr, prints the diff on stdout and writes the files unless `dry_run`. Returns
/// whether a remediator failed or had its edits refused.
async fn run_fix(
    repo: Arc<IacRepo>,
    dry_run: bool,
    detected: &Detected,
    config: &Config,
) -> anyhow::Result<bool> {
    let root = repo.root().to_path_buf();
    let fixed = detected.fix(repo, &config.plugins, dry_run).await?;
    let mut err = std::io::stderr().lock();
    let (mut fixes, mut unchanged, mut not_fixed) = (0, 0, 0);
    for outcome in &fixed.outcomes {
        let f = &detected.report.findings[outcome.index];
        match &outcome.status {
            FixStatus::Fixed { .. } => fixes += 1,
            FixStatus::AlreadyFixed { .. } => unchanged += 1,
            _ => not_fixed += 1,
        }
        let component = f
            .finding
            .component
            .as_deref()
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        writeln!(
            err,
            "fix: {} {}{component}: {}",
            f.resource.id,
            f.finding.rule,
            outcome.status.describe()
        )?;
    }
    let mut out = std::io::stdout().lock();
    for change in &fixed.changes {
        out.write_all(change.unified_diff().as_bytes())?;
    }
    out.flush()?;
    let written = match fixed.written {
        Some(written) => {
            written.with_context(|| format!("writing fixes into {}", root.display()))?
        }
        None => Vec::new(),
    };
    writeln!(
        err,
        "fix: {fixes} fixed, {unchanged} already fixed, {not_fixed} not fixed; {}",
        if dry_run {
            format!("dry run, {} file(s) would change", fixed.changes.len())
        } else {
            format!("{} file(s) written", written.len())
        }
    )?;
    Ok(fixed.has_failures)
}

fn run_plugins(config_path: Option<&Path>, args: &PluginArgs) -> anyhow::Result<ExitCode> {
    let config = load_config(config_path)?;
    let host = PluginHost::start(&config.plugins, &host_options(args))?;
    let snapshot = host.registry.snapshot();
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for entry in snapshot.entries.values() {
        match &entry.plugin {
            Some(p) => {
                let status = match &entry.error {
                    Some(err) => format!("loaded (newer file rejected: {err})"),
                    None if !config.plugins.plugin(p.name()).enabled => "disabled".to_string(),
                    None => "loaded".to_string(),
                };
                writeln!(
                    out,
                    "{} {} [{}] {} — {}",
                    p.name(),
                    p.info.version,
                    p.kind(),
                    entry.origin,
                    status
                )?;
                for rule in &p.info.rules {
                    writeln!(
                        out,
                        "    {:<45} {:<8} {}",
                        rule.id, rule.default_severity, rule.title
                    )?;
                }
                for fixes in &p.info.fixes {
                    writeln!(out, "    fixes {fixes}")?;
                }
            }
            None => {
                failed = true;
                writeln!(
                    out,
                    "{} — failed: {}",
                    entry.origin,
                    entry.error.as_deref().unwrap_or("unknown error")
                )?;
            }
        }
    }
    Ok(if failed {
        ExitCode::from(EXIT_INCOMPLETE)
    } else {
        ExitCode::SUCCESS
    })
}

/// A progress bar on stderr, only on an interactive terminal and for long scans.
#[derive(Default)]
pub(crate) struct Progress(std::sync::OnceLock<indicatif::ProgressBar>);

impl Progress {
    const MIN_RESOURCES: usize = 1_000;
}

impl DetectObserver for Progress {
    fn started(&self, plugins: usize, resources: usize) {
        let interactive = std::io::stderr().is_terminal();
        if !interactive || resources < Self::MIN_RESOURCES || plugins == 0 {
            return;
        }
        let bar = indicatif::ProgressBar::new(plugins as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} scanning {msg} [{bar:30}] {pos}/{len} plugins",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(format!("{resources} resources"));
        let _ = self.0.set(bar);
    }

    fn plugin_done(&self, _plugin: &str) {
        if let Some(bar) = self.0.get() {
            bar.inc(1);
        }
    }

    fn finished(&self) {
        if let Some(bar) = self.0.get() {
            bar.finish_and_clear();
        }
    }
}
