//! `aiops plugin test`: runs a compiled plugin, any language, in the host's sandbox
//! (its loader, compile cache and limits) on fixture resources — a directory of
//! manifests or an inventory snapshot — and compares its output with the
//! `expected.json` beside them; `--update` rewrites that file.
//!
//! A detector's output is its findings, after the same batching, checks and severity
//! overrides as in a scan. A remediator fixes the findings of `findings.json` in the
//! fixtures directory (or, without one, of the host's built-in detectors) in the
//! manifests, and its output is each finding's outcome and the diff of every file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use aiops_collect::{manifests, snapshot};
use aiops_core::{Inventory, ReportedFinding, ResourceRef};
use aiops_engine::fix::{IacRepo, fix_findings};
use aiops_engine::scan::run_scan;
use aiops_runtime::{
    CompileCache, LoadedPlugin, Loader, PluginKind, PluginRegistry, SandboxEngine, builtin_origin,
};
use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::expected::{self, ExpectedDiff, ExpectedFindings, ExpectedFix, ExpectedFixes};
use crate::cli::EXIT_FINDINGS;
use crate::config::Config;

/// Arguments of `aiops plugin test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The component (`.wasm`).
    pub plugin: PathBuf,
    /// A directory of manifests, or an inventory snapshot file (as `aiops collect`
    /// writes); `expected.json` is beside them.
    #[arg(long)]
    pub fixtures: PathBuf,
    /// Write the plugin's output to `expected.json` instead of comparing.
    #[arg(long)]
    pub update: bool,
}

/// The loader the host would use: the config's compile cache and limits.
fn host_loader(config: &Config) -> anyhow::Result<Loader> {
    let cache = match &config.plugins.cache_dir {
        Some(dir) => CompileCache::in_dir(dir),
        None => CompileCache::default_location(),
    };
    Ok(Loader::new(SandboxEngine::new()?, cache)?.with_limits(config.plugins.limits))
}

/// Reads the fixtures: manifests from a directory, or a snapshot file; a resource that
/// does not read is an error naming the file and line.
fn read_fixtures(path: &Path) -> anyhow::Result<Inventory> {
    let inventory = if path.is_dir() {
        manifests::load_manifests(path)?
    } else {
        snapshot::read_snapshot(path)?
    };
    if !inventory.problems.is_empty() {
        let problems: Vec<String> = inventory.problems.iter().map(ToString::to_string).collect();
        anyhow::bail!("the fixtures do not read:\n  {}", problems.join("\n  "));
    }
    Ok(inventory)
}

