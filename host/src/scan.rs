//! One scan: hand each detector the resources of the kinds it declared, gather the
//! findings, and keep every plugin failure as data next to them.

use aiops_sdk::{Finding, RuleInfo};
use serde::Serialize;

use crate::inventory::{InventoryProblem, SourceLocation};

/// The resource a finding is about, as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceRef {
    /// Inventory id.
    pub id: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Namespace, region or resource group.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// The part concerned, e.g. a container name (the finding's `component`).
    pub container: Option<String>,
}

/// A finding with what reports need around it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedFinding {
    /// Name of the plugin that reported it.
    pub plugin: String,
    /// The finding as the plugin returned it (severity after config overrides).
    pub finding: Finding,
    /// The resource it is about.
    pub resource: ResourceRef,
    /// Where the resource was read from, if from a file.
    pub location: Option<SourceLocation>,
}

/// A plugin that failed during the scan (trap, timeout, memory, error result).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginFailure {
    /// Plugin name (or file name when it never loaded).
    pub plugin: String,
    /// What went wrong.
    pub message: String,
}

/// Everything one scan produced.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// Findings sorted by resource id, rule and component.
    pub findings: Vec<ReportedFinding>,
    /// Plugins that failed to load or to run.
    pub plugin_failures: Vec<PluginFailure>,
    /// Inventory sources that could not be read.
    pub inventory_problems: Vec<InventoryProblem>,
    /// Rules of every plugin that ran, as `(plugin, rule)`.
    pub rules: Vec<(String, RuleInfo)>,
    /// Number of resources in the inventory.
    pub resources_scanned: usize,
}

use std::collections::HashMap;
use std::sync::Arc;

use aiops_sdk::Resource;

use crate::config::Config;
use crate::inventory::Inventory;
use crate::runtime::{LoadedPlugin, RegistrySnapshot};

/// Runs every enabled detector of `plugins` over `inventory`, in parallel, and
/// gathers a report. A failing plugin becomes a [`PluginFailure`]; the others'
/// findings are complete. `on_plugin_done` is called after each detector (progress).
pub fn run_scan(
    plugins: &RegistrySnapshot,
    inventory: &Inventory,
    config: &Config,
    on_plugin_done: &(dyn Fn(&str) + Sync),
) -> ScanReport {
    let detectors: Vec<&Arc<LoadedPlugin>> = plugins
        .detectors()
        .filter(|p| config.plugin(p.name()).enabled)
        .collect();
    let by_kind = group_by_kind(inventory);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(detectors.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(usize, Result<Vec<ReportedFinding>, PluginFailure>)> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(plugin) = detectors.get(i) else {
                                break;
                            };
                            done.push((i, run_detector(plugin, &by_kind, inventory, config)));
                            on_plugin_done(plugin.name());
                        }
                        done
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });

    let mut report = ScanReport {
        resources_scanned: inventory.len(),
        inventory_problems: inventory.problems.clone(),
        ..Default::default()
    };
    for (origin, error) in plugins.errors() {
        report.plugin_failures.push(PluginFailure {
            plugin: origin.to_string(),
            message: format!("failed to load: {error}"),
        });
    }
    let mut results = results;
    results.sort_by_key(|(i, _)| *i);
    for (i, result) in results {
        let plugin = detectors[i];
        match result {
            Ok(findings) => report.findings.extend(findings),
            Err(failure) => report.plugin_failures.push(failure),
        }
        let settings = config.plugin(plugin.name());
        report.rules.extend(
            plugin
                .info
                .rules
                .iter()
                .filter(|r| !settings.disabled_rules.contains(&r.id))
                .map(|r| {
                    let mut rule = r.clone();
                    if let Some(sev) = settings.severity.get(&r.id) {
                        rule.default_severity = *sev;
                    }
                    (plugin.name().to_string(), rule)
                }),
        );
    }
    report.findings.sort_by(|a, b| {
        (
            &a.resource.id,
            &a.finding.rule,
            &a.finding.component,
            &a.plugin,
        )
            .cmp(&(
                &b.resource.id,
                &b.finding.rule,
                &b.finding.component,
                &b.plugin,
            ))
    });
    report
}

