//! CloudWatch metrics of the collected resources, fetched with `GetMetricData` in
//! batches (up to 500 queries a call, pages followed through `NextToken`), never one
//! call per resource, and summarised over the window as avg, max and p95.
//!
//! Each series is one statistic per period: `Average` for RDS gauges, `Sum` for
//! Kinesis counts (divided by the period for the per-second rates `IncomingBytes` and
//! `IncomingRecords`), `Maximum` for the iterator age. avg, max and p95 (linear
//! interpolation between closest ranks) summarise those period values. The series the
//! detectors read as trends (`FreeStorageSpace`, `GetRecords.IteratorAgeMilliseconds`)
//! keep their points too. A series with no data in the window is left out.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aiops_sdk::{Metric, Resource};
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDataQuery, MetricStat, ScanBy};

use super::client::CallError;

/// Most queries one `GetMetricData` call takes.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// One CloudWatch series collected for a kind of resource.
#[derive(Debug, Clone, Copy)]
pub struct MetricSpec {
    /// CloudWatch namespace, e.g. `AWS/RDS`.
    pub namespace: &'static str,
    /// The dimension naming the resource, e.g. `DBInstanceIdentifier`.
    pub dimension: &'static str,
    /// Metric name, kept as the envelope's metric name.
    pub name: &'static str,
    /// The statistic per period.
    pub stat: &'static str,
    /// The envelope's unit.
    pub unit: &'static str,
    /// Divide each period's value by the period length (a sum made a rate).
    pub per_second: bool,
    /// Keep the points, for detectors that read a trend.
    pub keep_points: bool,
}

const fn spec(
    namespace: &'static str,
    dimension: &'static str,
    name: &'static str,
    stat: &'static str,
    unit: &'static str,
) -> MetricSpec {
    MetricSpec {
        namespace,
        dimension,
        name,
        stat,
        unit,
        per_second: false,
        keep_points: false,
    }
}

/// The series of an RDS DB instance.
pub const RDS: [MetricSpec; 4] = [
    spec(
        "AWS/RDS",
        "DBInstanceIdentifier",
        "CPUUtilization",
        "Average",
        "percent",
    ),
    spec(
        "AWS/RDS",
        "DBInstanceIdentifier",
        "DatabaseConnections",
        "Average",
        "count",
    ),
    MetricSpec {
        keep_points: true,
        ..spec(
            "AWS/RDS",
            "DBInstanceIdentifier",
            "FreeStorageSpace",
            "Average",
            "bytes",
        )
    },
    spec(
        "AWS/RDS",
        "DBInstanceIdentifier",
        "FreeableMemory",
        "Average",
        "bytes",
    ),
];

/// The series of a Kinesis data stream.
pub const KINESIS: [MetricSpec; 5] = [
    MetricSpec {
        per_second: true,
        ..spec(
            "AWS/Kinesis",
            "StreamName",
            "IncomingBytes",
            "Sum",
            "bytes/s",
        )
    },
    MetricSpec {
        per_second: true,
        ..spec(
            "AWS/Kinesis",
            "StreamName",
            "IncomingRecords",
            "Sum",
            "records/s",
        )
    },
    spec(
        "AWS/Kinesis",
        "StreamName",
        "WriteProvisionedThroughputExceeded",
        "Sum",
        "count",
    ),
    spec(
        "AWS/Kinesis",
        "StreamName",
        "ReadProvisionedThroughputExceeded",
        "Sum",
        "count",
    ),
    MetricSpec {
        keep_points: true,
        ..spec(
            "AWS/Kinesis",
            "StreamName",
            "GetRecords.IteratorAgeMilliseconds",
            "Maximum",
            "ms",
        )
    },
];

/// The time span metrics are read over.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Start, unix seconds (inclusive).
    pub start: i64,
    /// End, unix seconds (exclusive), aligned to the period.
    pub end: i64,
    /// Seconds per point.
    pub period: u32,
}

impl Window {
    /// The window of `hours` ending at the last whole period before `now`.
    pub fn ending_at(now: SystemTime, hours: u64, period: u32) -> Window {
        let now = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs() as i64;
        let end = now - now.rem_euclid(i64::from(period));
        Window {
            start: end - (hours * 3600) as i64,
            end,
            period,
        }
    }

    fn seconds(&self) -> u64 {
        (self.end - self.start) as u64
    }
}

/// A resource waiting for its metrics: the dimension value naming it in CloudWatch and
/// the series to fetch.
pub struct Pending {
    /// The resource; its `metrics` are filled in.
    pub resource: Resource,
    /// The value of the naming dimension (DB instance identifier, stream name).
    pub dimension_value: String,
    /// The series to fetch.
    pub specs: &'static [MetricSpec],
}

