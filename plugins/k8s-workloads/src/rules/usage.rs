//! Usage-based sizing: requests far above observed usage, and usage near the limit.
//! Only judged when the inventory carries the collector's usage metrics.

use aiops_sdk::k8s::ContainerRef;
use aiops_sdk::{FieldChange, Finding, Metric, Quantity, RemediationHint};
use serde_json::json;

use super::{Checker, Rule};
use crate::inventory::Subject;

/// Metric name of a container's CPU usage, in cores, per container (`component`).
pub const CPU_USAGE_METRIC: &str = "container_cpu_usage";
/// Metric name of a container's memory usage, in bytes, per container (`component`).
pub const MEMORY_USAGE_METRIC: &str = "container_memory_usage";

const MI: i128 = 1 << 20;
const GI: i128 = 1 << 30;

/// One resource name judged against one usage metric.
struct Measure {
    /// `cpu` or `memory`.
    name: &'static str,
    /// The usage metric's name.
    metric: &'static str,
    /// The unit that metric must have.
    unit: &'static str,
}

const MEASURES: [Measure; 2] = [
    Measure {
        name: "cpu",
        metric: CPU_USAGE_METRIC,
        unit: "cores",
    },
    Measure {
        name: "memory",
        metric: MEMORY_USAGE_METRIC,
        unit: "bytes",
    },
];

impl Measure {
    fn is_cpu(&self) -> bool {
        self.name == "cpu"
    }

    /// A quantity as a count: millicores for CPU, bytes for memory.
    fn count(&self, q: &Quantity) -> i128 {
        if self.is_cpu() { q.millis() } else { q.units() }
    }

    /// A metric value (cores or bytes) in the same count, unrounded.
    fn count_of_usage(&self, value: f64) -> f64 {
        if self.is_cpu() { value * 1000.0 } else { value }
    }

    /// Rounds a count up to a sensible step: CPU to 10m (100m from one core), memory to
    /// 8Mi (128Mi from 1Gi); never below one step.
    fn round_up(&self, count: f64) -> i128 {
        let (small, large, threshold) = if self.is_cpu() {
            (10, 100, 1000)
        } else {
            (8 * MI, 128 * MI, GI)
        };
        let count = (count - 1e-6).ceil().max(1.0) as i128;
        let step = if count < threshold { small } else { large };
        (count + step - 1) / step * step
    }

    /// The next step above `count`.
    fn step_above(&self, count: i128) -> i128 {
        self.round_up(count as f64 + 1.0)
    }

    /// A count written as a Kubernetes quantity: `250m`, `2`, `320Mi`, `2Gi`, or plain bytes.
    fn format(&self, count: i128) -> String {
        if self.is_cpu() {
            if count % 1000 == 0 {
                (count / 1000).to_string()
            } else {
                format!("{count}m")
            }
        } else if count % GI == 0 {
            format!("{}Gi", count / GI)
        } else if count % MI == 0 {
            format!("{}Mi", count / MI)
        } else {
            count.to_string()
        }
    }

    /// A usage value for people: `95m`, `1.25 cores`, `310Mi`, `1.5Gi`.
    fn show_usage(&self, value: f64) -> String {
        let trim = |s: String| s.trim_end_matches('0').trim_end_matches('.').to_string();
        if self.is_cpu() {
            let millis = value * 1000.0;
            if millis < 1000.0 {
                format!("{}m", millis.ceil())
            } else {
                format!("{} cores", trim(format!("{value:.2}")))
            }
        } else if value >= GI as f64 {
            format!("{}Gi", trim(format!("{:.2}", value / GI as f64)))
        } else {
            format!("{}Mi", trim(format!("{:.1}", value / MI as f64)))
        }
    }
}

