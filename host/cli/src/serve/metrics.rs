//! Prometheus metrics on `/metrics` (OpenMetrics text) with `prometheus-client`:
//! cycles, their duration, resources per source, findings by state, severity and rule,
//! remediations by state, notifications by channel and outcome, pull requests by
//! provider and action, config reloads by outcome, collector errors, build info, and
//! per plugin its calls by outcome, their durations and its loads. Labels are bounded
//! sets (no resource ids). The plugin metrics are read at each scrape from the
//! runtime's own counters ([`aiops_runtime::CallStats`]), the numbers
//! `GET /api/v1/plugins` shows.

use std::sync::{Arc, Mutex, OnceLock};

use aiops_gitops::remediate::{GroupOutcome, RemediationReport};
use aiops_notify::deliver::DrainReport;
use aiops_runtime::{CallOutcome, PluginRegistry};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The host's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    cycles: Family<Labels, Counter>,
    cycle_duration: Histogram,
    resources: Family<Labels, Gauge>,
    findings: Family<Labels, Gauge>,
    remediations: Family<Labels, Gauge>,
    notifications: Family<Labels, Counter>,
    pull_requests: Family<Labels, Counter>,
    config_reloads: Family<Labels, Counter>,
    collector_errors: Family<Labels, Counter>,
    leader: Gauge,
    plugins: Arc<OnceLock<Arc<PluginRegistry>>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Records whether this replica leads.
    pub fn leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// Registers every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let m = Metrics {
            registry: Mutex::new(Registry::default()),
            cycles: Family::default(),
            cycle_duration: Histogram::new(exponential_buckets(0.05, 2.0, 14)),
            resources: Family::default(),
            findings: Family::default(),
            remediations: Family::default(),
            notifications: Family::default(),
            pull_requests: Family::default(),
            config_reloads: Family::default(),
            collector_errors: Family::default(),
            leader: Gauge::default(),
            plugins: Arc::default(),
        };
        registry.register(
            "aiops_leader",
            "1 while this replica does the leader's work (holds the Lease, or runs alone), else 0",
            m.leader.clone(),
        );
        registry.register(
            "aiops_build",
            "aiops's version",
            Info::new(labels(&[("version", env!("CARGO_PKG_VERSION"))])),
        );
        registry.register("aiops_cycles", "Cycles run, by outcome", m.cycles.clone());
        registry.register_with_unit(
            "aiops_cycle_duration",
            "How long a cycle took",
            prometheus_client::registry::Unit::Seconds,
            m.cycle_duration.clone(),
        );
        registry.register(
            "aiops_resources",
            "Resources the last cycle read, by source",
            m.resources.clone(),
        );
        registry.register(
            "aiops_findings",
            "Open findings by state (open, stale), severity and rule, as the store holds them",
            m.findings.clone(),
        );
        registry.register(
            "aiops_remediations",
            "Remediations by state",
            m.remediations.clone(),
        );
        registry.register(
            "aiops_notifications",
            "Notification delivery attempts by channel type and outcome (sent, failed, dead)",
            m.notifications.clone(),
        );
        registry.register(
            "aiops_pull_requests",
            "Pull requests (or local proposal branches) by provider and action",
            m.pull_requests.clone(),
        );
        registry.register(
            "aiops_config_reloads",
            "Config file reloads by outcome",
            m.config_reloads.clone(),
        );
        registry.register(
            "aiops_collector_errors",
            "Sources that failed, by source",
            m.collector_errors.clone(),
        );
        registry.register_collector(Box::new(PluginCollector(m.plugins.clone())));
        *m.registry.lock().unwrap_or_else(|e| e.into_inner()) = registry;
        m
    }

    /// Reads the plugin metrics from `registry` from now on (set once, when the
    /// plugin host has loaded).
    pub fn plugins(&self, registry: Arc<PluginRegistry>) {
        let _ = self.plugins.set(registry);
    }

    /// Records a finished cycle (`None`: it failed).
    pub fn cycle(&self, seconds: f64, run: Option<&crate::cycle_cmd::CycleRun>) {
        let outcome = if run.is_some() { "completed" } else { "failed" };
        self.cycles
            .get_or_create(&labels(&[("outcome", outcome)]))
            .inc();
        self.cycle_duration.observe(seconds);
        let Some(run) = run else {
            return;
        };
        for s in &run.cycle.sources {
            self.resources
                .get_or_create(&labels(&[("source", &s.source)]))
                .set(s.resources as i64);
            if s.failed {
                self.collector_errors
                    .get_or_create(&labels(&[("source", &s.source)]))
                    .inc();
            }
        }
        if let Some(Ok(n)) = &run.notifications {
            self.notifications_drained(n);
        }
    }

    /// Counts a drain's delivery attempts by channel type and outcome.
    pub fn notifications_drained(&self, report: &DrainReport) {
        for ((channel, outcome), count) in &report.by_channel {
            self.notifications
                .get_or_create(&labels(&[("channel", channel), ("outcome", outcome)]))
                .inc_by(*count as u64);
        }
    }

    /// Counts what a cycle's remediation stage did to pull requests on `provider`
    /// (`local`, `github`): `opened`, `updated`, `reopened`, `merged` (an auto-merge
    /// counts as opened and merged) and `merge_queued`.
    pub fn remediation_stage(&self, provider: &str, report: &RemediationReport) {
        for group in &report.groups {
            let actions: &[&str] = match group.outcome {
                GroupOutcome::Proposed { .. } => &["opened"],
                GroupOutcome::AutoMerged { .. } => &["opened", "merged"],
                GroupOutcome::Merged { .. } => &["merged"],
                GroupOutcome::MergeQueued { .. } => &["merge_queued"],
                GroupOutcome::Reopened { .. } => &["reopened"],
                GroupOutcome::Updated { .. } => &["updated"],
                GroupOutcome::RejectedBefore { closed: true, .. } => &["closed"],
                _ => &[],
            };
            for action in actions {
                self.pull_request(provider, action);
            }
        }
    }

    /// Counts one pull request `action` on `provider` (an approval's merge, a
    /// rejection's close).
    pub fn pull_request(&self, provider: &str, action: &str) {
        self.pull_requests
            .get_or_create(&labels(&[("provider", provider), ("action", action)]))
            .inc();
    }

    /// Sets the findings gauges to the store's counts (read at each scrape: every
    /// replica answers from the shared store).
    pub fn findings(&self, counts: &[aiops_state::FindingCount]) {
        self.findings.clear();
        for c in counts {
            self.findings
                .get_or_create(&labels(&[
                    ("state", &c.state),
                    ("severity", &c.severity),
                    ("rule", &c.rule),
                ]))
                .set(c.count);
        }
    }

    /// Sets the remediation gauges to the store's counts by state (read at each
    /// scrape with one `GROUP BY`: the API's decisions change them between cycles).
    pub fn remediations(&self, counts: &[(aiops_state::RemediationState, i64)]) {
        self.remediations.clear();
        for (state, n) in counts {
            self.remediations
                .get_or_create(&labels(&[("state", state.as_str())]))
                .set(*n);
        }
    }

    /// Records a config reload (`ok` or `rejected`).
    pub fn config_reload(&self, outcome: &str) {
        self.config_reloads
            .get_or_create(&labels(&[("outcome", outcome)]))
            .inc();
    }

    /// The OpenMetrics text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        if encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }
}

