//! One scan: hand each detector the resources of the kinds it declared, gather the
//! findings, and keep every plugin failure as data next to them.

mod pool;

use std::collections::HashMap;
use std::sync::Arc;

use aiops_core::{Inventory, PluginFailure, ReportedFinding, ResourceRef, ScanReport};
use aiops_runtime::{LoadedPlugin, PluginError, PluginsConfig, RegistrySnapshot};
use aiops_sdk::{Finding, Resource};
use pool::{Batch, Call};

/// What a detector's calls returned: how many findings in all, and each call's part.
type DetectorFindings = (usize, Vec<Part>);

/// One call's findings, each with the rank of its resource's id among the inventory's,
/// and what was dropped for speaking beyond the call.
#[derive(Debug, Default)]
struct Part {
    findings: Vec<ReportedFinding>,
    resource_ranks: Vec<u32>,
    trespass: Trespass,
}

/// Findings a detector returned about what is not its to judge, dropped: a resource
/// that was not in the batch it was given, or a rule it did not declare.
#[derive(Debug, Default)]
struct Trespass {
    foreign_resources: usize,
    undeclared_rules: usize,
    /// The first of each, as examples for the report.
    first_resource: Option<String>,
    first_rule: Option<String>,
}

impl Trespass {
    fn add(&mut self, other: Trespass) {
        self.foreign_resources += other.foreign_resources;
        self.undeclared_rules += other.undeclared_rules;
        self.first_resource = self.first_resource.take().or(other.first_resource);
        self.first_rule = self.first_rule.take().or(other.first_rule);
    }

    /// The plugin failure it stands for, if anything was dropped.
    fn failure(&self, plugin: &str) -> Option<PluginFailure> {
        let mut parts = Vec::new();
        if let Some(example) = &self.first_resource {
            parts.push(format!(
                "{} about resources not in the batch it was given (e.g. `{}`)",
                self.foreign_resources,
                example.escape_debug()
            ));
        }
        if let Some(example) = &self.first_rule {
            parts.push(format!(
                "{} under rules it did not declare (e.g. `{}`)",
                self.undeclared_rules,
                example.escape_debug()
            ));
        }
        (!parts.is_empty()).then(|| PluginFailure {
            plugin: plugin.to_string(),
            message: format!("returned findings {}; dropped", parts.join(" and ")),
        })
    }
}

