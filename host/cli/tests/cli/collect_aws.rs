//! `aiops scan --source aws` end to end: the CLI as a subprocess against moto_server
//! (found through the standard `AWS_ENDPOINT_URL`), seeded with problems the built-in
//! aws-rds-mysql and aws-kinesis-shards detectors report; and the AWS source down,
//! slow past its timeout, throttled without end or answering garbage while an Azure
//! snapshot is scanned alongside — the scan finishes, exits 3, names `aws`, and the
//! Azure findings are complete.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use aiops_standins::moto::{ACCESS_KEY_ID, Moto, SECRET_ACCESS_KEY, free_port};
use aiops_standins::moto_proxy::{Fault, FaultProxy};
use aiops_standins::moto_seed::{DbSpec, Seeder, StreamSpec, aligned_end};
use aws_sdk_cloudwatch::types::StandardUnit;
use serde_json::Value;

const PERIOD: i64 = 3600;
const AZURE_SETTINGS: &str = "    azure-monitor:\n      config: {default_action_group_id: \"/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/monitoring/providers/microsoft.insights/actionGroups/ops-oncall\"}\n";

fn repo() -> PathBuf {
    aiops_standins::repo_root()
}

/// Runs `aiops` with AWS settings only from `env` (nothing inherited that points
/// elsewhere) and the instance metadata service off.
fn aiops(args: &[&str], env: &[(&str, &str)]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_aiops"));
    command
        .args(args)
        .current_dir(repo())
        .env("AIOPS_CACHE_DIR", cache.path())
        .env_remove("RUST_LOG")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    for var in [
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_SESSION_TOKEN",
        "AWS_ROLE_ARN",
    ] {
        command.env_remove(var);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn findings(out: &Output) -> BTreeSet<(String, String)> {
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["resource"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn write_config(dir: &Path, yaml: &str) -> String {
    let path = dir.join("aiops.yaml");
    std::fs::write(&path, yaml).unwrap();
    path.to_str().unwrap().to_string()
}

async fn seed_problems(url: &str) {
    let seed = Seeder::new(url, "eu-west-1").await;
    seed.create_parameter_group("app-mysql84", "mysql8.4").await;
    let good = |id: &str| DbSpec {
        parameter_group: Some("app-mysql84"),
        ..DbSpec::mysql(id)
    };
    seed.create_db_instances(&[
        good("inventory-db"),
        DbSpec {
            multi_az: false,
            class: "db.m5.large",
            tags: vec![("env", "prod")],
            ..good("payments-db")
        },
        DbSpec {
            version: "5.7.44",
            class: "db.t3.medium",
            multi_az: false,
            public: true,
            encrypted: false,
            backup_days: 0,
            tags: vec![("environment", "staging")],
            ..DbSpec::mysql("legacy-reports")
        },
    ])
    .await;
    seed.create_streams(&[
        StreamSpec {
            retention_hours: Some(72),
            kms_key: Some("alias/aws/kinesis"),
            tags: vec![("team", "web")],
            ..StreamSpec::provisioned("clickstream", 8)
        },
        StreamSpec::provisioned("audit-log", 1),
    ])
    .await;
    let end = aligned_end(PERIOD);
    let series = [
        (
            "AWS/RDS",
            "DBInstanceIdentifier",
            "inventory-db",
            "CPUUtilization",
            StandardUnit::Percent,
            vec![30.0, 35.0, 40.0, 32.0],
        ),
        (
            "AWS/RDS",
            "DBInstanceIdentifier",
            "payments-db",
            "CPUUtilization",
            StandardUnit::Percent,
            vec![40.0, 30.0, 45.0, 35.0],
        ),
        (
            "AWS/RDS",
            "DBInstanceIdentifier",
            "legacy-reports",
            "CPUUtilization",
            StandardUnit::Percent,
            vec![30.0, 45.0, 40.0, 35.0],
        ),
        // 15 GiB free falling to 6.5 GiB of 100 GiB.
        (
            "AWS/RDS",
            "DBInstanceIdentifier",
            "legacy-reports",
            "FreeStorageSpace",
            StandardUnit::Bytes,
            vec![
                15.0 * 1_073_741_824.0,
                11.0 * 1_073_741_824.0,
                8.0 * 1_073_741_824.0,
                6.5 * 1_073_741_824.0,
            ],
        ),
        // 0.3 MiB/s and 900 records/s on 8 shards (sums per hour).
        (
            "AWS/Kinesis",
            "StreamName",
            "clickstream",
            "IncomingBytes",
            StandardUnit::Bytes,
            vec![0.3 * 1_048_576.0 * 3600.0; 4],
        ),
        (
            "AWS/Kinesis",
            "StreamName",
            "clickstream",
            "IncomingRecords",
            StandardUnit::Count,
            vec![900.0 * 3600.0; 4],
        ),
    ];
    for (namespace, dimension, value, metric, unit, values) in series {
        seed.put_series(
            namespace, dimension, value, metric, unit, end, PERIOD, &values,
        )
        .await;
    }
}

#[test]
fn scan_source_aws_reports_what_the_detectors_find_in_moto() {
    let moto = Moto::start();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(seed_problems(&moto.url()));
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "plugins:\n  settings:\n    aws-rds-mysql:\n      config: {today: \"2026-11-25\"}\n    aws-kinesis-shards:\n      config: {min_retention_hours: 48}\n\
         collectors:\n  aws:\n    metrics_window_hours: 6\n    metrics_period_seconds: 3600\n",
    );
    let out = aiops(
        &[
            "scan", "--source", "aws", "--format", "json", "--config", &config,
        ],
        &[
            ("AWS_ENDPOINT_URL", &moto.url()),
            ("AWS_REGION", "eu-west-1"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rds = |rule: &str, id: &str| (format!("aws.rds.{rule}"), format!("aws/rds/eu-west-1/{id}"));
    let kinesis = |rule: &str, id: &str| {
        (
            format!("aws.kinesis.{rule}"),
            format!("aws/kinesis/eu-west-1/{id}"),
        )
    };
    let expected: BTreeSet<(String, String)> = [
        rds("single-az-production", "payments-db"),
        rds("free-storage-low", "legacy-reports"),
        rds("backup-retention", "legacy-reports"),
        rds("publicly-accessible", "legacy-reports"),
        rds("storage-not-encrypted", "legacy-reports"),
        rds("engine-end-of-support", "legacy-reports"),
        rds("default-parameter-group", "legacy-reports"),
        kinesis("over-provisioned", "clickstream"),
        kinesis("retention-below-policy", "audit-log"),
        kinesis("encryption-disabled", "audit-log"),
    ]
    .into_iter()
    .collect();
    assert_eq!(findings(&out), expected, "{stderr}");
    assert!(!stderr.contains(SECRET_ACCESS_KEY));

    // The same inventory captured as a snapshot replays to the same findings.
    let snapshot = dir.path().join("aws.json");
    let captured = aiops(
        &[
            "collect",
            "--source",
            "aws",
            "--config",
            &config,
            "--output",
            snapshot.to_str().unwrap(),
        ],
        &[
            ("AWS_ENDPOINT_URL", &moto.url()),
            ("AWS_REGION", "eu-west-1"),
        ],
    );
    assert_eq!(
        captured.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&captured.stderr)
    );
    let counts = String::from_utf8_lossy(&captured.stderr);
    assert!(
        counts.contains("3 aws.rds.db-instance") && counts.contains("2 aws.kinesis.stream"),
        "{counts}"
    );
    let source = format!("snapshot:{}", snapshot.display());
    let replay = aiops(
        &[
            "scan", "--source", &source, "--format", "json", "--config", &config,
        ],
        &[],
    );
    assert_eq!(findings(&replay), expected);
}

/// The Azure snapshot's expected findings (AZURE-EXPECTED.md), as (rule, resource id).
fn azure_expected() -> BTreeSet<(String, String)> {
    let text =
        std::fs::read_to_string(repo().join("local-dev/inventory/AZURE-EXPECTED.md")).unwrap();
    let rows: BTreeSet<(String, String)> = text
        .lines()
        .filter(|l| l.starts_with("| `azure."))
        .map(|l| {
            let cells: Vec<&str> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`'))
                .collect();
            (cells[0].to_string(), cells[2].to_string())
        })
        .collect();
    assert_eq!(rows.len(), 7, "AZURE-EXPECTED.md table parsed");
    rows
}

/// Scans a faulty AWS endpoint alongside the Azure snapshot; asserts the run finishes
/// incomplete (exit 3), names `aws` with `why`, and keeps every Azure finding.
fn assert_aws_fault_isolated(endpoint: &str, why: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "plugins:\n  settings:\n{AZURE_SETTINGS}\
             collectors:\n  aws:\n    regions: [eu-west-1]\n    endpoint_url: \"{endpoint}\"\n    timeout_seconds: 4\n    call_timeout_seconds: 2\n    connect_timeout_seconds: 1\n    retry: {{max_attempts: 2, base_delay_ms: 10, max_delay_ms: 50}}\n"
        ),
    );
    let out = aiops(
        &[
            "scan",
            "--source",
            "aws",
            "--source",
            "snapshot:local-dev/inventory/azure.json",
            "--format",
            "json",
            "--config",
            &config,
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // What happened, not how long it took: the run ended incomplete with the cause
    // (the deadline's error for a slow endpoint), and the callers count the retries.
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error: aws"))
        .unwrap_or_else(|| panic!("no error line naming aws: {stderr}"));
    assert!(why.iter().any(|w| line.contains(w)), "{line}");
    assert!(!stderr.contains(SECRET_ACCESS_KEY));
    assert_eq!(findings(&out), azure_expected(), "{stderr}");
}

#[test]
fn aws_down_is_reported_and_azure_findings_are_complete() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    assert_aws_fault_isolated(&closed, &["cannot reach the endpoint"]);
}

#[test]
fn aws_slow_past_its_timeout_is_reported_and_azure_findings_are_complete() {
    let proxy = FaultProxy::start("http://127.0.0.1:9", Fault::Delay(Duration::from_secs(60)));
    assert_aws_fault_isolated(&proxy.url(), &["timed out"]);
}

#[test]
fn aws_throttled_without_end_is_reported_and_azure_findings_are_complete() {
    let proxy = FaultProxy::start("http://127.0.0.1:9", Fault::Throttle(usize::MAX));
    assert_aws_fault_isolated(&proxy.url(), &["Throttling", "LimitExceededException"]);
    assert!(proxy.throttled() >= 2, "retried before giving up");
}

#[test]
fn aws_answering_garbage_is_reported_and_azure_findings_are_complete() {
    let proxy = FaultProxy::start("http://127.0.0.1:9", Fault::Garbage);
    assert_aws_fault_isolated(&proxy.url(), &["malformed response"]);
}