/// Formats a ratio or percentage with at most one decimal: `8`, `12.5`.
fn short(value: f64) -> String {
    let text = format!("{value:.1}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Checker<'_> {
    /// The usage rules on every container of one workload that has usage metrics.
    pub(super) fn usage(&self, subject: &Subject<'_>, out: &mut Vec<Finding>) {
        for container in subject.workload.containers() {
            for measure in &MEASURES {
                let Some(metric) = subject
                    .resource
                    .metric(measure.metric, Some(&container.container.name))
                    .filter(|m| m.unit == measure.unit)
                else {
                    continue;
                };
                let Some(peak) = metric.max.filter(|v| v.is_finite() && *v >= 0.0) else {
                    continue;
                };
                let usage = Usage {
                    subject,
                    container: &container,
                    measure,
                    metric,
                    peak: measure.count_of_usage(peak),
                };
                out.extend(self.request_above_usage(&usage));
                out.extend(self.usage_near_limit(&usage));
            }
        }
    }

    fn request_above_usage(&self, u: &Usage<'_>) -> Option<Finding> {
        let m = u.measure;
        let request = u.container.container.resources.requests.get(m.name)?;
        let request = m.count(request);
        if request <= 0 {
            return None;
        }
        let ratio = request as f64 / u.peak;
        if ratio <= self.config.request_usage_ratio {
            return None;
        }
        let proposed = m.round_up(u.peak * self.config.request_headroom);
        if proposed >= request {
            return None;
        }
        let (request_text, proposed_text) = (m.format(request), m.format(proposed));
        let ratio_text = if ratio.is_finite() {
            format!("{} times", short(ratio))
        } else {
            "infinitely many times".to_string()
        };
        let message = format!(
            "{} requests {request_text} {} but used at most {} over {}: {ratio_text} its peak.",
            u.label(),
            m.name,
            u.peak_text(),
            u.metric.window_text()
        );
        let hint = u.hint(
            Field::Requests,
            (&request_text, &proposed_text),
            self.config.request_headroom,
        );
        let finding = u
            .finding(self.rule(Rule::RequestAboveUsage), message)
            .evidence("request", &request_text)
            .evidence(
                "ratio",
                if ratio.is_finite() {
                    short(ratio)
                } else {
                    "inf".into()
                },
            );
        Some(finding.remediation(hint))
    }

    fn usage_near_limit(&self, u: &Usage<'_>) -> Option<Finding> {
        let m = u.measure;
        let limit = u.container.container.resources.limits.get(m.name)?;
        let limit = m.count(limit);
        if limit <= 0 {
            return None;
        }
        let threshold = self.config.limit_usage_percent;
        let percent = u.peak / limit as f64 * 100.0;
        if percent < threshold {
            return None;
        }
        // Above the current limit, and far enough that the peak stays under the threshold.
        let mut proposed = m.round_up(u.peak * self.config.limit_headroom);
        while proposed <= limit || u.peak / proposed as f64 * 100.0 >= threshold {
            proposed = m.step_above(proposed);
        }
        let (limit_text, proposed_text) = (m.format(limit), m.format(proposed));
        let consequence = if m.is_cpu() {
            "it is throttled"
        } else {
            "it is close to being OOM-killed"
        };
        let message = format!(
            "{} peaked at {} {}, {}% of its limit {limit_text} over {}: {consequence}.",
            u.label(),
            u.peak_text(),
            m.name,
            short(percent),
            u.metric.window_text()
        );
        let hint = u.hint(
            Field::Limits,
            (&limit_text, &proposed_text),
            self.config.limit_headroom,
        );
        let finding = u
            .finding(self.rule(Rule::UsageNearLimit), message)
            .evidence("limit", &limit_text)
            .evidence("percent_of_limit", short(percent))
            .evidence("threshold_percent", short(threshold));
        Some(finding.remediation(hint))
    }
}

/// Which half of a container's `resources` a hint changes.
#[derive(Clone, Copy)]
enum Field {
    Requests,
    Limits,
}

/// One container's usage of one resource name.
struct Usage<'a> {
    subject: &'a Subject<'a>,
    container: &'a ContainerRef<'a>,
    measure: &'a Measure,
    metric: &'a Metric,
    /// Peak usage as a count (millicores or bytes).
    peak: f64,
}

