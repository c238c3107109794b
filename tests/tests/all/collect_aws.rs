//! The AWS collector against moto_server: pagination past the first page of RDS and
//! Kinesis, the raw fields and metric summaries the detectors read, several regions
//! with one failing, assumed-role accounts, and retries on throttling.

use aiops_collect::CollectProgress;
use aiops_collect::aws::{AwsCollector, AwsConfig};
use aiops_collect::retry::RetryPolicy;
use aiops_core::Inventory;
use aiops_core::{CollectError, Collector};
use aiops_sdk::{Metric, Resource};
use aiops_tests::moto::{ACCESS_KEY_ID, Moto, SECRET_ACCESS_KEY};
use aiops_tests::moto_proxy::{Fault, FaultProxy};
use aiops_tests::moto_seed::{DbSpec, Seeder, StreamSpec, aligned_end};
use aws_sdk_cloudwatch::types::StandardUnit;
use serde_json::Value;
use std::collections::BTreeMap;

const PERIOD: i64 = 3600;
const WINDOW_HOURS: u64 = 6;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn config(endpoint: &str, regions: &[&str]) -> AwsConfig {
    AwsConfig {
        endpoint_url: Some(endpoint.to_string()),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        metrics_window_hours: WINDOW_HOURS,
        metrics_period_seconds: PERIOD as u32,
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay_ms: 10,
            max_delay_ms: 100,
        },
        timeout_seconds: 120,
        ..AwsConfig::default()
    }
}

/// Runs the collector once; its inventory (or error) and the counts it reported.
fn collect(config: AwsConfig) -> (Result<Inventory, CollectError>, BTreeMap<String, usize>) {
    let collector =
        AwsCollector::new(config).with_static_credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY);
    let progress = CollectProgress::hidden().source("aws");
    let result = runtime().block_on(collector.collect(&progress));
    (result, progress.counts())
}

fn of_kind<'a>(inventory: &'a Inventory, kind: &str) -> Vec<&'a Resource> {
    inventory
        .resources()
        .iter()
        .filter(|r| r.kind == kind)
        .collect()
}

fn raw(resource: &Resource) -> Value {
    serde_json::from_str(&resource.raw).unwrap()
}

fn metric<'a>(resource: &'a Resource, name: &str) -> Option<&'a Metric> {
    resource.metrics.iter().find(|m| m.name == name)
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-6 * b.abs().max(1.0))
}

