//! Rules judged from CloudWatch metrics: under-use, over-use and free storage.

use aiops_sdk::{Finding, Metric};
use serde_json::json;

use super::{Checker, Rule, Site, hint, num};
use crate::classes::Class;
use crate::instance::AURORA;

/// CloudWatch metric names the rules read.
pub const CPU: &str = "CPUUtilization";
/// Open connections (count).
pub const CONNECTIONS: &str = "DatabaseConnections";
/// Free storage (bytes).
pub const FREE_STORAGE: &str = "FreeStorageSpace";

const GIB: f64 = (1u64 << 30) as f64;

impl Checker<'_> {
    /// CPU p95 below `cpu_p95_low`: propose the next smaller class when the move is safe.
    pub(super) fn under_used(&self, site: &Site<'_>) -> Option<Finding> {
        let cpu = site.resource.metric(CPU, None)?;
        let p95 = cpu.p95.filter(|&p| p < self.config.cpu_p95_low)?;
        let connections = site.resource.metric(CONNECTIONS, None).and_then(|m| m.p95);
        let class = Class::find(&site.db.class);
        let smaller = match class {
            Some(class) => Some((class, class.smaller()?)),
            None => None,
        };
        if let Some((class, smaller)) = smaller {
            let projected = p95 * f64::from(class.size().vcpu) / f64::from(smaller.size().vcpu);
            let max_connections = self.config.connections_ratio * smaller.max_connections() as f64;
            if projected >= self.config.cpu_p95_high
                || connections.is_some_and(|c| c > max_connections)
            {
                return None;
            }
        }
        let message = format!(
            "{} has a CPU p95 of {}% over {}, below the {}% threshold.",
            site.describe(),
            num(p95),
            cpu.window_text(),
            num(self.config.cpu_p95_low)
        );
        let mut finding = Finding::new(self.rule(Rule::UnderUsed), site.resource, message)
            .evidence("instance_class", &site.db.class)
            .evidence("cpu_p95_percent", num(p95))
            .evidence("cpu_p95_low", num(self.config.cpu_p95_low))
            .evidence("window", cpu.window_text());
        if let Some((_, smaller)) = smaller {
            finding = finding
                .evidence("proposed_class", smaller.name())
                .remediation(self.class_hint(site, &smaller, cpu, p95));
        }
        Some(finding)
    }

    /// CPU p95 above `cpu_p95_high`, or connections p95 above `connections_ratio` of the
    /// class's max: propose the next larger class.
    pub(super) fn over_used(&self, site: &Site<'_>) -> Option<Finding> {
        let class = Class::find(&site.db.class);
        let cpu = site.resource.metric(CPU, None);
        let cpu_p95 = cpu.and_then(|m| m.p95);
        let connections = site.resource.metric(CONNECTIONS, None);
        let connections_p95 = connections.and_then(|m| m.p95);
        let cpu_high = cpu_p95.filter(|&p| p > self.config.cpu_p95_high);
        let connections_limit = class.map(|c| {
            (
                c.max_connections(),
                self.config.connections_ratio * c.max_connections() as f64,
            )
        });
        let connections_high = match (connections_p95, connections_limit) {
            (Some(p95), Some((_, limit))) => (p95 > limit).then_some(p95),
            _ => None,
        };
        let (metric, p95) = match (cpu_high, connections_high) {
            (Some(p95), _) => (cpu?, p95),
            (None, Some(p95)) => (connections?, p95),
            (None, None) => return None,
        };
        let mut reasons = Vec::new();
        if let Some(p95) = cpu_high {
            reasons.push(format!(
                "a CPU p95 of {}% (above {}%)",
                num(p95),
                num(self.config.cpu_p95_high)
            ));
        }
        if let (Some(p95), Some((max, _))) = (connections_high, connections_limit) {
            reasons.push(format!(
                "a connections p95 of {} (above {} of the estimated {max} maximum)",
                num(p95),
                num(self.config.connections_ratio)
            ));
        }
        let message = format!(
            "{} has {} over {}.",
            site.describe(),
            reasons.join(" and "),
            metric.window_text()
        );
        let mut finding = Finding::new(self.rule(Rule::OverUsed), site.resource, message)
            .evidence("instance_class", &site.db.class);
        if let Some(p95) = cpu_p95 {
            finding = finding.evidence("cpu_p95_percent", num(p95));
        }
        if let Some(p95) = connections_p95 {
            finding = finding.evidence("connections_p95", num(p95));
        }
        if let Some((max, _)) = connections_limit {
            finding = finding.evidence("max_connections_estimate", max);
        }
        finding = finding.evidence("window", metric.window_text());
        if let Some(larger) = class.and_then(|c| c.larger()) {
            finding = finding
                .evidence("proposed_class", larger.name())
                .remediation(self.class_hint(site, &larger, metric, p95));
        }
        Some(finding)
    }

    /// `instance_class: A → B, CPU p95 9% over 14 days`.
    fn class_hint(
        &self,
        site: &Site<'_>,
        to: &Class,
        metric: &Metric,
        p95: f64,
    ) -> aiops_sdk::RemediationHint {
        let what = if metric.name == CPU {
            format!("CPU p95 {}%", num(p95))
        } else {
            format!("connections p95 {}", num(p95))
        };
        let summary = format!(
            "instance_class: {} → {}, {what} over {}",
            site.db.class,
            to.name(),
            metric.window_text()
        );
        hint(
            summary,
            "/DBInstanceClass",
            Some(json!(site.db.class)),
            json!(to.name()),
        )
    }

    /// Free storage below `free_storage_ratio` of the allocation without autoscaling
    /// (Aurora's cluster volume grows by itself and is not judged).
    pub(super) fn free_storage_low(&self, site: &Site<'_>) -> Option<Finding> {
        let db = site.db;
        if db.storage_autoscaling() || db.engine == AURORA {
            return None;
        }
        let allocated_gib = db.allocated_storage.filter(|&a| a > 0)?;
        let metric = site.resource.metric(FREE_STORAGE, None)?;
        let free = metric.points.last().map(|&(_, v)| v).or(metric.avg)?;
        let allocated = allocated_gib as f64 * GIB;
        let ratio = free / allocated;
        if ratio >= self.config.free_storage_ratio {
            return None;
        }
        let (free_gib, percent) = (num(free / GIB), num(ratio * 100.0));
        let message = format!(
            "{} has {free_gib} GiB free of {allocated_gib} GiB allocated ({percent}%), below {}%, \
             and no storage autoscaling.",
            site.describe(),
            num(self.config.free_storage_ratio * 100.0)
        );
        let proposed = allocated_gib * 2;
        let summary = format!(
            "max_allocated_storage: {} → {proposed}, free storage {free_gib} GiB of {allocated_gib} GiB ({percent}%)",
            db.max_allocated_storage
                .map_or("unset".to_string(), |m| m.to_string())
        );
        Some(
            Finding::new(self.rule(Rule::FreeStorageLow), site.resource, message)
                .evidence("free_storage_gib", free_gib)
                .evidence("allocated_storage_gib", allocated_gib)
                .evidence("free_percent", percent)
                .remediation(hint(
                    summary,
                    "/MaxAllocatedStorage",
                    db.max_allocated_storage.map(|m| json!(m)),
                    json!(proposed),
                )),
        )
    }
}