impl Usage<'_> {
    fn label(&self) -> String {
        format!(
            "Container `{}` of {}",
            self.container.container.name,
            self.subject.label()
        )
    }

    /// A finding with the facts every usage finding carries.
    fn finding(&self, rule: &aiops_sdk::RuleInfo, message: String) -> Finding {
        let m = self.measure;
        let mut f = Finding::new(rule, self.subject.resource, message)
            .component(self.container.container.name.as_str())
            .evidence("resource", m.name)
            .evidence(
                "usage_max",
                m.show_usage(self.metric.max.unwrap_or_default()),
            );
        if let Some(avg) = self.metric.avg {
            f = f.evidence("usage_avg", m.show_usage(avg));
        }
        f.evidence("window", self.metric.window_text())
    }

    /// The peak usage for people.
    fn peak_text(&self) -> String {
        self.measure.show_usage(self.metric.max.unwrap_or_default())
    }

    /// A hint moving the container's request or limit from `current` to `proposed` (texts
    /// for the summary), the peak times `headroom`; the change carries the value currently
    /// written in the object.
    fn hint(
        &self,
        field: Field,
        (current, proposed): (&str, &str),
        headroom: f64,
    ) -> RemediationHint {
        let (verb, key, noun) = match field {
            Field::Requests => ("Lower", "requests", "request"),
            Field::Limits => ("Raise", "limits", "limit"),
        };
        let summary = format!(
            "{verb} the {} {noun} of container `{}` from {current} to {proposed}, its peak usage \
             {} times {} headroom",
            self.measure.name,
            self.container.container.name,
            self.peak_text(),
            short(headroom)
        );
        let path = format!(
            "{}/resources/{key}/{}",
            self.container.pointer, self.measure.name
        );
        let current = self
            .subject
            .raw()
            .pointer(&path)
            .filter(|v| !v.is_null())
            .cloned();
        RemediationHint {
            summary,
            changes: vec![FieldChange::json(path, current, json!(proposed))],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_cpu_and_memory_to_sensible_steps() {
        let (cpu, mem) = (&MEASURES[0], &MEASURES[1]);
        assert_eq!(cpu.round_up(0.0), 10);
        assert_eq!(cpu.round_up(114.0), 120);
        assert_eq!(cpu.round_up(120.0), 120);
        assert_eq!(cpu.round_up(999.5), 1000);
        assert_eq!(cpu.round_up(1001.0), 1100);
        assert_eq!(mem.round_up(1.0), 8 * MI);
        assert_eq!(mem.round_up(300.0 * MI as f64 + 1.0), 304 * MI);
        assert_eq!(mem.round_up(1.1 * GI as f64), GI + 128 * MI);
        assert_eq!(cpu.step_above(120), 130);
    }

    #[test]
    fn formats_counts_as_kubernetes_quantities() {
        let (cpu, mem) = (&MEASURES[0], &MEASURES[1]);
        assert_eq!(cpu.format(120), "120m");
        assert_eq!(cpu.format(2000), "2");
        assert_eq!(cpu.format(1100), "1100m");
        assert_eq!(mem.format(304 * MI), "304Mi");
        assert_eq!(mem.format(2 * GI), "2Gi");
        assert_eq!(mem.format(GI + 128 * MI), "1152Mi");
        for text in ["120m", "2", "304Mi", "2Gi", "1152Mi"] {
            let q = Quantity::parse(text).unwrap();
            let m = if text.ends_with('i') { mem } else { cpu };
            assert_eq!(m.format(m.count(&q)), text);
        }
    }

    #[test]
    fn shows_usage_for_people() {
        let (cpu, mem) = (&MEASURES[0], &MEASURES[1]);
        assert_eq!(cpu.show_usage(0.0944), "95m");
        assert_eq!(cpu.show_usage(1.25), "1.25 cores");
        assert_eq!(mem.show_usage(310.0 * MI as f64), "310Mi");
        assert_eq!(mem.show_usage(1.5 * GI as f64), "1.5Gi");
        assert_eq!(short(8.0), "8");
        assert_eq!(short(12.46), "12.5");
    }
}