fn group_by_kind(inventory: &Inventory) -> HashMap<&str, Vec<&Resource>> {
    let mut by_kind: HashMap<&str, Vec<&Resource>> = HashMap::new();
    for r in inventory.resources() {
        by_kind.entry(r.kind.as_str()).or_default().push(r);
    }
    by_kind
}

/// Runs one detector on the resources of its kinds and checks what it returned.
fn run_detector(
    plugin: &LoadedPlugin,
    by_kind: &HashMap<&str, Vec<&Resource>>,
    inventory: &Inventory,
    config: &Config,
) -> Result<Vec<ReportedFinding>, PluginFailure> {
    let name = plugin.name();
    let fail = |message: String| PluginFailure {
        plugin: name.to_string(),
        message,
    };
    let mut batch: Vec<&Resource> = Vec::new();
    for (kind, resources) in by_kind {
        if plugin.wants_kind(kind) {
            batch.extend(resources);
        }
    }
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let settings = config.plugin(name);
    let started = std::time::Instant::now();
    let findings = detect_in_chunks(plugin, &batch, &config.call_settings(name))
        .map_err(|e| fail(e.to_string()))?;
    tracing::debug!(
        plugin = name,
        resources = batch.len(),
        findings = findings.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "detector ran"
    );
    let mut reported = Vec::with_capacity(findings.len());
    for mut finding in findings {
        if settings.disabled_rules.contains(&finding.rule) {
            continue;
        }
        let Some(resource) = inventory.get(&finding.resource_id) else {
            tracing::warn!(plugin = name, resource = %finding.resource_id, rule = %finding.rule, "finding names a resource not in the batch; dropped");
            continue;
        };
        if let Some(sev) = settings.severity.get(&finding.rule) {
            finding.severity = *sev;
        }
        reported.push(ReportedFinding {
            plugin: name.to_string(),
            resource: ResourceRef {
                id: resource.id.clone(),
                kind: resource.kind.clone(),
                namespace: resource.namespace.clone(),
                name: resource.name.clone(),
                container: finding.component.clone(),
            },
            location: inventory.location(&resource.id).cloned(),
            finding,
        });
    }
    Ok(reported)
}

/// Smallest part a batch is split into for a per-resource detector.
const MIN_CHUNK: usize = 256;

/// Runs a detector on its batch; a per-resource detector's large batch is split into
/// one part per core, each part a call with its own fresh instance.
fn detect_in_chunks(
    plugin: &LoadedPlugin,
    batch: &[&Resource],
    settings: &crate::runtime::plugin::CallSettings,
) -> Result<Vec<aiops_sdk::Finding>, crate::runtime::PluginError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = (batch.len() / MIN_CHUNK).min(cores);
    if !plugin.info.per_resource || parts < 2 {
        return plugin.detect(batch, settings);
    }
    let chunk = batch.len().div_ceil(parts);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .map(|part| scope.spawn(move || plugin.detect(part, settings)))
            .collect();
        let mut findings = Vec::new();
        for handle in handles {
            let part = handle.join().map_err(|_| {
                crate::runtime::PluginError::Host("detector thread panicked".into())
            })??;
            findings.extend(part);
        }
        Ok(findings)
    })
}

impl ScanReport {
    /// The most severe finding's severity, if any.
    pub fn max_severity(&self) -> Option<aiops_sdk::Severity> {
        self.findings.iter().map(|f| f.finding.severity).max()
    }

    /// True when any plugin failed or any input could not be read.
    pub fn is_incomplete(&self) -> bool {
        !self.plugin_failures.is_empty() || !self.inventory_problems.is_empty()
    }
}
