//! Prometheus metrics on `/metrics` (OpenMetrics text) with `prometheus-client`:
//! cycles, their duration, resources per source, findings and remediations by state,
//! notifications and config reloads by outcome, collector errors, build info. Labels
//! are bounded sets (no resource ids).

use std::sync::Mutex;

use prometheus_client::encoding::text::encode;
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
    config_reloads: Family<Labels, Counter>,
    collector_errors: Family<Labels, Counter>,
    leader: Gauge,
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
            config_reloads: Family::default(),
            collector_errors: Family::default(),
            leader: Gauge::default(),
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
            "Findings by state and severity after the last cycle",
            m.findings.clone(),
        );
        registry.register(
            "aiops_remediations",
            "Remediations by state",
            m.remediations.clone(),
        );
        registry.register(
            "aiops_notifications",
            "Notification deliveries by outcome",
            m.notifications.clone(),
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
        *m.registry.lock().unwrap_or_else(|e| e.into_inner()) = registry;
        m
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
        self.findings.clear();
        for (severity, counts) in &run.cycle.outcome.summary.by_severity {
            for (state, n) in [("open", counts.open), ("stale", counts.stale)] {
                self.findings
                    .get_or_create(&labels(&[("state", state), ("severity", severity)]))
                    .set(n as i64);
            }
        }
        if let Some(Ok(n)) = &run.notifications {
            for (outcome, count) in [("sent", n.sent), ("failed", n.failed), ("dead", n.dead)] {
                self.notifications
                    .get_or_create(&labels(&[("outcome", outcome)]))
                    .inc_by(count as u64);
            }
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
