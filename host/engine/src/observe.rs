//! What a cycle hands the store: each reported finding with its fingerprint and source,
//! what the cycle covered (sources read, detectors that ran cleanly), and its problems.

use std::collections::{BTreeMap, BTreeSet};

use aiops_core::{Inventory, ReportedFinding, ScanReport, fingerprint};
use aiops_runtime::{PluginsConfig, RegistrySnapshot};
use aiops_state::{Coverage, CycleProblem, ObservedFinding};

use crate::sources::CollectedSources;

/// A cycle's findings, coverage and problems, ready to reconcile.
#[derive(Debug, Default)]
pub struct Observation {
    /// Every finding the detectors reported, once per fingerprint.
    pub findings: Vec<ObservedFinding>,
    /// What the cycle covered.
    pub coverage: Coverage,
    /// Sources that failed (in whole or in part) and plugins that failed.
    pub problems: Vec<CycleProblem>,
}

/// Builds the observation of a cycle that collected `collected` (merged into
/// `inventory`) and scanned it with `plugins` under `config` into `report`.
pub fn observe(
    collected: &CollectedSources,
    inventory: &Inventory,
    report: &ScanReport,
    plugins: &RegistrySnapshot,
    config: &PluginsConfig,
) -> Observation {
    let mut failed: BTreeMap<String, String> = BTreeMap::new();
    for failure in &report.plugin_failures {
        failed
            .entry(failure.plugin.clone())
            .or_insert_with(|| format!("failed: {}", failure.message));
    }
    let mut plugins_ok = BTreeSet::new();
    let mut plugins_not_ok = BTreeMap::new();
    for plugin in plugins.detectors() {
        let name = plugin.name().to_string();
        if !config.plugin(&name).enabled {
            plugins_not_ok.insert(name, "is disabled".to_string());
        } else if let Some(why) = failed.get(&name) {
            plugins_not_ok.insert(name, why.clone());
        } else {
            plugins_ok.insert(name);
        }
    }
    // A failure of a plugin that is no longer listed (unloaded mid-scan) still counts.
    for (name, why) in &failed {
        if !plugins_ok.contains(name) {
            plugins_not_ok
                .entry(name.clone())
                .or_insert_with(|| why.clone());
        }
    }

    let mut problems: Vec<CycleProblem> = collected
        .statuses
        .iter()
        .flat_map(|s| s.problems.iter().cloned())
        .collect();
    problems.extend(report.plugin_failures.iter().map(|f| CycleProblem {
        source: None,
        plugin: Some(f.plugin.clone()),
        line: None,
        message: f.message.clone(),
    }));

    let mut seen = std::collections::HashSet::new();
    let findings = report
        .findings
        .iter()
        .filter_map(|f| {
            let observed = observed(collected, inventory, f);
            seen.insert(observed.fingerprint.clone())
                .then_some(observed)
        })
        .collect();
    Observation {
        findings,
        coverage: Coverage {
            sources: collected.statuses.clone(),
            plugins_ok,
            plugins_not_ok,
            not_due: Default::default(),
        },
        problems,
    }
}

fn observed(
    collected: &CollectedSources,
    inventory: &Inventory,
    f: &ReportedFinding,
) -> ObservedFinding {
    let source = inventory
        .position(&f.resource.id)
        .and_then(|position| collected.source_at(position))
        .unwrap_or_default()
        .to_string();
    ObservedFinding {
        fingerprint: fingerprint(f),
        plugin: f.plugin.clone(),
        rule: f.finding.rule.clone(),
        resource_id: f.resource.id.clone(),
        resource_kind: f.resource.kind.clone(),
        resource_namespace: f.resource.namespace.clone(),
        resource_name: f.resource.name.clone(),
        component: f.finding.component.clone(),
        source,
        file: f
            .location
            .as_ref()
            .map(|l| l.file.to_string_lossy().into_owned()),
        line: f.location.as_ref().map(|l| l.line as i64),
        severity: f.finding.severity,
        title: f.finding.title.clone(),
        message: f.finding.message.clone(),
        evidence: f.finding.evidence.clone(),
        remediation: f
            .finding
            .remediation
            .as_ref()
            .and_then(|hint| serde_json::to_string(hint).ok()),
        labels: inventory
            .get(&f.resource.id)
            .map(|r| r.labels.clone())
            .unwrap_or_default(),
    }
}
