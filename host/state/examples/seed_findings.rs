//! Seeds a state store with N open findings through the store's own API, for the API
//! benchmark (`tests/bench/api.sh`): one cycle that reports them all (source
//! `bench:seed`, plugin `bench`; a fifth of each severity), then the notification
//! outbox it filled is marked routed to no channel, so a host started on the store has
//! nothing to send.
//!
//! `cargo run --release -p aiops-state --example seed_findings -- STORE_URL [N]`
//! (`STORE_URL`: a SQLite file's path, `sqlite://PATH` or `postgres://USER@HOST/DB` with
//! the password in `PGPASSWORD`; N defaults to 100,000).

use std::collections::BTreeSet;
use std::time::Instant;

use aiops_sdk::Severity;
use aiops_state::{Coverage, ObservedFinding, SourceStatus, Store, StoreUrl, now_millis};

const SEVERITIES: [Severity; 5] = [
    Severity::Info,
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

fn finding(i: usize) -> ObservedFinding {
    let namespace = format!("ns-{}", i % 50);
    ObservedFinding {
        fingerprint: format!("{:032x}", (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)),
        plugin: "bench".into(),
        rule: ["k8s.resources.cpu-limit-missing", "k8s.resources.memory-limit-missing", "k8s.workloads.probe-missing"][i % 3].into(),
        resource_id: format!("k8s/Deployment/{namespace}/app-{i}"),
        resource_kind: "Deployment".into(),
        resource_name: format!("app-{i}"),
        resource_namespace: Some(namespace),
        component: Some("main".into()),
        source: "bench:seed".into(),
        file: Some(format!("deploy/part-{:03}.yaml", i / 1000)),
        line: Some((i % 1000 * 12 + 1) as i64),
        severity: SEVERITIES[(i / 3) % 5],
        title: "CPU limit missing".into(),
        message: format!("container main of app-{i} has no CPU limit"),
        evidence: vec![("resource".into(), "cpu".into()), ("container".into(), "main".into())],
        remediation: Some(r#"{"kind":"set-field","path":"/spec/template/spec/containers/0/resources/limits/cpu","value":"500m"}"#.into()),
        labels: vec![("team".into(), "shop".into())],
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: seed_findings STORE_URL [N]")?;
    let n: usize = args.next().map_or(Ok(100_000), |n| n.parse())?;
    let url = if url.contains(':') {
        StoreUrl::parse(&url)?
    } else {
        StoreUrl::sqlite(url)
    };
    let url = match std::env::var("PGPASSWORD") {
        Ok(password) if matches!(url, StoreUrl::Postgres(_)) => url.with_password(&password)?,
        _ => url,
    };
    let store = Store::open(&url).await?;
    let started = Instant::now();
    let observed: Vec<ObservedFinding> = (0..n).map(finding).collect();
    let coverage = Coverage {
        sources: vec![SourceStatus {
            source: "bench:seed".into(),
            file_source: false,
            resources: n,
            problems: vec![],
            failed: false,
        }],
        plugins_ok: BTreeSet::from(["bench".to_string()]),
        plugins_not_ok: Default::default(),
        not_due: Default::default(),
    };
    let cycle = store.begin_cycle("seed_findings").await?;
    let outcome = store
        .reconcile(cycle, now_millis(), &observed, &coverage, &[])
        .await?;
    let seeded = started.elapsed();
    // Route the outbox to nothing: the host's notifier then has no backlog to work on.
    let mut events = 0;
    loop {
        let cursor = store.notify_cursor().await?;
        let batch = store.outbox_after(cursor, 1000).await?;
        let Some(last) = batch.last().map(|e| e.id) else {
            break;
        };
        events += batch.len();
        store.route_events(cursor, last, &[], now_millis()).await?;
    }
    println!(
        "seeded {} new findings in {:.1} s; {events} outbox events marked routed",
        outcome.summary.total.new,
        seeded.as_secs_f64()
    );
    store.close().await;
    Ok(())
}