#[test]
fn collects_every_instance_and_stream_past_the_first_page_with_metric_summaries() {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        let seed = Seeder::new(&moto.url(), "eu-west-1").await;
        seed.create_parameter_group("orders-mysql84", "mysql8.4")
            .await;
        let mut dbs: Vec<DbSpec> = (0..100)
            .map(|i| DbSpec::mysql(format!("db-{i:03}")))
            .collect();
        for i in 0..12 {
            dbs.push(DbSpec {
                engine: "aurora-mysql",
                version: "8.0.mysql_aurora.3.05.2",
                class: "db.r6g.large",
                ..DbSpec::mysql(format!("aurora-{i:02}"))
            });
        }
        dbs.push(DbSpec {
            engine: "postgres",
            version: "16.4",
            ..DbSpec::mysql("billing-pg")
        });
        dbs.push(DbSpec {
            class: "db.r5.2xlarge",
            parameter_group: Some("orders-mysql84"),
            storage_gib: 500,
            tags: vec![("environment", "production"), ("team", "orders")],
            ..DbSpec::mysql("orders-db")
        });
        dbs.push(DbSpec {
            version: "5.7.44",
            class: "db.t3.medium",
            multi_az: false,
            public: true,
            encrypted: false,
            backup_days: 0,
            tags: vec![("environment", "staging")],
            ..DbSpec::mysql("legacy-reports")
        });
        seed.create_db_instances(&dbs).await;

        let mut streams: Vec<StreamSpec> = (0..22)
            .map(|i| StreamSpec::provisioned(format!("events-{i:02}"), 1))
            .collect();
        streams.push(StreamSpec {
            retention_hours: Some(72),
            kms_key: Some("alias/aws/kinesis"),
            tags: vec![("team", "web")],
            consumers: vec!["search-indexer", "fraud"],
            ..StreamSpec::provisioned("clickstream", 8)
        });
        streams.push(StreamSpec {
            shards: None,
            ..StreamSpec::provisioned("orders-cdc", 0)
        });
        seed.create_streams(&streams).await;

        let end = aligned_end(PERIOD);
        let rds = |metric, unit, values: &'static [f64]| {
            let seed = &seed;
            async move {
                seed.put_series(
                    "AWS/RDS",
                    "DBInstanceIdentifier",
                    "orders-db",
                    metric,
                    unit,
                    end,
                    PERIOD,
                    values,
                )
                .await
            }
        };
        rds(
            "CPUUtilization",
            StandardUnit::Percent,
            &[4.0, 6.0, 8.0, 10.0, 30.0],
        )
        .await;
        rds("DatabaseConnections", StandardUnit::Count, &[90.0, 100.0]).await;
        rds(
            "FreeStorageSpace",
            StandardUnit::Bytes,
            &[4.0e11, 3.5e11, 3.0e11],
        )
        .await;
        let kinesis = |metric, unit, values: &'static [f64]| {
            let seed = &seed;
            async move {
                seed.put_series(
                    "AWS/Kinesis",
                    "StreamName",
                    "clickstream",
                    metric,
                    unit,
                    end,
                    PERIOD,
                    values,
                )
                .await
            }
        };
        kinesis(
            "IncomingBytes",
            StandardUnit::Bytes,
            &[360_000.0, 720_000.0],
        )
        .await;
        kinesis(
            "IncomingRecords",
            StandardUnit::Count,
            &[3_600.0, 7_200.0, 10_800.0],
        )
        .await;
        kinesis(
            "WriteProvisionedThroughputExceeded",
            StandardUnit::Count,
            &[0.0, 12.0],
        )
        .await;
        kinesis(
            "GetRecords.IteratorAgeMilliseconds",
            StandardUnit::Milliseconds,
            &[1000.0, 2000.0, 4000.0, 8000.0],
        )
        .await;
    });

    let (inventory, counts) = collect(config(&moto.url(), &["eu-west-1"]));
    let inventory = inventory.unwrap();
    assert!(inventory.problems.is_empty(), "{:?}", inventory.problems);
    let instances = of_kind(&inventory, "aws.rds.db-instance");
    let streams = of_kind(&inventory, "aws.kinesis.stream");
    assert_eq!(instances.len(), 115, "DescribeDBInstances pages past 100");
    assert_eq!(streams.len(), 24, "ListStreams pages past 10");
    assert_eq!(counts["aws.rds.db-instance"], 115);
    assert_eq!(counts["aws.kinesis.stream"], 24);

    // What the aws-rds-mysql detector reads.
    let legacy = inventory.get("aws/rds/eu-west-1/legacy-reports").unwrap();
    assert_eq!(legacy.namespace.as_deref(), Some("eu-west-1"));
    assert_eq!(legacy.name, "legacy-reports");
    assert_eq!(legacy.labels, [("environment".into(), "staging".into())]);
    let r = raw(legacy);
    assert_eq!(r["DBInstanceIdentifier"], "legacy-reports");
    assert_eq!(r["DBInstanceClass"], "db.t3.medium");
    assert_eq!(r["Engine"], "mysql");
    assert_eq!(r["EngineVersion"], "5.7.44");
    assert_eq!(r["MultiAZ"], false);
    assert_eq!(r["BackupRetentionPeriod"], 0);
    assert_eq!(r["PubliclyAccessible"], true);
    assert_eq!(r["StorageEncrypted"], false);
    assert_eq!(r["AllocatedStorage"], 100);
    assert_eq!(
        r["TagList"],
        serde_json::json!([{"Key": "environment", "Value": "staging"}])
    );
    let group = r["DBParameterGroups"][0]["DBParameterGroupName"]
        .as_str()
        .unwrap();
    assert!(group.starts_with("default.mysql5.7"), "{group}");
    assert!(legacy.metrics.is_empty(), "no points were seeded for it");

    let orders = inventory.get("aws/rds/eu-west-1/orders-db").unwrap();
    let r = raw(orders);
    assert_eq!(r["DBInstanceClass"], "db.r5.2xlarge");
    assert_eq!(r["MultiAZ"], true);
    assert_eq!(r["StorageEncrypted"], true);
    assert_eq!(r["BackupRetentionPeriod"], 7);
    assert_eq!(
        r["DBParameterGroups"][0]["DBParameterGroupName"],
        "orders-mysql84"
    );
    assert_eq!(
        orders.labels,
        [
            ("environment".into(), "production".into()),
            ("team".into(), "orders".into())
        ]
    );
    let window = WINDOW_HOURS * 3600;
    let cpu = metric(orders, "CPUUtilization").unwrap();
    assert_eq!((cpu.unit.as_str(), cpu.window_seconds), ("percent", window));
    assert!(close(cpu.avg, 11.6) && close(cpu.max, 30.0), "{cpu:?}");
    assert!(
        close(cpu.p95, 26.0),
        "p95 between the two top points: {cpu:?}"
    );
    assert!(cpu.points.is_empty());
    let connections = metric(orders, "DatabaseConnections").unwrap();
    assert_eq!(connections.unit, "count");
    assert!(close(connections.avg, 95.0) && close(connections.max, 100.0));
    let storage = metric(orders, "FreeStorageSpace").unwrap();
    assert_eq!(storage.unit, "bytes");
    assert!(close(storage.avg, 3.5e11), "{storage:?}");
    let values: Vec<f64> = storage.points.iter().map(|p| p.1).collect();
    assert_eq!(values, [4.0e11, 3.5e11, 3.0e11], "points oldest first");
    assert!(
        storage
            .points
            .windows(2)
            .all(|w| w[1].0 - w[0].0 == PERIOD * 1000)
    );
    assert!(
        metric(orders, "FreeableMemory").is_none(),
        "no data, no series"
    );

    let aurora = inventory.get("aws/rds/eu-west-1/aurora-03").unwrap();
    let r = raw(aurora);
    assert_eq!(r["Engine"], "aurora-mysql");
    assert_eq!(r["EngineVersion"], "8.0.mysql_aurora.3.05.2");
    assert_eq!(r["DBClusterIdentifier"], "aurora-03-cluster");
    let pg = raw(inventory.get("aws/rds/eu-west-1/billing-pg").unwrap());
    assert_eq!(pg["Engine"], "postgres", "other engines are kept");

    // What the aws-kinesis-shards detector reads.
    let click = inventory.get("aws/kinesis/eu-west-1/clickstream").unwrap();
    assert_eq!(click.labels, [("team".into(), "web".into())]);
    let r = raw(click);
    assert_eq!(r["StreamName"], "clickstream");
    assert_eq!(r["StreamStatus"], "ACTIVE");
    assert_eq!(r["StreamModeDetails"]["StreamMode"], "PROVISIONED");
    assert_eq!(r["OpenShardCount"], 8);
    assert_eq!(r["RetentionPeriodHours"], 72);
    assert_eq!(r["EncryptionType"], "KMS");
    assert_eq!(r["KeyId"], "alias/aws/kinesis");
    assert_eq!(r["ConsumerCount"], 2);
    assert!(
        r["StreamARN"]
            .as_str()
            .unwrap()
            .ends_with(":stream/clickstream")
    );
    let bytes = metric(click, "IncomingBytes").unwrap();
    assert_eq!(bytes.unit, "bytes/s");
    assert!(close(bytes.avg, 150.0) && close(bytes.max, 200.0) && close(bytes.p95, 195.0));
    let records = metric(click, "IncomingRecords").unwrap();
    assert_eq!(records.unit, "records/s");
    assert!(
        close(records.avg, 2.0) && close(records.max, 3.0),
        "{records:?}"
    );
    let throttled = metric(click, "WriteProvisionedThroughputExceeded").unwrap();
    assert_eq!(throttled.unit, "count");
    assert!(close(throttled.max, 12.0) && close(throttled.avg, 6.0));
    let age = metric(click, "GetRecords.IteratorAgeMilliseconds").unwrap();
    assert_eq!(age.unit, "ms");
    let ages: Vec<f64> = age.points.iter().map(|p| p.1).collect();
    assert_eq!(ages, [1000.0, 2000.0, 4000.0, 8000.0]);
    assert!(metric(click, "ReadProvisionedThroughputExceeded").is_none());

    let cdc = raw(inventory.get("aws/kinesis/eu-west-1/orders-cdc").unwrap());
    assert_eq!(cdc["StreamModeDetails"]["StreamMode"], "ON_DEMAND");
    assert_eq!(cdc["EncryptionType"], "NONE");
    let quiet = raw(inventory.get("aws/kinesis/eu-west-1/events-21").unwrap());
    assert_eq!(
        (
            quiet["OpenShardCount"].as_u64(),
            quiet["ConsumerCount"].as_u64()
        ),
        (Some(1), Some(0))
    );
}