/// Runs every enabled detector of `plugins` over `inventory` and gathers a report.
/// The calls (a per-resource detector's large batch split into parts) run on one pool
/// of a thread per core. A failing plugin becomes a [`PluginFailure`]; the others'
/// findings are complete. `on_plugin_done` is called after each detector (progress).
pub fn run_scan(
    plugins: &RegistrySnapshot,
    inventory: &Inventory,
    config: &PluginsConfig,
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
    let id_ranks = id_ranks(inventory);
    let run = |call: &Call<'_, '_>| {
        let plugin = detectors[call.detector];
        let started = std::time::Instant::now();
        let result = plugin
            .detect(call.part, &settings[call.detector])
            .map(|findings| {
                (
                    findings.len(),
                    reported(plugin, call.part, findings, inventory, &id_ranks, config),
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
    let mut trespasses: Vec<Trespass> = detectors.iter().map(|_| Trespass::default()).collect();
    for (call, result) in calls.iter().zip(results) {
        let outcome = &mut outcomes[call.detector];
        match (outcome.as_mut(), result) {
            (Ok((returned, parts)), Ok((part_returned, mut part))) => {
                *returned += part_returned;
                trespasses[call.detector].add(std::mem::take(&mut part.trespass));
                parts.push(part);
            }
            (Ok(_), Err(err)) => *outcome = Err(err),
            (Err(_), _) => {}
        }
    }

    let mut report = ScanReport {
        resources_scanned: inventory.len(),
        skipped_documents: inventory.skipped_documents,
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
    for (((plugin, outcome), call_settings), trespass) in detectors
        .iter()
        .zip(outcomes)
        .zip(&settings)
        .zip(&trespasses)
    {
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
            Ok((_, parts)) => {
                accepted.extend(parts);
                report
                    .plugin_failures
                    .extend(trespass.failure(plugin.name()));
            }
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
/// so ties keep the order of the parts). Findings are first bucketed by the rank of
/// their resource's id (computed once per inventory, so no id is compared here), then
/// each resource's few findings are sorted by their strings (one sort of all findings
/// by strings misses the cache). Each finding then moves once, into a vector of the
/// exact size.
fn sorted(parts: Vec<Part>) -> Vec<ReportedFinding> {
    let ranks = || parts.iter().flat_map(|part| part.resource_ranks.iter());
    let buckets = ranks().max().map_or(0, |&max| max as usize + 1);
    // Where each resource's findings start in `order`, by counting.
    let mut starts = vec![0usize; buckets + 1];
    for &rank in ranks() {
        starts[rank as usize + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut order = vec![(0u32, 0u32); starts[buckets]];
    let mut next = starts.clone();
    for (part, p) in parts.iter().zip(0u32..) {
        for (&rank, i) in part.resource_ranks.iter().zip(0u32..) {
            order[next[rank as usize]] = (p, i);
            next[rank as usize] += 1;
        }
    }
    // Stable within a resource, so equal findings keep the order of the parts.
    let key = |&(p, i): &(u32, u32)| {
        let f = &parts[p as usize].findings[i as usize];
        (&f.finding.rule, &f.finding.component, &f.plugin)
    };
    for bucket in starts.windows(2) {
        order[bucket[0]..bucket[1]].sort_by(|a, b| key(a).cmp(&key(b)));
    }
    // In place: an `Option` of a finding is the size of a finding.
    let mut slots: Vec<Vec<Option<ReportedFinding>>> = parts
        .into_iter()
        .map(|part| part.findings.into_iter().map(Some).collect())
        .collect();
    let mut findings = Vec::with_capacity(order.len());
    for (p, i) in order {
        let slot = &mut slots[p as usize][i as usize];
        findings.push(slot.take().expect("each finding is taken once"));
    }
    findings
}

/// For each inventory position, the rank of its resource's id among all the ids.
fn id_ranks(inventory: &Inventory) -> Vec<u32> {
    let resources = inventory.resources();
    let mut by_id: Vec<u32> = (0..resources.len() as u32).collect();
    by_id.sort_unstable_by(|&a, &b| resources[a as usize].id.cmp(&resources[b as usize].id));
    let mut ranks = vec![0; resources.len()];
    for (rank, position) in (0u32..).zip(by_id) {
        ranks[position as usize] = rank;
    }
    ranks
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

/// One call's findings with what reports need: findings about a resource outside the
/// call's batch or under a rule the plugin did not declare dropped and counted (a
/// detector speaks only for its own rules and the resources it was given), rules
/// disabled in config dropped, severities overridden, each finding tied to its
/// resource and source location.
fn reported(
    plugin: &LoadedPlugin,
    batch: &[&Resource],
    findings: Vec<Finding>,
    inventory: &Inventory,
    id_ranks: &[u32],
    config: &PluginsConfig,
) -> Part {
    let name = plugin.name();
    let settings = config.plugin(name);
    let declared: std::collections::HashSet<&str> =
        plugin.info.rules.iter().map(|r| r.id.as_str()).collect();
    let mut part = Part {
        findings: Vec::with_capacity(findings.len()),
        resource_ranks: Vec::with_capacity(findings.len()),
        trespass: Trespass::default(),
    };
    for mut finding in findings {
        let position = inventory
            .position(&finding.resource_id)
            .filter(|&p| in_batch(batch, &inventory.resources()[p]));
        let Some(position) = position else {
            tracing::warn!(plugin = name, resource = %finding.resource_id, rule = %finding.rule, "finding names a resource not in the batch; dropped");
            let trespass = &mut part.trespass;
            trespass.foreign_resources += 1;
            trespass.first_resource.get_or_insert(finding.resource_id);
            continue;
        };
        if !declared.contains(finding.rule.as_str()) {
            tracing::warn!(plugin = name, resource = %finding.resource_id, rule = %finding.rule, "finding names a rule the plugin did not declare; dropped");
            let trespass = &mut part.trespass;
            trespass.undeclared_rules += 1;
            trespass.first_rule.get_or_insert(finding.rule);
            continue;
        }
        if settings.disabled_rules.contains(&finding.rule) {
            continue;
        }
        if let Some(sev) = settings.severity.get(&finding.rule) {
            finding.severity = *sev;
        }
        let resource = &inventory.resources()[position];
        part.resource_ranks.push(id_ranks[position]);
        part.findings.push(ReportedFinding {
            plugin: name.to_string(),
            resource: ResourceRef {
                id: resource.id.clone(),
                kind: resource.kind.clone(),
                namespace: resource.namespace.clone(),
                name: resource.name.clone(),
                component: finding.component.clone(),
            },
            // A field an overlay's Kustomize patch set is located at that patch.
            location: inventory
                .location_of_field(&resource.id, hinted_field(&finding))
                .cloned(),
            finding,
        });
    }
    part
}

/// The field a finding's remediation hint changes first, as a JSON pointer.
fn hinted_field(finding: &Finding) -> Option<&str> {
    let hint = finding.remediation.as_ref()?;
    hint.changes.first().map(|change| change.path.as_str())
}

/// Whether `resource` (of the inventory) is one of `batch`. A batch holds references
/// into the inventory in inventory order, so it is sorted by address: a binary search
/// by address, without comparing or hashing ids.
fn in_batch(batch: &[&Resource], resource: &Resource) -> bool {
    let address = |r: &Resource| r as *const Resource as usize;
    batch
        .binary_search_by_key(&address(resource), |r| address(r))
        .is_ok()
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
                component: component.map(Into::into),
            },
            location: None,
        }
    }

    fn pod(id: &str) -> Resource {
        Resource {
            id: id.into(),
            kind: "Pod".into(),
            platform: aiops_sdk::Platform::Kubernetes,
            name: id.into(),
            namespace: None,
            labels: Vec::new(),
            metrics: Vec::new(),
            raw: "{}".into(),
        }
    }

    /// Parts of `findings`, each resource ranked by id as an inventory of exactly the
    /// resources named would rank it.
    fn parts(findings: Vec<Vec<ReportedFinding>>) -> Vec<Part> {
        let mut inventory = Inventory::default();
        for f in findings.iter().flatten() {
            if inventory.get(&f.resource.id).is_none() {
                inventory.push(pod(&f.resource.id), None);
            }
        }
        let ranks = id_ranks(&inventory);
        findings
            .into_iter()
            .map(|findings| Part {
                resource_ranks: findings
                    .iter()
                    .map(|f| ranks[inventory.position(&f.resource.id).unwrap()])
                    .collect(),
                findings,
                trespass: Trespass::default(),
            })
            .collect()
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
        let order: Vec<String> = sorted(parts(findings))
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
    fn ids_are_ranked_in_string_order_whatever_the_inventory_order() {
        let mut inventory = Inventory::default();
        for name in ["b", "a", "c", "ab"] {
            inventory.push(pod(name), None);
        }
        let ids: Vec<&str> = inventory
            .resources()
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        let ranks = id_ranks(&inventory);
        let mut by_rank = ids.clone();
        by_rank.sort();
        for (id, rank) in ids.iter().zip(&ranks) {
            assert_eq!(by_rank[*rank as usize], *id);
        }
        assert_eq!(ranks, [2, 0, 3, 1]);
        assert!(id_ranks(&Inventory::default()).is_empty());
    }

    #[test]
    fn batch_membership_is_by_identity_in_inventory_order() {
        let mut inventory = Inventory::default();
        for name in ["a", "b", "c", "d"] {
            inventory.push(pod(name), None);
        }
        let all = inventory.resources();
        let batch: Vec<&Resource> = vec![&all[0], &all[2]];
        assert!(in_batch(&batch, &all[0]));
        assert!(in_batch(&batch, &all[2]));
        assert!(!in_batch(&batch, &all[1]));
        assert!(!in_batch(&batch, &all[3]));
        // An equal resource that is not the inventory's is not in the batch.
        assert!(!in_batch(&batch, &pod("a")));
    }

    #[test]
    fn trespasses_become_one_failure_naming_an_example_of_each() {
        let mut trespass = Trespass::default();
        assert!(trespass.failure("p").is_none());
        trespass.add(Trespass {
            foreign_resources: 2,
            undeclared_rules: 1,
            first_resource: Some("k8s/Pod/x/other".into()),
            first_rule: Some("k8s.resources.cpu".into()),
        });
        let failure = trespass.failure("p").unwrap();
        assert_eq!(
            failure.message,
            "returned findings 2 about resources not in the batch it was given (e.g. `k8s/Pod/x/other`) and 1 under rules it did not declare (e.g. `k8s.resources.cpu`); dropped"
        );
    }

    #[test]
    fn equal_findings_keep_the_order_of_their_parts() {
        let labelled = |message: &str| {
            let mut f = finding("p1", "k8s/Pod/a/x", "r1", None);
            f.finding.message = message.into();
            f
        };
        let findings = vec![
            vec![labelled("first")],
            Vec::new(),
            vec![labelled("second"), labelled("third")],
        ];
        let order: Vec<String> = sorted(parts(findings))
            .into_iter()
            .map(|f| f.finding.message)
            .collect();
        assert_eq!(order, ["first", "second", "third"]);
    }
}
