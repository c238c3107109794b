//! What the ARM stand-in serves: ARM objects per subscription and metric series per
//! resource, built by hand or from an inventory snapshot.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::Value;

/// One metric series of a resource: ARM unit and `(average, maximum)` per interval.
#[derive(Debug, Clone)]
pub struct Series {
    /// Metric name, e.g. `Percentage CPU`.
    pub name: String,
    /// ARM unit, e.g. `Percent`.
    pub unit: String,
    /// Points, oldest first.
    pub points: Vec<(f64, f64)>,
}

/// What the server serves.
#[derive(Debug, Clone, Default)]
pub struct Estate {
    /// Subscription ids, in order.
    pub subscriptions: Vec<String>,
    /// ARM objects by subscription id, in list order.
    pub resources: BTreeMap<String, Vec<Value>>,
    /// Metric series by lower-case ARM resource id.
    pub metrics: HashMap<String, Vec<Series>>,
    /// Items per list page (ARM pages at 1000; small here to force `nextLink`).
    pub page_size: usize,
}

impl Estate {
    /// The estate of an `aiops.inventory/v1` snapshot of Azure resources (e.g.
    /// `local-dev/inventory/azure.json`): each resource's `raw` served as the ARM object in
    /// its subscription, each metric summary turned into a 20-point series whose mean,
    /// nearest-rank 95th percentile and maximum are exactly the summary's.
    pub fn from_snapshot(path: &Path, page_size: usize) -> Estate {
        let text = std::fs::read_to_string(path).unwrap();
        let snapshot: Value = serde_json::from_str(&text).unwrap();
        let mut estate = Estate {
            page_size,
            ..Default::default()
        };
        for resource in snapshot["resources"].as_array().unwrap() {
            let object: Value = serde_json::from_str(resource["raw"].as_str().unwrap()).unwrap();
            let id = object["id"].as_str().unwrap().to_string();
            let subscription = id.split('/').nth(2).unwrap().to_string();
            if !estate.subscriptions.contains(&subscription) {
                estate.subscriptions.push(subscription.clone());
            }
            estate
                .resources
                .entry(subscription)
                .or_default()
                .push(object);
            let series: Vec<Series> = resource["metrics"]
                .as_array()
                .map(|metrics| {
                    metrics
                        .iter()
                        .map(|m| Series {
                            name: m["name"].as_str().unwrap().to_string(),
                            unit: arm_unit(m["unit"].as_str().unwrap()),
                            points: series_for(
                                m["avg"].as_f64().unwrap(),
                                m["max"].as_f64().unwrap(),
                                m["p95"].as_f64().unwrap(),
                            ),
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !series.is_empty() {
                estate.metrics.insert(id.to_ascii_lowercase(), series);
            }
        }
        estate
    }
}

fn arm_unit(unit: &str) -> String {
    match unit {
        "percent" => "Percent".into(),
        "count" => "Count".into(),
        "bytes" => "Bytes".into(),
        other => other.into(),
    }
}

/// 20 points: two at `p95` (ranks 19 and 20), 18 below whose sum makes the mean `avg`
/// (whole or half numbers, so every sum is exact in floating point); the maxima equal
/// the averages except one, which is `max`.
pub fn series_for(avg: f64, max: f64, p95: f64) -> Vec<(f64, f64)> {
    let rest = 20.0 * avg - 2.0 * p95;
    let base = (rest / 18.0).floor();
    let extra = (rest - 18.0 * base) as usize;
    assert!(
        base + 1.0 <= p95,
        "cannot build a series for avg {avg} p95 {p95}"
    );
    assert!(
        rest.fract() == 0.0,
        "20*avg - 2*p95 must be whole: avg {avg} p95 {p95}"
    );
    let mut averages: Vec<f64> = (0..18)
        .map(|i| if i < extra { base + 1.0 } else { base })
        .collect();
    averages.push(p95);
    averages.push(p95);
    // Not sorted in time: the collector must sort.
    averages.rotate_left(7);
    let top = averages.iter().position(|&a| a == p95).unwrap();
    averages
        .iter()
        .enumerate()
        .map(|(i, &a)| (a, if i == top { max } else { a }))
        .collect()
}
