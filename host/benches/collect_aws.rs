//! Benchmark of issue #3: collect 300 RDS instances and 100 Kinesis streams with their
//! CloudWatch metrics from moto_server and run the built-in detectors on them, as the
//! `aiops scan --source aws` subprocess a user runs. Prints wall time, the aiops
//! process's CPU time and peak RSS (from `/usr/bin/time -v` when present).
//!
//! `cargo bench -p aiops --bench collect_aws`. Moto is single-process Python and does
//! the metric aggregation itself, so most of the wall time is moto's; the CPU time of
//! the aiops process is what aiops costs.

use std::process::Command;
use std::time::Instant;

use aiops_tests::moto::{ACCESS_KEY_ID, Moto, SECRET_ACCESS_KEY};
use aiops_tests::moto_seed::{DbSpec, Seeder, StreamSpec, aligned_end};
use aws_sdk_cloudwatch::types::StandardUnit;

const INSTANCES: usize = 300;
const STREAMS: usize = 100;
const PERIOD: i64 = 3600;
const POINTS: usize = 2;

fn main() {
    let moto = Moto::start();
    let seeding = Instant::now();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(seed(&moto.url()));
    eprintln!(
        "seeded {INSTANCES} DB instances, {STREAMS} streams, {} series of {POINTS} points in {:.1}s",
        INSTANCES * 4 + STREAMS * 5,
        seeding.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("aiops.yaml");
    std::fs::write(
        &config,
        format!(
            "plugins:\n  cache_dir: {}\ncollectors:\n  aws:\n    regions: [eu-west-1]\n    metrics_window_hours: 3\n    metrics_period_seconds: 3600\n",
            dir.path().join("cache").display()
        ),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_aiops");
    let args = [
        "scan",
        "--source",
        "aws",
        "--format",
        "json",
        "--config",
        config.to_str().unwrap(),
    ];
    // A first run fills the plugin compile cache, as a long-lived install has it.
    let warm = run(bin, &args, &moto.url(), false);
    assert!(warm.0.contains("aws.rds"), "no findings in the warm-up run");
    let started = Instant::now();
    let (stdout, stats) = run(bin, &args, &moto.url(), true);
    let wall = started.elapsed();
    let findings: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    println!("collect_aws: {INSTANCES} RDS + {STREAMS} Kinesis with metrics, detectors run");
    println!("  findings          {}", findings.len());
    println!("  wall time         {:.3} s", wall.as_secs_f64());
    for line in stats.lines() {
        let line = line.trim();
        for (label, key) in [
            ("user CPU", "User time (seconds)"),
            ("system CPU", "System time (seconds)"),
            ("peak RSS (KiB)", "Maximum resident set size (kbytes)"),
        ] {
            if let Some(value) = line.strip_prefix(key) {
                println!("  {label:<17} {}", value.trim_start_matches(':').trim());
            }
        }
    }
}

/// Runs aiops against moto; stdout and, when measured, `/usr/bin/time -v`'s report.
fn run(bin: &str, args: &[&str], endpoint: &str, measure: bool) -> (String, String) {
    let timed = measure && std::path::Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v").arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let out = command
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

async fn seed(url: &str) {
    let seed = Seeder::new(url, "eu-west-1").await;
    let dbs: Vec<DbSpec> = (0..INSTANCES)
        .map(|i| DbSpec {
            public: i % 10 == 0,
            backup_days: if i % 7 == 0 { 0 } else { 7 },
            ..DbSpec::mysql(format!("db-{i:03}"))
        })
        .collect();
    seed.create_db_instances(&dbs).await;
    let streams: Vec<StreamSpec> = (0..STREAMS)
        .map(|i| StreamSpec::provisioned(format!("stream-{i:03}"), 1 + (i % 4) as i32))
        .collect();
    seed.create_streams(&streams).await;
    let end = aligned_end(PERIOD);
    let rds = [
        ("CPUUtilization", StandardUnit::Percent, [12.0, 55.0]),
        ("DatabaseConnections", StandardUnit::Count, [40.0, 80.0]),
        ("FreeStorageSpace", StandardUnit::Bytes, [6.0e10, 5.5e10]),
        ("FreeableMemory", StandardUnit::Bytes, [2.0e9, 1.5e9]),
    ];
    for db in &dbs {
        for (metric, unit, values) in &rds {
            seed.put_series(
                "AWS/RDS",
                "DBInstanceIdentifier",
                &db.id,
                metric,
                unit.clone(),
                end,
                PERIOD,
                values,
            )
            .await;
        }
    }
    let kinesis = [
        ("IncomingBytes", StandardUnit::Bytes, [3.6e8, 7.2e8]),
        ("IncomingRecords", StandardUnit::Count, [3.6e5, 7.2e5]),
        (
            "WriteProvisionedThroughputExceeded",
            StandardUnit::Count,
            [0.0, 3.0],
        ),
        (
            "ReadProvisionedThroughputExceeded",
            StandardUnit::Count,
            [0.0, 0.0],
        ),
        (
            "GetRecords.IteratorAgeMilliseconds",
            StandardUnit::Milliseconds,
            [800.0, 1200.0],
        ),
    ];
    for stream in &streams {
        for (metric, unit, values) in &kinesis {
            seed.put_series(
                "AWS/Kinesis",
                "StreamName",
                &stream.name,
                metric,
                unit.clone(),
                end,
                PERIOD,
                values,
            )
            .await;
        }
    }
}
