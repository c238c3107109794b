//! The consumer lag rule: iterator age high or rising across the window.

use aiops_sdk::{Finding, Metric};

use super::shards::{READ_THROTTLED, any_count};
use super::{Checker, Rule, Site};

/// Age of the last record read by GetRecords, milliseconds.
pub const ITERATOR_AGE: &str = "GetRecords.IteratorAgeMilliseconds";

/// Fewest points a trend is judged on.
const MIN_TREND_POINTS: usize = 4;
/// The later half's mean must exceed the earlier half's by this factor.
const TREND_FACTOR: f64 = 2.0;
/// The last point must be above this age (ms) for a trend to count: ignores jitter at 0.
const TREND_FLOOR_MS: f64 = 1_000.0;

/// True when the points rise across the window (see [`TREND_FACTOR`], [`TREND_FLOOR_MS`]).
pub fn rising(metric: &Metric) -> bool {
    let points = &metric.points;
    if points.len() < MIN_TREND_POINTS {
        return false;
    }
    let half = points.len() / 2;
    let mean = |part: &[(i64, f64)]| part.iter().map(|p| p.1).sum::<f64>() / part.len() as f64;
    let earlier = mean(&points[..half]);
    let later = mean(&points[points.len() - half..]);
    let last = points[points.len() - 1].1;
    later > earlier * TREND_FACTOR && last > TREND_FLOOR_MS
}

impl Checker<'_> {
    /// Iterator age p95 above `max_iterator_age_ms`, or rising across the window.
    pub(super) fn iterator_age_growing(&self, site: &Site<'_>) -> Option<Finding> {
        let metric = site.resource.metric(ITERATOR_AGE, None)?;
        let high = metric.p95.filter(|&p| p > self.config.max_iterator_age_ms);
        let rising = rising(metric);
        if high.is_none() && !rising {
            return None;
        }
        let mut reasons = Vec::new();
        if let Some(p95) = high {
            reasons.push(format!(
                "an iterator age p95 of {:.0} s, above {:.0} s",
                p95 / 1000.0,
                self.config.max_iterator_age_ms / 1000.0
            ));
        }
        if rising {
            let first = metric.points[0].1;
            let last = metric.points[metric.points.len() - 1].1;
            reasons.push(format!(
                "an iterator age rising from {:.0} s to {:.0} s",
                first / 1000.0,
                last / 1000.0
            ));
        }
        let message = format!(
            "{} has {} over {}: consumers fall behind the producers.",
            site.describe(),
            reasons.join(" and "),
            metric.window_text()
        );
        let mut finding = site.finding(self.rule(Rule::IteratorAgeGrowing), message);
        if let Some(p95) = metric.p95 {
            finding = finding.evidence("iterator_age_p95_ms", format!("{p95:.0}"));
        }
        if let Some(&(_, last)) = metric.points.last() {
            finding = finding.evidence("iterator_age_last_ms", format!("{last:.0}"));
        }
        finding = finding
            .evidence("rising", rising)
            .evidence("window", metric.window_text());
        if let Some(count) = any_count(site.resource, READ_THROTTLED) {
            finding = finding.evidence("read_throttled_max", count);
        }
        Some(finding)
    }
}
