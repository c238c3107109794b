//! How many AWS calls a collection makes, counted by operation at the HTTP level (a
//! counting proxy in front of moto): Kinesis tags through the tagging API's
//! `GetResources` (100 a page) instead of one `ListTagsForStream` per stream, consumers
//! listed only where the summary has no `ConsumerCount`, the per-stream fallbacks where
//! moto 5.2.5 lacks both or the role may not call `GetResources`, and each service's `GetMetricData` not waiting for the other
//! service's listing.

use std::collections::BTreeMap;
use std::time::Duration;

use aiops_collect::CollectProgress;
use aiops_collect::aws::{AwsCollector, AwsConfig};
use aiops_collect::retry::RetryPolicy;
use aiops_core::{Collector, Inventory};
use aiops_tests::moto::{ACCESS_KEY_ID, Moto, SECRET_ACCESS_KEY};
use aiops_tests::moto_calls::{CallCounter, Hold};
use aiops_tests::moto_seed::{DbSpec, Seeder, StreamSpec};
use serde_json::Value;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn collect(endpoint: &str) -> Inventory {
    let config = AwsConfig {
        endpoint_url: Some(endpoint.to_string()),
        regions: vec!["eu-west-1".into()],
        metrics_window_hours: 3,
        metrics_period_seconds: 3600,
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay_ms: 10,
            max_delay_ms: 100,
        },
        timeout_seconds: 120,
        ..AwsConfig::default()
    };
    let collector =
        AwsCollector::new(config).with_static_credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY);
    let progress = CollectProgress::hidden().source("aws");
    let inventory = runtime().block_on(collector.collect(&progress)).unwrap();
    assert!(inventory.problems.is_empty(), "{:?}", inventory.problems);
    inventory
}

/// `streams` streams, the even ones tagged `team=N`, `stream-001` with two consumers;
/// and two DB instances.
fn seed(moto: &Moto, streams: usize) {
    runtime().block_on(async {
        let seed = Seeder::new(&moto.url(), "eu-west-1").await;
        seed.create_db_instances(&[DbSpec::mysql("orders"), DbSpec::mysql("billing")])
            .await;
        let teams: Vec<&'static str> = (0..streams)
            .map(|i| &*Box::leak(format!("{i}").into_boxed_str()))
            .collect();
        let specs: Vec<StreamSpec> = (0..streams)
            .map(|i| StreamSpec {
                tags: if i % 2 == 0 {
                    vec![("team", teams[i])]
                } else {
                    Vec::new()
                },
                consumers: if i == 1 {
                    vec!["indexer", "fraud"]
                } else {
                    Vec::new()
                },
                ..StreamSpec::provisioned(format!("stream-{i:03}"), 1)
            })
            .collect();
        seed.create_streams(&specs).await;
    });
}

fn stream(inventory: &Inventory, i: usize) -> &aiops_sdk::Resource {
    inventory
        .get(&format!("aws/kinesis/eu-west-1/stream-{i:03}"))
        .unwrap()
}

/// Tags and consumer counts as the seed made them.
fn assert_streams_as_seeded(inventory: &Inventory, streams: usize) {
    for i in 0..streams {
        let s = stream(inventory, i);
        let expected: Vec<(String, String)> = if i % 2 == 0 {
            vec![("team".into(), i.to_string())]
        } else {
            Vec::new()
        };
        assert_eq!(s.labels, expected, "{}", s.name);
        let raw: Value = serde_json::from_str(&s.raw).unwrap();
        let consumers = if i == 1 { 2 } else { 0 };
        assert_eq!(raw["ConsumerCount"], consumers, "{}", s.name);
    }
}

fn count(calls: &BTreeMap<String, usize>, op: &str) -> usize {
    calls.get(op).copied().unwrap_or(0)
}