#[test]
fn a_failing_region_is_a_problem_naming_it_and_the_other_regions_are_kept() {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        for region in ["eu-west-1", "us-east-1", "ap-southeast-2"] {
            let seed = Seeder::new(&moto.url(), region).await;
            seed.create_db_instances(&[DbSpec::mysql(format!("db-{region}"))])
                .await;
            seed.create_streams(&[StreamSpec::provisioned(format!("s-{region}"), 1)])
                .await;
        }
    });
    let proxy = FaultProxy::start(&moto.url(), Fault::FailRegion("us-east-1".into()));
    let (inventory, _) = collect(config(
        &proxy.url(),
        &["eu-west-1", "us-east-1", "ap-southeast-2"],
    ));
    let inventory = inventory.unwrap();
    let ids: Vec<&str> = inventory
        .resources()
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    for id in [
        "aws/rds/eu-west-1/db-eu-west-1",
        "aws/kinesis/eu-west-1/s-eu-west-1",
        "aws/rds/ap-southeast-2/db-ap-southeast-2",
        "aws/kinesis/ap-southeast-2/s-ap-southeast-2",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert!(!inventory.problems.is_empty());
    for problem in &inventory.problems {
        assert_eq!(problem.source, "aws/default/us-east-1", "{problem}");
    }
    let text: Vec<String> = inventory.problems.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|p| p.contains("rds:DescribeDBInstances")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|p| p.contains("kinesis:ListStreams")),
        "{text:?}"
    );
    assert!(!text.join(" ").contains(SECRET_ACCESS_KEY));
}

