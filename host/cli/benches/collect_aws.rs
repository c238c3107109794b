//! Benchmark of issue #3: collect 300 RDS instances and 100 Kinesis streams with their
//! CloudWatch metrics from moto_server and run the built-in detectors on them, as the
//! `aiops scan --source aws` subprocess a user runs. Prints wall time, the aiops
//! process's CPU time and peak RSS (from `/usr/bin/time -v` when present).
//!
//! `cargo bench -p aiops --bench collect_aws`. Moto is single-process Python and does
//! the metric aggregation itself, so most of the wall time against it is moto's. A
//! second measurement replays moto's recorded answers (same bytes on the wire) from an
//! in-process server, which shows aiops's own wall time.
//!
//! The AWS calls are counted by operation through a proxy in front of moto, twice: as
//! moto 5.2.5 answers, and "like AWS" (the proxy adds `ConsumerCount` to
//! `DescribeStreamSummary` and answers the tagging API's `GetResources` for Kinesis
//! streams, as AWS documents; its own calls to moto are not counted, but its time is in
//! that column's wall time), and like AWS 30 ms a call away. `AIOPS_BENCH_BEFORE=/path/to/older/aiops` measures an older
//! binary the same way, for before/after figures.

use std::process::Command;
use std::time::Instant;

use std::collections::BTreeMap;

use aiops_standins::moto::{ACCESS_KEY_ID, Moto, SECRET_ACCESS_KEY};
use aiops_standins::moto_calls::CallCounter;
use aiops_standins::moto_replay::ReplayServer;
use aiops_standins::moto_seed::{DbSpec, Seeder, StreamSpec, aligned_end};
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
    let moto_figures = measure(bin, &args, &moto.url());
    // Record moto's answers once, then replay them without moto.
    let recorder = ReplayServer::record(&moto.url());
    run(bin, &args, &recorder.url(), false);
    let replay = ReplayServer::replay(&recorder);
    let replay_figures = measure(bin, &args, &replay.url());
    assert_eq!(replay.misses(), 0, "the replay lacked recorded answers");
    assert_eq!(
        moto_figures.0, replay_figures.0,
        "the replayed run found something else"
    );
    println!("collect_aws: {INSTANCES} RDS + {STREAMS} Kinesis with metrics, detectors run");
    println!("  findings                 {}", moto_figures.0);
    println!("  {:<24} {:>10} {:>10}", "", "moto", "replayed");
    println!(
        "  {:<24} {:>10.3} {:>10.3}",
        "wall time (s)", moto_figures.1, replay_figures.1
    );
    for (i, label) in ["user CPU (s)", "system CPU (s)", "peak RSS (KiB)"]
        .iter()
        .enumerate()
    {
        println!(
            "  {label:<24} {:>10} {:>10}",
            moto_figures.2[i], replay_figures.2[i]
        );
    }
    println!("  ({} distinct API requests replayed)", recorder.recorded());

    let mut binaries = vec![("after", bin.to_string())];
    if let Ok(before) = std::env::var("AIOPS_BENCH_BEFORE") {
        // Its own warm-up: another build compiles the plugins under another cache key.
        run(&before, &args, &moto.url(), false);
        binaries.insert(0, ("before", before));
    }
    let modes = [
        ("as moto 5.2.5 answers", false, 0),
        (
            "like AWS (ConsumerCount, GetResources for streams)",
            true,
            0,
        ),
        (
            "like AWS, each answer 30 ms later (a region's round trip)",
            true,
            30,
        ),
    ];
    for (title, like_aws, latency_ms) in modes {
        let mut columns = Vec::new();
        for (label, binary) in &binaries {
            let counter = CallCounter::start(&moto.url());
            if like_aws {
                counter.like_aws();
            }
            counter.latency(std::time::Duration::from_millis(latency_ms));
            let figures = measure(binary, &args, &counter.url());
            assert_eq!(figures.0, moto_figures.0, "{label} found something else");
            columns.push((*label, figures.1, counter.calls()));
        }
        print_calls(title, &columns);
    }
}

/// Calls by operation and wall time, one column per binary.
fn print_calls(title: &str, columns: &[(&str, f64, BTreeMap<String, usize>)]) {
    println!("  AWS calls, {title}");
    let header: Vec<String> = columns.iter().map(|c| format!("{:>10}", c.0)).collect();
    println!("    {:<34} {}", "", header.join(" "));
    let mut ops: Vec<&String> = columns.iter().flat_map(|c| c.2.keys()).collect();
    ops.sort();
    ops.dedup();
    for op in ops {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| format!("{:>10}", c.2.get(op).copied().unwrap_or(0)))
            .collect();
        println!("    {op:<34} {}", cells.join(" "));
    }
    let totals: Vec<String> = columns
        .iter()
        .map(|c| format!("{:>10}", c.2.values().sum::<usize>()))
        .collect();
    println!("    {:<34} {}", "total", totals.join(" "));
    let walls: Vec<String> = columns.iter().map(|c| format!("{:>10.3}", c.1)).collect();
    println!("    {:<34} {}", "wall time (s)", walls.join(" "));
}

/// One timed scan: findings, wall seconds, and user CPU, system CPU, peak RSS as
/// `/usr/bin/time -v` reports them (`-` when it is not installed).
fn measure(bin: &str, args: &[&str], endpoint: &str) -> (usize, f64, [String; 3]) {
    let started = Instant::now();
    let (stdout, stats) = run(bin, args, endpoint, true);
    let wall = started.elapsed().as_secs_f64();
    let findings: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let mut figures = [const { String::new() }; 3];
    for line in stats.lines() {
        let line = line.trim();
        for (i, key) in [
            "User time (seconds)",
            "System time (seconds)",
            "Maximum resident set size (kbytes)",
        ]
        .iter()
        .enumerate()
        {
            if let Some(value) = line.strip_prefix(key) {
                figures[i] = value.trim_start_matches(':').trim().to_string();
            }
        }
    }
    for figure in &mut figures {
        if figure.is_empty() {
            *figure = "-".into();
        }
    }
    (findings.len(), wall, figures)
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
        .map(|i| StreamSpec {
            // Tagged, as most estates are: the tagging API has something to return.
            tags: vec![("team", if i % 2 == 0 { "ingest" } else { "search" })],
            ..StreamSpec::provisioned(format!("stream-{i:03}"), 1 + (i % 4) as i32)
        })
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
