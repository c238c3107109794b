//! Rules on a provisioned stream's shards: over- and under-provisioning, and spiky traffic
//! that on-demand mode would absorb.

use aiops_sdk::{Finding, Metric, Resource};
use serde_json::json;

use super::{Checker, Rule, Site, change};
use crate::capacity::{Load, mib_per_s};
use crate::stream::{ON_DEMAND, PROVISIONED};

/// Incoming bytes per second.
pub const INCOMING_BYTES: &str = "IncomingBytes";
/// Incoming records per second.
pub const INCOMING_RECORDS: &str = "IncomingRecords";
/// Throttled writes (count).
pub const WRITE_THROTTLED: &str = "WriteProvisionedThroughputExceeded";
/// Throttled reads (count).
pub const READ_THROTTLED: &str = "ReadProvisionedThroughputExceeded";

/// The largest statistic of a count metric when any is above 0.
pub(super) fn any_count(resource: &Resource, name: &str) -> Option<f64> {
    let m = resource.metric(name, None)?;
    [m.max, m.p95, m.avg]
        .into_iter()
        .flatten()
        .fold(None, |acc: Option<f64>, v| {
            Some(acc.map_or(v, |a| a.max(v)))
        })
        .filter(|&v| v > 0.0)
}

/// The incoming metrics of a stream, when at least one is there.
struct Incoming<'a> {
    bytes: Option<&'a Metric>,
    records: Option<&'a Metric>,
}

impl<'a> Incoming<'a> {
    fn of(resource: &'a Resource) -> Self {
        Incoming {
            bytes: resource.metric(INCOMING_BYTES, None),
            records: resource.metric(INCOMING_RECORDS, None),
        }
    }

    /// The load at one statistic (`p95`, `max`), 0 for a missing series.
    fn load(&self, stat: fn(&Metric) -> Option<f64>) -> Load {
        Load {
            bytes: self.bytes.and_then(stat).unwrap_or(0.0),
            records: self.records.and_then(stat).unwrap_or(0.0),
        }
    }

    /// The window of the series, in words.
    fn window(&self) -> String {
        self.bytes
            .or(self.records)
            .map_or_else(String::new, Metric::window_text)
    }

    /// `IncomingBytes p95 0.3 MiB/s, IncomingRecords p95 900 records/s`.
    fn describe(&self, load: Load) -> String {
        let mut parts = Vec::new();
        if self.bytes.is_some() {
            parts.push(format!("IncomingBytes p95 {} MiB/s", mib_per_s(load.bytes)));
        }
        if self.records.is_some() {
            parts.push(format!("IncomingRecords p95 {:.0} records/s", load.records));
        }
        parts.join(", ")
    }
}

fn p95(m: &Metric) -> Option<f64> {
    m.p95
}

fn max(m: &Metric) -> Option<f64> {
    m.max
}