#[test]
fn throttled_calls_are_retried_until_they_succeed() {
    let moto = Moto::start();
    runtime().block_on(async {
        let seed = Seeder::new(&moto.url(), "eu-west-1").await;
        seed.create_db_instances(&[DbSpec::mysql("a"), DbSpec::mysql("b")])
            .await;
        seed.create_streams(&[StreamSpec::provisioned("s", 1)])
            .await;
    });
    let proxy = FaultProxy::start(&moto.url(), Fault::Throttle(4));
    let mut settings = config(&proxy.url(), &["eu-west-1"]);
    settings.retry.max_attempts = 6;
    let (inventory, _) = collect(settings);
    let inventory = inventory.unwrap();
    assert!(inventory.problems.is_empty(), "{:?}", inventory.problems);
    assert_eq!(inventory.len(), 3);
    assert_eq!(proxy.throttled(), 4, "the first four calls were throttled");
    assert!(proxy.forwarded() >= 4, "then the calls went through");
}

#[test]
fn throttling_that_never_ends_fails_the_source_by_name() {
    let proxy = FaultProxy::start("http://127.0.0.1:9", Fault::Throttle(usize::MAX));
    let (result, _) = collect(config(&proxy.url(), &["eu-west-1"]));
    let err = result.unwrap_err().to_string();
    assert!(err.contains("aws/default/eu-west-1"), "{err}");
    assert!(
        err.contains("Throttling") || err.contains("LimitExceeded"),
        "{err}"
    );
    assert!(
        proxy.throttled() >= 6,
        "each call tried 3 times: {}",
        proxy.throttled()
    );
}

#[test]
fn accounts_are_read_through_assumed_roles() {
    let moto = Moto::start();
    let role = "arn:aws:iam::111111111111:role/aiops-read";
    runtime().block_on(async {
        let home = Seeder::new(&moto.url(), "eu-west-1").await;
        home.create_db_instances(&[DbSpec::mysql("home-db")]).await;
        let remote = Seeder::assumed(&moto.url(), "eu-west-1", role).await;
        remote
            .create_db_instances(&[DbSpec::mysql("remote-db")])
            .await;
    });
    let mut settings = config(&moto.url(), &["eu-west-1"]);
    settings.accounts = serde_norway::from_str(&format!("[{{role_arn: \"{role}\"}}]")).unwrap();
    let (inventory, _) = collect(settings);
    let inventory = inventory.unwrap();
    assert!(inventory.problems.is_empty(), "{:?}", inventory.problems);
    let ids: Vec<&str> = inventory
        .resources()
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ids, ["aws/rds/111111111111/eu-west-1/remote-db"]);
}

#[test]
fn bad_settings_name_the_key_before_any_call() {
    let mut settings = config("http://127.0.0.1:9", &["eu-west-1"]);
    settings.metrics_period_seconds = 45;
    let (result, _) = collect(settings);
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("collectors.aws.metrics_period_seconds"),
        "{err}"
    );
    let collector = AwsCollector::new(AwsConfig::default());
    assert_eq!(collector.name(), "aws");
}
