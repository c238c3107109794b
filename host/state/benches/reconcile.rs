//! Reconcile benchmark (issue #14): a store holding 100k open findings, a cycle that
//! reports the same 100k with 1% changed (0.5% new content, 0.5% gone, as many new),
//! on SQLite and on a real PostgreSQL. Prints the reconcile time of the first (100k
//! new) and the steady cycle, how much the database grew per steady cycle, and the
//! process's peak RSS.
//!
//! `cargo bench -p aiops-state --bench reconcile` (`AIOPS_BENCH_FINDINGS` to resize).

use std::collections::BTreeSet;
use std::time::Instant;

use aiops_sdk::Severity;
use aiops_standins::postgres;
use aiops_state::{Coverage, ObservedFinding, SourceStatus, Store, StoreUrl};

fn finding(i: usize, variant: usize) -> ObservedFinding {
    let resource = format!("k8s/Deployment/ns-{}/app-{i}", i % 50);
    ObservedFinding {
        fingerprint: format!("{:032x}", i),
        plugin: "k8s-resources".into(),
        rule: "k8s.resources.cpu-limit-missing".into(),
        resource_name: format!("app-{i}"),
        resource_id: resource,
        resource_kind: "Deployment".into(),
        resource_namespace: Some(format!("ns-{}", i % 50)),
        component: Some("main".into()),
        source: "manifests:deploy".into(),
        file: Some(format!("deploy/part-{:02}.yaml", i / 1000)),
        line: Some((i % 1000 * 12 + 1) as i64),
        severity: if variant == 0 { Severity::Low } else { Severity::Medium },
        title: "CPU limit missing".into(),
        message: format!("container main has no CPU limit (variant {variant})"),
        evidence: vec![("resource".into(), "cpu".into()), ("container".into(), "main".into())],
        remediation: Some(r#"{"kind":"set-field","path":"/spec/template/spec/containers/0/resources/limits/cpu","value":"500m"}"#.into()),
        labels: vec![("team".into(), "shop".into())],
    }
}

fn coverage() -> Coverage {
    Coverage {
        sources: vec![SourceStatus {
            source: "manifests:deploy".into(),
            file_source: true,
            resources: 100_000,
            problems: vec![],
            failed: false,
        }],
        plugins_ok: BTreeSet::from(["k8s-resources".to_string()]),
        plugins_not_ok: Default::default(),
        not_due: Default::default(),
    }
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn size_of(store: &Store, url: &StoreUrl) -> u64 {
    match url.sqlite_path() {
        Some(path) => {
            let wal = path.with_extension("db-wal");
            [path.to_path_buf(), wal]
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .sum()
        }
        None => {
            let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
                .fetch_one(store.pool())
                .await
                .unwrap();
            size as u64
        }
    }
}

async fn bench(label: &str, url: StoreUrl, n: usize) {
    let store = Store::open(&url).await.unwrap();
    let covered = coverage();
    let first: Vec<ObservedFinding> = (0..n).map(|i| finding(i, 0)).collect();
    let cycle = store.begin_cycle("bench").await.unwrap();
    let started = Instant::now();
    let outcome = store
        .reconcile(cycle, 1_000, &first, &covered, &[])
        .await
        .unwrap();
    let first_took = started.elapsed();
    assert_eq!(outcome.summary.total.new, n);
    let after_first = size_of(&store, &url).await;

    // Steady cycles: 1% changed — 0.5% with new content, 0.5% gone, as many new.
    let step = 200;
    let mut times = Vec::new();
    let mut grew = Vec::new();
    for round in 0..3usize {
        let mut seen: Vec<ObservedFinding> = (0..n)
            .filter(|i| i % step != 100 + round)
            .map(|i| finding(i, usize::from(i % step == round)))
            .collect();
        seen.extend((0..n / step).map(|k| finding(n * (round + 2) + k, 0)));
        let before = size_of(&store, &url).await;
        let cycle = store.begin_cycle("bench").await.unwrap();
        let started = Instant::now();
        let outcome = store
            .reconcile(cycle, 2_000 + round as i64, &seen, &covered, &[])
            .await
            .unwrap();
        times.push(started.elapsed());
        grew.push(size_of(&store, &url).await as i64 - before as i64);
        assert!(
            outcome.summary.total.resolved >= n / step,
            "{:?}",
            outcome.summary
        );
    }
    let best = times.iter().min().unwrap();
    println!(
        "{label:<9} first cycle ({n} new): {:>7.2} s   steady cycle ({n} seen, 1% changed): best {:.3} s, all {:?}   db after first {:.1} MiB, growth per steady cycle {:?} KiB   peak RSS {:.0} MiB",
        first_took.as_secs_f64(),
        best.as_secs_f64(),
        times
            .iter()
            .map(|t| format!("{:.3}", t.as_secs_f64()))
            .collect::<Vec<_>>(),
        after_first as f64 / 1048576.0,
        grew.iter().map(|g| g / 1024).collect::<Vec<_>>(),
        peak_rss_mib()
    );
    store.close().await;
}

fn main() {
    let n: usize = std::env::var("AIOPS_BENCH_FINDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    runtime.block_on(bench(
        "sqlite",
        StoreUrl::sqlite(dir.path().join("state.db")),
        n,
    ));
    let pg = StoreUrl::parse(&postgres::server().fresh_database("bench_reconcile"))
        .unwrap()
        .with_password(postgres::PASSWORD)
        .unwrap();
    runtime.block_on(bench("postgres", pg, n));
}