/// The per-plugin metrics, encoded at each scrape from the registry's snapshot.
struct PluginCollector(Arc<OnceLock<Arc<PluginRegistry>>>);

impl std::fmt::Debug for PluginCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginCollector")
            .field("loaded", &self.0.get().is_some())
            .finish()
    }
}

impl Collector for PluginCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(registry) = self.0.get() else {
            return Ok(());
        };
        let snapshot = registry.snapshot();
        let stats: Vec<(&str, aiops_runtime::CallStatsSnapshot)> = snapshot
            .entries
            .values()
            .filter_map(|e| e.plugin.as_ref())
            .map(|p| (p.name(), p.stats().snapshot()))
            .collect();
        {
            let mut calls = encoder.encode_descriptor(
                "aiops_plugin_calls",
                "Plugin calls (detect, remediate) by plugin and outcome (ok, error, timeout, memory)",
                None,
                MetricType::Counter,
            )?;
            for (plugin, s) in &stats {
                for outcome in CallOutcome::ALL {
                    let labels = [("plugin", *plugin), ("outcome", outcome.as_str())];
                    ConstCounter::new(s.count(outcome)).encode(calls.encode_family(&labels)?)?;
                }
            }
        }
        {
            let mut durations = encoder.encode_descriptor(
                "aiops_plugin_call_duration",
                "How long plugin calls took, by plugin",
                Some(&prometheus_client::registry::Unit::Seconds),
                MetricType::Histogram,
            )?;
            for (plugin, s) in &stats {
                let labels = [("plugin", *plugin)];
                durations
                    .encode_family(&labels)?
                    .encode_histogram::<NoLabelSet>(
                        s.total_seconds(),
                        s.calls(),
                        &s.buckets(),
                        None,
                    )?;
            }
        }
        let mut loads = encoder.encode_descriptor(
            "aiops_plugin_loads",
            "Plugin loads by plugin (its file name when it failed before its name was known) and outcome",
            None,
            MetricType::Counter,
        )?;
        for (plugin, outcome, n) in registry.loads() {
            let labels = [("plugin", plugin.as_str()), ("outcome", outcome.as_str())];
            ConstCounter::new(n).encode(loads.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use aiops_gitops::remediate::GroupReport;

    use super::*;

    fn group(outcome: GroupOutcome) -> GroupReport {
        GroupReport {
            key: "k".into(),
            branch: "b".into(),
            action: "propose".into(),
            findings: vec![],
            outcome,
        }
    }

    fn has(text: &str, line: &str) -> bool {
        text.lines().any(|l| l == line)
    }

    #[test]
    fn pull_requests_notifications_and_findings_are_labelled() {
        let m = Metrics::new();
        let report = RemediationReport {
            groups: vec![
                group(GroupOutcome::Proposed { id: 1 }),
                group(GroupOutcome::AutoMerged { id: 2 }),
                group(GroupOutcome::Updated { id: 3 }),
                group(GroupOutcome::FixedInSource),
                // Closed at the provider this cycle; then one rejected before.
                group(GroupOutcome::RejectedBefore {
                    id: 4,
                    closed: true,
                }),
                group(GroupOutcome::RejectedBefore {
                    id: 5,
                    closed: false,
                }),
            ],
            ..Default::default()
        };
        m.remediation_stage("github", &report);
        m.pull_request("github", "closed");
        let mut drained = DrainReport::default();
        drained.by_channel.insert(("teams", "sent"), 2);
        drained.by_channel.insert(("email", "dead"), 1);
        m.notifications_drained(&drained);
        m.notifications_drained(&drained);
        m.findings(&[aiops_state::FindingCount {
            state: "stale".into(),
            severity: "high".into(),
            rule: "k8s.x".into(),
            count: 4,
        }]);
        let text = m.render();
        for line in [
            r#"aiops_pull_requests_total{provider="github",action="opened"} 2"#,
            r#"aiops_pull_requests_total{provider="github",action="merged"} 1"#,
            r#"aiops_pull_requests_total{provider="github",action="updated"} 1"#,
            r#"aiops_pull_requests_total{provider="github",action="closed"} 2"#,
            r#"aiops_notifications_total{channel="teams",outcome="sent"} 4"#,
            r#"aiops_notifications_total{channel="email",outcome="dead"} 2"#,
            r#"aiops_findings{state="stale",severity="high",rule="k8s.x"} 4"#,
        ] {
            assert!(has(&text, line), "no {line} in\n{text}");
        }
        // Findings are a gauge of the store's counts: a new read replaces them.
        m.findings(&[]);
        assert!(!m.render().contains("aiops_findings{"));
        // Before the plugin host is up, no plugin series (and no error).
        assert!(!text.contains("aiops_plugin_calls_total{"), "{text}");
    }
}
