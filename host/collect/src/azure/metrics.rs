//! Azure Monitor metrics of a resource over the configured window, summarised as average,
//! maximum and 95th percentile: one `GET {resource id}/providers/Microsoft.Insights/metrics`
//! per resource for all its metric names, `aggregation=Average,Maximum`.

use std::time::{Duration, SystemTime};

use aiops_sdk::Metric;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::client::{ArmClient, ArmError};
use super::config::MetricsConfig;
use super::kinds::METRICS_API_VERSION;

/// The metrics response (`Response` in the Azure Monitor REST reference).
#[derive(Debug, Deserialize)]
pub struct MetricsResponse {
    /// One entry per requested metric.
    pub value: Vec<MetricEntry>,
}

/// One metric of the response.
#[derive(Debug, Deserialize)]
pub struct MetricEntry {
    /// `name.value`, the metric's name.
    pub name: LocalizableString,
    /// Unit, e.g. `Percent`, `Count`, `Bytes`.
    pub unit: String,
    /// The series (one without a dimension filter).
    #[serde(default)]
    pub timeseries: Vec<TimeSeries>,
}

/// `{"value": ..., "localizedValue": ...}`.
#[derive(Debug, Deserialize)]
pub struct LocalizableString {
    /// The invariant name.
    pub value: String,
}

/// One series.
#[derive(Debug, Deserialize)]
pub struct TimeSeries {
    /// Points, oldest first; a point without data has no aggregate fields.
    #[serde(default)]
    pub data: Vec<Point>,
}

/// One interval of a series.
#[derive(Debug, Deserialize)]
pub struct Point {
    /// Average over the interval.
    pub average: Option<f64>,
    /// Maximum over the interval.
    pub maximum: Option<f64>,
}

/// The query of one resource's metrics.
pub struct Query<'a> {
    /// Metric names.
    pub names: &'a [&'a str],
    /// `timespan` (`start/end`, ISO 8601).
    pub timespan: String,
    /// Window length in seconds.
    pub window_seconds: u64,
    /// `interval`.
    pub interval: &'a str,
}

impl<'a> Query<'a> {
    /// The window ending `now`, per `config`, for `names`.
    pub fn new(config: &'a MetricsConfig, names: &'a [&'a str], now: SystemTime) -> Self {
        let window = Duration::from_secs(config.window_hours * 3600);
        Query {
            names,
            timespan: format!("{}/{}", iso(now - window), iso(now)),
            window_seconds: window.as_secs(),
            interval: &config.interval,
        }
    }
}

fn iso(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Reads and summarises the metrics of the resource `arm_id`; metrics without data points
/// are left out.
pub async fn fetch(
    client: &ArmClient,
    arm_id: &str,
    query: &Query<'_>,
) -> Result<Vec<Metric>, ArmError> {
    let names = query.names.join(",");
    let url = client.url(
        &format!(
            "{}/providers/Microsoft.Insights/metrics",
            arm_id.trim_end_matches('/')
        ),
        &[
            ("api-version", METRICS_API_VERSION),
            ("metricnames", &names),
            ("timespan", &query.timespan),
            ("interval", query.interval),
            ("aggregation", "Average,Maximum"),
        ],
    );
    let response: MetricsResponse = client.get(&url).await?;
    Ok(response
        .value
        .iter()
        .filter_map(|entry| summarize(entry, query.window_seconds))
        .collect())
}

/// Average and 95th percentile (nearest rank) of the interval averages, and the largest
/// interval maximum (the largest average when no maximum was returned).
pub fn summarize(entry: &MetricEntry, window_seconds: u64) -> Option<Metric> {
    let points = entry.timeseries.iter().flat_map(|s| &s.data);
    let mut averages: Vec<f64> = points.clone().filter_map(|p| p.average).collect();
    if averages.is_empty() {
        return None;
    }
    let avg = averages.iter().sum::<f64>() / averages.len() as f64;
    averages.sort_by(f64::total_cmp);
    let rank = ((averages.len() as f64) * 0.95).ceil() as usize;
    let p95 = averages[rank.clamp(1, averages.len()) - 1];
    let max = points
        .filter_map(|p| p.maximum)
        .max_by(f64::total_cmp)
        .unwrap_or(averages[averages.len() - 1]);
    Some(Metric {
        name: entry.name.value.clone(),
        unit: unit(&entry.unit),
        window_seconds,
        avg: Some(avg),
        max: Some(max),
        p95: Some(p95),
        points: Vec::new(),
        component: None,
    })
}

/// ARM's unit names in the inventory's words (`Percent` → `percent`).
fn unit(arm: &str) -> String {
    match arm {
        "Percent" => "percent".to_string(),
        "CountPerSecond" => "count/s".to_string(),
        "BytesPerSecond" => "bytes/s".to_string(),
        "BitsPerSecond" => "bits/s".to_string(),
        other => other.to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(points: serde_json::Value) -> MetricEntry {
        serde_json::from_value(json!({
            "name": {"value": "Percentage CPU", "localizedValue": "Percentage CPU"},
            "unit": "Percent",
            "timeseries": [{"metadatavalues": [], "data": points}]
        }))
        .unwrap()
    }

    #[test]
    fn summary_is_mean_nearest_rank_p95_and_max_of_maxima() {
        // 20 hourly points: averages 1..=20, maxima one above.
        let points: Vec<_> = (1..=20)
            .map(|i| json!({"timeStamp": format!("2026-11-25T{:02}:00:00Z", i % 24), "average": i as f64, "maximum": i as f64 + 1.0}))
            .collect();
        let m = summarize(&entry(json!(points)), 3600).unwrap();
        assert_eq!(m.avg, Some(10.5));
        assert_eq!(m.p95, Some(19.0));
        assert_eq!(m.max, Some(21.0));
        assert_eq!(m.unit, "percent");
        assert_eq!(m.window_seconds, 3600);
    }

    #[test]
    fn empty_intervals_are_skipped_and_no_data_gives_no_metric() {
        let m = summarize(
            &entry(json!([{"timeStamp": "t"}, {"timeStamp": "t", "average": 4.0}])),
            60,
        )
        .unwrap();
        assert_eq!((m.avg, m.p95, m.max), (Some(4.0), Some(4.0), Some(4.0)));
        assert!(summarize(&entry(json!([{"timeStamp": "t"}])), 60).is_none());
    }

    #[test]
    fn the_timespan_is_the_window_ending_now() {
        let config = MetricsConfig::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_050_400);
        let q = Query::new(&config, &["Percentage CPU"], now);
        assert_eq!(q.timespan, "2025-11-11T06:00:00Z/2025-11-25T06:00:00Z");
        assert_eq!(q.window_seconds, 1_209_600);
    }
}