/// Fetches every pending resource's series in batched `GetMetricData` calls and
/// attaches the summaries. On an error the resources keep what was attached so far.
pub async fn attach(
    client: &Client,
    pending: &mut [Pending],
    window: Window,
) -> Result<usize, CallError> {
    let queries: Vec<(usize, MetricSpec)> = pending
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.specs.iter().map(move |s| (i, *s)))
        .collect();
    let mut calls = 0;
    for (batch_no, batch) in queries.chunks(MAX_QUERIES_PER_CALL).enumerate() {
        let offset = batch_no * MAX_QUERIES_PER_CALL;
        let requests: Vec<MetricDataQuery> = batch
            .iter()
            .enumerate()
            .map(|(j, (i, spec))| query(offset + j, spec, &pending[*i].dimension_value, window))
            .collect();
        let mut series: HashMap<usize, (Vec<i64>, Vec<f64>)> = HashMap::new();
        let mut pages = client
            .get_metric_data()
            .set_metric_data_queries(Some(requests))
            .start_time(DateTime::from_secs(window.start))
            .end_time(DateTime::from_secs(window.end))
            .scan_by(ScanBy::TimestampAscending)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            calls += 1;
            let page = page.map_err(|e| CallError::from_sdk("cloudwatch:GetMetricData", &e))?;
            for result in page.metric_data_results() {
                let Some(index) = result.id().and_then(parse_id) else {
                    continue;
                };
                let entry = series.entry(index).or_default();
                entry
                    .0
                    .extend(result.timestamps().iter().map(|t| t.secs() * 1000));
                entry.1.extend_from_slice(result.values());
            }
        }
        for (j, (i, spec)) in batch.iter().enumerate() {
            let Some((times, values)) = series.remove(&(offset + j)) else {
                continue;
            };
            if let Some(metric) = summarize(spec, window, times, values) {
                pending[*i].resource.metrics.push(metric);
            }
        }
    }
    Ok(calls)
}

fn query_id(index: usize) -> String {
    format!("m{index}")
}

fn parse_id(id: &str) -> Option<usize> {
    id.strip_prefix('m')?.parse().ok()
}

fn query(index: usize, spec: &MetricSpec, value: &str, window: Window) -> MetricDataQuery {
    let metric = aws_sdk_cloudwatch::types::Metric::builder()
        .namespace(spec.namespace)
        .metric_name(spec.name)
        .dimensions(
            Dimension::builder()
                .name(spec.dimension)
                .value(value)
                .build(),
        )
        .build();
    MetricDataQuery::builder()
        .id(query_id(index))
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(window.period as i32)
                .stat(spec.stat)
                .build(),
        )
        .return_data(true)
        .build()
}

/// The summary of one series; `None` when it has no points.
pub fn summarize(
    spec: &MetricSpec,
    window: Window,
    times: Vec<i64>,
    mut values: Vec<f64>,
) -> Option<Metric> {
    if values.is_empty() {
        return None;
    }
    if spec.per_second {
        let period = f64::from(window.period);
        values.iter_mut().for_each(|v| *v /= period);
    }
    let mut points: Vec<(i64, f64)> = if spec.keep_points {
        times.into_iter().zip(values.iter().copied()).collect()
    } else {
        Vec::new()
    };
    points.sort_by_key(|p| p.0);
    let avg = values.iter().sum::<f64>() / values.len() as f64;
    values.sort_by(f64::total_cmp);
    let max = values[values.len() - 1];
    Some(Metric {
        name: spec.name.to_string(),
        unit: spec.unit.to_string(),
        window_seconds: window.seconds(),
        avg: Some(avg),
        max: Some(max),
        p95: Some(percentile(&values, 0.95)),
        points,
        component: None,
    })
}

/// The `q` quantile of sorted `values`, interpolating linearly between closest ranks.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = q * (sorted.len() - 1) as f64;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        Window {
            start: 0,
            end: 7200,
            period: 60,
        }
    }

    #[test]
    fn summarises_avg_max_and_interpolated_p95() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        let times: Vec<i64> = (0..20).map(|i| i * 60_000).collect();
        let m = summarize(&RDS[0], window(), times, values).unwrap();
        assert_eq!(m.name, "CPUUtilization");
        assert_eq!(m.unit, "percent");
        assert_eq!(m.window_seconds, 7200);
        assert_eq!(m.avg, Some(10.5));
        assert_eq!(m.max, Some(20.0));
        assert!((m.p95.unwrap() - 19.05).abs() < 1e-9, "{:?}", m.p95);
        assert!(m.points.is_empty());
    }

    #[test]
    fn kinesis_sums_become_rates_and_trend_series_keep_points() {
        let bytes = summarize(&KINESIS[0], window(), vec![0, 60_000], vec![60.0, 120.0]).unwrap();
        assert_eq!(bytes.unit, "bytes/s");
        assert_eq!((bytes.avg, bytes.max), (Some(1.5), Some(2.0)));
        let age = summarize(&KINESIS[4], window(), vec![60_000, 0], vec![5.0, 3.0]).unwrap();
        assert_eq!(age.points, vec![(0, 3.0), (60_000, 5.0)]);
        assert!(summarize(&KINESIS[1], window(), Vec::new(), Vec::new()).is_none());
    }

    #[test]
    fn window_ends_on_a_period_boundary() {
        let now = UNIX_EPOCH + Duration::from_secs(10_000);
        let w = Window::ending_at(now, 1, 300);
        assert_eq!((w.start, w.end), (9_900 - 3600, 9_900));
        assert_eq!(parse_id(&query_id(1234)), Some(1234));
    }
}
