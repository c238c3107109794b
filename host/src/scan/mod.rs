//! One scan: hand each detector the resources of the kinds it declared, gather the
//! findings, and keep every plugin failure as data next to them.

mod pool;

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use aiops_sdk::{Finding, Resource, RuleInfo};
use serde::Serialize;

use crate::config::Config;
use crate::inventory::{Inventory, InventoryProblem, SourceLocation};
use crate::runtime::{LoadedPlugin, PluginError, RegistrySnapshot};
use pool::{Batch, Call};

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

/// What a detector's calls returned: how many findings in all, and each call's part.
type DetectorFindings = (usize, Vec<Vec<ReportedFinding>>);

/// Runs every enabled detector of `plugins` over `inventory` and gathers a report.
/// The calls (a per-resource detector's large batch split into parts) run on one pool
/// of a thread per core. A failing plugin becomes a [`PluginFailure`]; the others'
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
    let batches: Vec<Batch<'_>> = detectors
        .iter()
        .map(|plugin| Batch {
            resources: batch_of(plugin, inventory, &by_kind),
            per_resource: plugin.info.per_resource,
        })
        .collect();
    let settings: Vec<_> = detectors
        .iter()
        .map(|p| config.call_settings(p.name()))
        .collect();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let calls = pool::plan(&batches, workers);
    let run = |call: &Call<'_, '_>| {
        let plugin = detectors[call.detector];
        let started = std::time::Instant::now();
        let result = plugin
            .detect(call.part, &settings[call.detector])
            .map(|findings| {
                (
                    findings.len(),
                    reported(plugin.name(), findings, inventory, config),
                )
            });
        tracing::debug!(
            plugin = plugin.name(),
            resources = call.part.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "detector call ran"
        );
        result
    };
    let on_detector_done = |i: usize| on_plugin_done(detectors[i].name());
    let results = pool::run_calls(&calls, detectors.len(), workers, &run, &on_detector_done);

    // Each detector's findings, one part per call, with the number it returned (before
    // rules disabled in config were dropped), or the first error of its calls (a
    // detector's calls are planned in batch order).
    let mut outcomes: Vec<Result<DetectorFindings, PluginError>> =
        detectors.iter().map(|_| Ok((0, Vec::new()))).collect();
    for (call, result) in calls.iter().zip(results) {
        let outcome = &mut outcomes[call.detector];
        match (outcome.as_mut(), result) {
            (Ok((returned, parts)), Ok((part_returned, part))) => {
                *returned += part_returned;
                parts.push(part);
            }
            (Ok(_), Err(err)) => *outcome = Err(err),
            (Err(_), _) => {}
        }
    }

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
    let mut accepted = Vec::new();
    for ((plugin, outcome), call_settings) in detectors.iter().zip(outcomes).zip(&settings) {
        let limit = call_settings.limits.max_findings;
        match outcome {
            // A split batch is checked against the limit as a whole, as one call would be.
            Ok((returned, _)) if returned > limit => report.plugin_failures.push(PluginFailure {
                plugin: plugin.name().to_string(),
                message: PluginError::Flood {
                    got: returned,
                    limit,
                }
                .to_string(),
            }),
            Ok((_, parts)) => accepted.extend(parts),
            Err(err) => report.plugin_failures.push(PluginFailure {
                plugin: plugin.name().to_string(),
                message: err.to_string(),
            }),
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
    report.findings = sorted(accepted);
    report
}

/// The findings of `parts` sorted by resource id, rule, component and plugin (stable,
/// so ties keep the order of the parts). Each of the four is ranked once among its
/// distinct values, so the sort compares small integer keys instead of chasing every
/// finding's strings. Each finding then moves once, into a vector of the exact size:
/// growing and re-copying vectors of ~400-byte findings was a third of the page
/// faults of `aiops scan` at 2,000 manifests.
fn sorted(parts: Vec<Vec<ReportedFinding>>) -> Vec<ReportedFinding> {
    let all: Vec<(u32, u32, &ReportedFinding)> = parts
        .iter()
        .zip(0u32..)
        .flat_map(|(part, p)| part.iter().zip(0u32..).map(move |(f, i)| (p, i, f)))
        .collect();
    // Ranking is mostly waiting on memory (every finding's strings are read once), so
    // half of it runs on a second thread: the workers of the scan are idle by now.
    let ((by_resource, by_rule), (by_component, by_plugin)) = std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            (
                ranks(all.iter().map(|(_, _, f)| f.resource.id.as_str())),
                ranks(all.iter().map(|(_, _, f)| f.finding.rule.as_str())),
            )
        });
        let second = (
            ranks(all.iter().map(|(_, _, f)| f.finding.component.as_deref())),
            ranks(all.iter().map(|(_, _, f)| f.plugin.as_str())),
        );
        (first.join().expect("ranking thread panicked"), second)
    });
    // The position (part, index) makes every key distinct and keeps ties in order.
    let mut order: Vec<([u32; 4], u32, u32)> = all
        .iter()
        .enumerate()
        .map(|(n, &(p, i, _))| {
            let key = [by_resource[n], by_rule[n], by_component[n], by_plugin[n]];
            (key, p, i)
        })
        .collect();
    drop(all);
    order.sort_unstable();
    // In place: an `Option` of a finding is the size of a finding.
    let mut slots: Vec<Vec<Option<ReportedFinding>>> = parts
        .into_iter()
        .map(|part| part.into_iter().map(Some).collect())
        .collect();
    let mut findings = Vec::with_capacity(order.len());
    for (_, p, i) in order {
        let slot = &mut slots[p as usize][i as usize];
        findings.push(slot.take().expect("each finding is taken once"));
    }
    findings
}