impl Checker<'_> {
    /// Both p95s below `low_utilisation` of capacity and no throttling: fewer shards.
    pub(super) fn over_provisioned(&self, site: &Site<'_>) -> Option<Finding> {
        let (stream, resource) = (site.stream, site.resource);
        if !stream.is_provisioned() || any_count(resource, WRITE_THROTTLED).is_some() {
            return None;
        }
        let incoming = Incoming::of(resource);
        incoming.bytes?.p95?;
        incoming.records?.p95?;
        let load = incoming.load(p95);
        let shards = stream.open_shard_count;
        let utilisation = load.utilisation(shards);
        if utilisation >= self.config.low_utilisation {
            return None;
        }
        let proposed = load.shards_at(self.config.target_utilisation);
        if proposed >= shards {
            return None;
        }
        let usage = incoming.describe(load);
        let message = format!(
            "{} uses {:.0}% of its write capacity at p95 ({usage} over {}), below {:.0}%.",
            site.describe(),
            utilisation * 100.0,
            incoming.window(),
            self.config.low_utilisation * 100.0
        );
        let summary = format!(
            "shard_count: {shards} → {proposed}, {usage} over {}",
            incoming.window()
        );
        Some(
            site.finding(self.rule(Rule::OverProvisioned), message)
                .evidence("open_shard_count", shards)
                .evidence("incoming_bytes_p95", load.bytes)
                .evidence("incoming_records_p95", load.records)
                .evidence("utilisation_percent", format!("{:.1}", utilisation * 100.0))
                .evidence("window", incoming.window())
                .evidence("proposed_shard_count", proposed)
                .remediation(Self::hint(
                    summary,
                    change("/OpenShardCount", Some(json!(shards)), json!(proposed)),
                )),
        )
    }

    /// Write throttling, or a p95 above `high_utilisation` of capacity: more shards.
    pub(super) fn under_provisioned(&self, site: &Site<'_>) -> Option<Finding> {
        let (stream, resource) = (site.stream, site.resource);
        if !stream.is_provisioned() {
            return None;
        }
        let throttled = any_count(resource, WRITE_THROTTLED);
        let incoming = Incoming::of(resource);
        let load = incoming.load(p95);
        let shards = stream.open_shard_count;
        let utilisation = load.utilisation(shards);
        let hot = utilisation > self.config.high_utilisation;
        if throttled.is_none() && !hot {
            return None;
        }
        let mut proposed = load
            .shards_at(self.config.target_utilisation)
            .max(shards + 1);
        if throttled.is_some() {
            proposed = proposed.max(incoming.load(max).shards_at(1.0));
        }
        let mut reasons = Vec::new();
        if let Some(count) = throttled {
            reasons.push(format!("throttled writes (up to {count:.0} per period)"));
        }
        if hot {
            reasons.push(format!(
                "{:.0}% of its write capacity used at p95, above {:.0}%",
                utilisation * 100.0,
                self.config.high_utilisation * 100.0
            ));
        }
        let window = resource
            .metric(WRITE_THROTTLED, None)
            .filter(|_| throttled.is_some())
            .map(Metric::window_text)
            .unwrap_or_else(|| incoming.window());
        let message = format!(
            "{} has {} over {window}.",
            site.describe(),
            reasons.join(" and ")
        );
        let mut why = vec![incoming.describe(load)];
        if let Some(count) = throttled {
            why.push(format!("{WRITE_THROTTLED} {count:.0}"));
        }
        why.retain(|s| !s.is_empty());
        let summary = format!(
            "shard_count: {shards} → {proposed}, {} over {window}",
            why.join(", ")
        );
        let mut finding = site
            .finding(self.rule(Rule::UnderProvisioned), message)
            .evidence("open_shard_count", shards)
            .evidence("utilisation_percent", format!("{:.1}", utilisation * 100.0));
        if let Some(count) = throttled {
            finding = finding.evidence("write_throttled_max", count);
        }
        Some(
            finding
                .evidence("window", &window)
                .evidence("proposed_shard_count", proposed)
                .remediation(Self::hint(
                    summary,
                    change("/OpenShardCount", Some(json!(shards)), json!(proposed)),
                )),
        )
    }

    /// Max over average above `spiky_ratio` on a provisioned stream: suggest on-demand.
    pub(super) fn consider_on_demand(&self, site: &Site<'_>) -> Option<Finding> {
        if !site.stream.is_provisioned() {
            return None;
        }
        let incoming = Incoming::of(site.resource);
        let (metric, ratio) = [incoming.bytes, incoming.records]
            .into_iter()
            .flatten()
            .filter_map(|m| match (m.max, m.avg) {
                (Some(max), Some(avg)) if avg > 0.0 => Some((m, max / avg)),
                _ => None,
            })
            .filter(|&(_, ratio)| ratio > self.config.spiky_ratio)
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        let message = format!(
            "{} has spiky traffic: {} peaks at {ratio:.1}× its average over {}, more than {}×.",
            site.describe(),
            metric.name,
            metric.window_text(),
            self.config.spiky_ratio
        );
        let summary = format!(
            "stream_mode: {PROVISIONED} → {ON_DEMAND}, {} max {ratio:.1}× average over {}",
            metric.name,
            metric.window_text()
        );
        Some(
            site.finding(self.rule(Rule::ConsiderOnDemand), message)
                .evidence("metric", &metric.name)
                .evidence("max_to_avg", format!("{ratio:.1}"))
                .evidence("spiky_ratio", self.config.spiky_ratio)
                .evidence("window", metric.window_text())
                .remediation(Self::hint(
                    summary,
                    change(
                        "/StreamModeDetails/StreamMode",
                        site.stream.mode().map(|m| json!(m)),
                        json!(ON_DEMAND),
                    ),
                )),
        )
    }
}