#[test]
fn where_aws_sends_consumer_counts_and_tags_a_stream_costs_one_describe() {
    const STREAMS: usize = 230;
    let moto = Moto::start();
    seed(&moto, STREAMS);
    let counter = CallCounter::start(&moto.url());
    counter.like_aws();
    let inventory = collect(&counter.url());
    assert_streams_as_seeded(&inventory, STREAMS);
    let calls = counter.calls();
    assert_eq!(
        count(&calls, "kinesis:DescribeStreamSummary"),
        STREAMS,
        "{calls:?}"
    );
    // 115 tagged streams, 100 a page.
    assert_eq!(count(&calls, "tagging:GetResources"), 2, "{calls:?}");
    assert_eq!(count(&calls, "kinesis:ListTagsForStream"), 0, "{calls:?}");
    assert_eq!(count(&calls, "kinesis:ListStreamConsumers"), 0, "{calls:?}");
    // moto pages ListStreams by 10.
    assert_eq!(
        count(&calls, "kinesis:ListStreams"),
        STREAMS.div_ceil(10),
        "{calls:?}"
    );
    let kinesis_calls: usize = calls
        .iter()
        .filter(|(op, _)| op.starts_with("kinesis:") || op.starts_with("tagging:"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        kinesis_calls,
        STREAMS + STREAMS.div_ceil(10) + 2,
        "{calls:?}"
    );
}

#[test]
fn against_moto_without_them_tags_and_consumers_are_read_per_stream() {
    const STREAMS: usize = 24;
    let moto = Moto::start();
    seed(&moto, STREAMS);
    let counter = CallCounter::start(&moto.url());
    let inventory = collect(&counter.url());
    assert_streams_as_seeded(&inventory, STREAMS);
    let calls = counter.calls();
    // moto 5.2.5's GetResources names no stream: the fallback reads each stream's tags.
    assert_eq!(count(&calls, "tagging:GetResources"), 1, "{calls:?}");
    assert_eq!(
        count(&calls, "kinesis:ListTagsForStream"),
        STREAMS,
        "{calls:?}"
    );
    // Its DescribeStreamSummary has no ConsumerCount: the consumers are counted.
    assert_eq!(
        count(&calls, "kinesis:ListStreamConsumers"),
        STREAMS,
        "{calls:?}"
    );
    assert_eq!(
        count(&calls, "kinesis:DescribeStreamSummary"),
        STREAMS,
        "{calls:?}"
    );
}

#[test]
fn a_role_without_tag_get_resources_still_gets_every_stream_tag() {
    const STREAMS: usize = 6;
    let moto = Moto::start();
    seed(&moto, STREAMS);
    let counter = CallCounter::start(&moto.url());
    counter.like_aws();
    counter.refuse("tagging:GetResources");
    let inventory = collect(&counter.url());
    assert_streams_as_seeded(&inventory, STREAMS);
    let calls = counter.calls();
    assert_eq!(
        count(&calls, "tagging:GetResources"),
        1,
        "not retried: {calls:?}"
    );
    assert_eq!(
        count(&calls, "kinesis:ListTagsForStream"),
        STREAMS,
        "{calls:?}"
    );
    assert_eq!(count(&calls, "kinesis:ListStreamConsumers"), 0, "{calls:?}");
}

#[test]
fn rds_metrics_do_not_wait_for_the_kinesis_describes() {
    let moto = Moto::start();
    seed(&moto, 3);
    let counter = CallCounter::start(&moto.url());
    // Kinesis describes wait until a GetMetricData call has come: only RDS's can come
    // first, and only if it does not wait for them (if it did, the hold runs out).
    counter.hold(Hold {
        held: "kinesis:DescribeStreamSummary".into(),
        until: "monitoring:GetMetricData".into(),
        at_most: Duration::from_secs(20),
    });
    let inventory = collect(&counter.url());
    assert_eq!(inventory.len(), 5);
    assert!(
        !counter.hold_timed_out(),
        "RDS's GetMetricData waited for the Kinesis describes: {:?}",
        counter.log()
    );
    let log = counter.log();
    // One GetMetricData call for each service.
    assert_eq!(
        count(&counter.calls(), "monitoring:GetMetricData"),
        2,
        "{log:?}"
    );
}