/// Runs `aiops plugin test`.
pub fn run_test(config: &Config, args: &TestArgs) -> anyhow::Result<ExitCode> {
    let loader = host_loader(config)?;
    let plugin = loader.load_file(&args.plugin).map_err(|e| {
        anyhow::anyhow!(
            "{}: this host would not load it: {e}",
            args.plugin.display()
        )
    })?;
    let inventory = read_fixtures(&args.fixtures)?;
    let dir = if args.fixtures.is_dir() {
        args.fixtures.clone()
    } else {
        args.fixtures
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let expected_path = dir.join("expected.json");
    let started = std::time::Instant::now();
    let (text, summary) = match plugin.kind() {
        PluginKind::Detector => {
            let actual = detect(config, plugin, &inventory)?;
            let summary = format!("{} findings", actual.findings.len());
            (
                compare_form::<ExpectedFindings>(&actual, &expected_path)?,
                summary,
            )
        }
        PluginKind::Remediator => {
            anyhow::ensure!(
                args.fixtures.is_dir(),
                "a remediator's fixtures are a directory of the manifests it edits, not {}",
                args.fixtures.display()
            );
            let actual = remediate(config, &loader, plugin, &inventory, &dir)?;
            let summary = format!(
                "{} fixes, {} files changed",
                actual.fixes.len(),
                actual.changes.len()
            );
            (
                compare_form::<ExpectedFixes>(&actual, &expected_path)?,
                summary,
            )
        }
    };
    let elapsed = started.elapsed();
    let (actual_text, expected_text) = text;
    if args.update {
        std::fs::write(&expected_path, &actual_text)
            .with_context(|| format!("cannot write {}", expected_path.display()))?;
        println!("wrote {} ({summary})", expected_path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let Some(expected_text) = expected_text else {
        eprintln!(
            "error: no {}: run `aiops plugin test {} --fixtures {} --update` to write it \
             (the plugin gave {summary})",
            expected_path.display(),
            args.plugin.display(),
            args.fixtures.display()
        );
        return Ok(ExitCode::from(EXIT_FINDINGS));
    };
    let diff = expected::diff(
        &expected_text,
        &actual_text,
        &expected_path.display().to_string(),
    );
    if diff.is_empty() {
        println!(
            "ok: {} matches {} ({summary}, {:.0} ms)",
            args.plugin.display(),
            expected_path.display(),
            elapsed.as_secs_f64() * 1000.0
        );
        Ok(ExitCode::SUCCESS)
    } else {
        print!("{diff}");
        eprintln!(
            "error: the output of {} differs from {} (- expected, + actual); \
             rerun with --update to accept it",
            args.plugin.display(),
            expected_path.display()
        );
        Ok(ExitCode::from(EXIT_FINDINGS))
    }
}

/// `(actual text, expected text in the same canonical form if the file exists)`: the
/// expected file is parsed and printed again, so only content differences show.
fn compare_form<T: Serialize + DeserializeOwned>(
    actual: &T,
    expected_path: &Path,
) -> anyhow::Result<(String, Option<String>)> {
    let actual_text = expected::to_text(actual);
    let expected_text = match std::fs::read_to_string(expected_path) {
        Ok(text) => {
            let parsed: T = serde_json::from_str(&text)
                .with_context(|| format!("{} does not parse", expected_path.display()))?;
            Some(expected::to_text(&parsed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).context(format!("cannot read {}", expected_path.display())),
    };
    Ok((actual_text, expected_text))
}

/// Runs the detector as a scan would, alone; a failed call is an error.
fn detect(
    config: &Config,
    plugin: LoadedPlugin,
    inventory: &Inventory,
) -> anyhow::Result<ExpectedFindings> {
    let registry = PluginRegistry::new();
    let origin = plugin.origin.clone();
    registry.install(&origin, plugin);
    let report = run_scan(&registry.snapshot(), inventory, &config.plugins, &|_| {});
    if let Some(failure) = report.plugin_failures.first() {
        anyhow::bail!("plugin {}: {}", failure.plugin, failure.message);
    }
    Ok(ExpectedFindings::of(&report.findings))
}

/// The findings to fix: `findings.json` in `dir` when there is one, else what the
/// built-in detectors find in `inventory`.
fn findings_to_fix(
    config: &Config,
    loader: &Loader,
    inventory: &Inventory,
    dir: &Path,
) -> anyhow::Result<Vec<ReportedFinding>> {
    let given = dir.join("findings.json");
    if given.is_file() {
        let text = std::fs::read_to_string(&given)
            .with_context(|| format!("cannot read {}", given.display()))?;
        let parsed: ExpectedFindings = serde_json::from_str(&text)
            .with_context(|| format!("{} does not parse", given.display()))?;
        return parsed
            .findings
            .iter()
            .map(|f| {
                let resource = inventory.get(&f.resource).with_context(|| {
                    format!(
                        "{}: no resource {} in the fixtures",
                        given.display(),
                        f.resource
                    )
                })?;
                Ok(ReportedFinding {
                    plugin: "findings.json".into(),
                    finding: f.to_finding(),
                    resource: ResourceRef {
                        id: resource.id.clone(),
                        kind: resource.kind.clone(),
                        namespace: resource.namespace.clone(),
                        name: resource.name.clone(),
                        component: f.component.clone(),
                    },
                    location: inventory.location(&resource.id).cloned(),
                })
            })
            .collect();
    }
    let detectors = PluginRegistry::new();
    for (package, bytes) in crate::builtin::BUILTIN_PLUGINS {
        let origin = builtin_origin(package);
        let plugin = loader
            .load_bytes(bytes, &origin)
            .map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
        if plugin.kind() == PluginKind::Detector {
            detectors.install(&origin, plugin);
        }
    }
    let report = run_scan(&detectors.snapshot(), inventory, &config.plugins, &|_| {});
    if let Some(failure) = report.plugin_failures.first() {
        anyhow::bail!("plugin {}: {}", failure.plugin, failure.message);
    }
    Ok(report.findings)
}

/// Fixes the findings the remediator handles in the fixtures directory (in memory:
/// nothing is written).
fn remediate(
    config: &Config,
    loader: &Loader,
    plugin: LoadedPlugin,
    inventory: &Inventory,
    dir: &Path,
) -> anyhow::Result<ExpectedFixes> {
    let info = plugin.info.clone();
    let findings: Vec<ReportedFinding> = findings_to_fix(config, loader, inventory, dir)?
        .into_iter()
        .filter(|f| {
            info.fixes_rule(&f.finding.rule).is_some()
                && (info.kinds.is_empty() || info.kinds.contains(&f.resource.kind))
        })
        .collect();
    let registry = PluginRegistry::new();
    let origin = plugin.origin.clone();
    registry.install(&origin, plugin);
    let snapshot: Arc<_> = registry.snapshot();
    let repo = IacRepo::open(dir)?;
    let run = fix_findings(&repo, &snapshot, inventory, &findings, &config.plugins);
    let fixes = run
        .outcomes
        .iter()
        .map(|o| ExpectedFix::of(&findings[o.index].finding, &o.status))
        .collect();
    let changes = run
        .changes()
        .iter()
        .map(|c| ExpectedDiff {
            path: c.path.clone(),
            diff: c.unified_diff().lines().map(str::to_string).collect(),
        })
        .collect();
    Ok(ExpectedFixes { fixes, changes })
}