/// For each of `values`, its rank among the distinct values in ascending order (equal
/// values share a rank).
fn ranks<K: Ord + Hash + Copy>(values: impl Iterator<Item = K>) -> Vec<u32> {
    let mut first_seen: HashMap<K, u32> = HashMap::new();
    let ids: Vec<u32> = values
        .map(|value| {
            let next = first_seen.len() as u32;
            *first_seen.entry(value).or_insert(next)
        })
        .collect();
    let mut distinct: Vec<(K, u32)> = first_seen.into_iter().collect();
    distinct.sort_unstable();
    let mut rank_of_id = vec![0; distinct.len()];
    for (rank, (_, id)) in (0u32..).zip(distinct) {
        rank_of_id[id as usize] = rank;
    }
    ids.into_iter().map(|id| rank_of_id[id as usize]).collect()
}

/// Inventory positions of the resources of each kind.
fn group_by_kind(inventory: &Inventory) -> HashMap<&str, Vec<usize>> {
    let mut by_kind: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in inventory.resources().iter().enumerate() {
        by_kind.entry(r.kind.as_str()).or_default().push(i);
    }
    by_kind
}

/// The resources of the kinds `plugin` asked for, in inventory order.
fn batch_of<'a>(
    plugin: &LoadedPlugin,
    inventory: &'a Inventory,
    by_kind: &HashMap<&str, Vec<usize>>,
) -> Vec<&'a Resource> {
    let mut positions: Vec<usize> = by_kind
        .iter()
        .filter(|(kind, _)| plugin.wants_kind(kind))
        .flat_map(|(_, positions)| positions.iter().copied())
        .collect();
    positions.sort_unstable();
    let resources = inventory.resources();
    positions.into_iter().map(|i| &resources[i]).collect()
}

/// One call's findings with what reports need: rules disabled in config dropped,
/// severities overridden, each finding tied to its resource and source location.
fn reported(
    name: &str,
    findings: Vec<Finding>,
    inventory: &Inventory,
    config: &Config,
) -> Vec<ReportedFinding> {
    let settings = config.plugin(name);
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
    reported
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

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_sdk::Severity;

    fn finding(plugin: &str, id: &str, rule: &str, component: Option<&str>) -> ReportedFinding {
        ReportedFinding {
            plugin: plugin.into(),
            finding: Finding {
                rule: rule.into(),
                resource_id: id.into(),
                component: component.map(Into::into),
                severity: Severity::Low,
                title: String::new(),
                message: format!("{plugin} {id} {rule} {component:?}"),
                evidence: Vec::new(),
                remediation: None,
            },
            resource: ResourceRef {
                id: id.into(),
                kind: "Pod".into(),
                namespace: None,
                name: id.into(),
                container: component.map(Into::into),
            },
            location: None,
        }
    }

    #[test]
    fn findings_sort_by_resource_id_rule_component_and_plugin() {
        // Three parts, as from a split batch and a second detector.
        let findings = vec![
            vec![finding("p2", "k8s/Pod/b/x", "r1", None)],
            vec![
                finding("p1", "k8s/Pod/a/y", "r2", Some("c")),
                finding("p1", "k8s/Pod/a/y", "r1", Some("d")),
                finding("p1", "k8s/Pod/a/y", "r1", Some("c")),
                finding("p1", "k8s/Pod/a/y", "r1", None),
            ],
            vec![
                finding("p2", "k8s/Pod/a/x", "r1", None),
                finding("p1", "k8s/Pod/b/x", "r1", None),
            ],
        ];
        let order: Vec<String> = sorted(findings)
            .into_iter()
            .map(|f| f.finding.message)
            .collect();
        assert_eq!(
            order,
            vec![
                "p2 k8s/Pod/a/x r1 None",
                "p1 k8s/Pod/a/y r1 None",
                "p1 k8s/Pod/a/y r1 Some(\"c\")",
                "p1 k8s/Pod/a/y r1 Some(\"d\")",
                "p1 k8s/Pod/a/y r2 Some(\"c\")",
                "p1 k8s/Pod/b/x r1 None",
                "p2 k8s/Pod/b/x r1 None",
            ]
        );
    }

    #[test]
    fn ranks_follow_value_order_and_equal_values_share_one() {
        assert_eq!(
            ranks(["b", "a", "c", "a", "b"].into_iter()),
            [1, 0, 2, 0, 1]
        );
        assert_eq!(ranks([Some("x"), None, Some("a")].into_iter()), [2, 0, 1]);
        assert!(ranks(std::iter::empty::<&str>()).is_empty());
    }

    #[test]
    fn equal_findings_keep_the_order_of_their_parts() {
        let labelled = |message: &str| {
            let mut f = finding("p1", "k8s/Pod/a/x", "r1", None);
            f.finding.message = message.into();
            f
        };
        let parts = vec![
            vec![labelled("first")],
            Vec::new(),
            vec![labelled("second"), labelled("third")],
        ];
        let order: Vec<String> = sorted(parts)
            .into_iter()
            .map(|f| f.finding.message)
            .collect();
        assert_eq!(order, ["first", "second", "third"]);
    }
}
