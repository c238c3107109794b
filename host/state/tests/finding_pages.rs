//! Pages of findings (`Store::find_findings`, what the API and the console read) on both
//! backends: a SQLite file and a real PostgreSQL server (`aiops_standins::postgres`).
//! Paging visits every matching finding once in bytewise fingerprint order, filters
//! agree with the same filter applied to the whole list, counts agree with pages, and
//! a bad cursor or page size is refused naming the parameter.

mod common;
use common::backends;

use std::collections::BTreeSet;

use aiops_sdk::Severity;
use aiops_state::{
    Coverage, FindingFilter, FindingParams, FindingQuery, ObservedFinding, SourceStatus,
    StateError, Store, StoreUrl, StoredFinding,
};

const SEVERITIES: [Severity; 5] = [
    Severity::Info,
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

/// Finding `i` of a varied set: five severities, three rules, two sources, seven
/// namespaces and some without one; fingerprints mix case and punctuation so bytewise
/// and locale orders differ.
fn finding(i: usize) -> ObservedFinding {
    let rule = ["probe.readiness", "probe.liveness", "limits.memory"][i % 3];
    let namespace = (!i.is_multiple_of(11)).then(|| format!("ns-{}", i % 7));
    let resource = format!(
        "k8s/Deployment/{}/app-{i}",
        namespace.as_deref().unwrap_or("-")
    );
    let prefix = ["fp", "FP", "fp_", "fp.", "Fp-"][i % 5];
    ObservedFinding {
        fingerprint: format!("{prefix}{:05}", (i * 7919) % 100_000),
        plugin: "probes".into(),
        rule: rule.into(),
        resource_name: format!("app-{i}"),
        resource_id: resource,
        resource_kind: "Deployment".into(),
        resource_namespace: namespace,
        component: Some("app".into()),
        source: ["manifests:deploy", "manifests:other"][i % 2].into(),
        file: None,
        line: None,
        severity: SEVERITIES[(i / 3) % 5],
        title: format!("{rule} on app-{i}"),
        message: "m".into(),
        evidence: vec![("container".into(), "app".into())],
        remediation: None,
        labels: vec![],
    }
}

/// A cycle that read both sources cleanly and ran `probes`, or only `manifests:deploy`.
fn coverage(both: bool) -> Coverage {
    let sources = if both {
        vec!["manifests:deploy", "manifests:other"]
    } else {
        vec!["manifests:deploy"]
    };
    Coverage {
        sources: sources
            .into_iter()
            .map(|s| SourceStatus {
                source: s.into(),
                file_source: true,
                resources: 10,
                problems: vec![],
                failed: false,
            })
            .collect(),
        plugins_ok: BTreeSet::from(["probes".to_string()]),
        plugins_not_ok: Default::default(),
        not_due: Default::default(),
    }
}

/// A cycle at `now` that reports `findings` under `coverage`, reconciled.
async fn run_cycle(store: &Store, now: i64, findings: &[ObservedFinding], coverage: &Coverage) {
    let cycle = store.begin_cycle("test").await.unwrap();
    store
        .reconcile(cycle, now, findings, coverage, &[])
        .await
        .unwrap();
}

/// 1,000 findings stored; then a cycle that could not read `manifests:other` (its 500
/// findings go stale) and no longer reports every tenth finding (the 100 of
/// `manifests:deploy` with `i % 10 == 0`: they resolve).
async fn seeded(url: &StoreUrl) -> Store {
    let store = Store::open(url).await.unwrap();
    let all: Vec<ObservedFinding> = (0..1000).map(finding).collect();
    run_cycle(&store, 1_000, &all, &coverage(true)).await;
    let kept: Vec<ObservedFinding> = all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i.is_multiple_of(2) && !i.is_multiple_of(10))
        .map(|(_, f)| f)
        .collect();
    run_cycle(&store, 2_000, &kept, &coverage(false)).await;
    store
}

/// Every page of `filter` at `limit`, following `next`; asserts each page but the last
/// is full.
async fn every_page(store: &Store, filter: &FindingFilter, limit: usize) -> Vec<StoredFinding> {
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .find_findings(&FindingQuery {
                filter: filter.clone(),
                after: after.clone(),
                limit,
            })
            .await
            .unwrap();
        let n = page.findings.len();
        seen.extend(page.findings);
        match page.next {
            Some(next) => {
                assert_eq!(n, limit, "a page before the last is full");
                assert_eq!(Some(&next), seen.last().map(|f| &f.fingerprint));
                after = Some(next);
            }
            None => return seen,
        }
    }
}

/// The fingerprints of the whole list under `filter`, bytewise sorted.
async fn expected(store: &Store, filter: &FindingFilter) -> Vec<String> {
    let mut all: Vec<String> = store
        .list_findings(filter)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.fingerprint)
        .collect();
    all.sort();
    all
}

fn glob(text: &str) -> Option<glob::Pattern> {
    Some(glob::Pattern::new(text).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_visits_every_finding_once_in_bytewise_fingerprint_order() {
    for (backend, url, _dir) in backends("pages") {
        let store = seeded(&url).await;
        let all = FindingFilter {
            state: Some("all".into()),
            ..Default::default()
        };
        let mut bytewise: Vec<String> = (0..1000).map(|i| finding(i).fingerprint).collect();
        bytewise.sort();
        for limit in [1, 7, 100, 1000] {
            let pages: Vec<String> = every_page(&store, &all, limit)
                .await
                .into_iter()
                .map(|f| f.fingerprint)
                .collect();
            assert_eq!(pages, bytewise, "{backend}: limit {limit}");
        }
        // A cursor between two fingerprints (its finding gone since) starts after it.
        let page = store
            .find_findings(&FindingQuery {
                filter: all.clone(),
                after: Some(format!("{}!", bytewise[10])),
                limit: 3,
            })
            .await
            .unwrap();
        let got: Vec<&str> = page
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        assert_eq!(got, &bytewise[11..14], "{backend}");
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_page_the_same_findings_the_whole_list_has_and_counts_agree() {
    for (backend, url, _dir) in backends("page_filters") {
        let store = seeded(&url).await;
        let filters = [
            (
                "open",
                FindingFilter {
                    state: Some("open".into()),
                    ..Default::default()
                },
            ),
            (
                "resolved",
                FindingFilter {
                    state: Some("resolved".into()),
                    ..Default::default()
                },
            ),
            (
                "stale",
                FindingFilter {
                    state: Some("stale".into()),
                    ..Default::default()
                },
            ),
            (
                "high",
                FindingFilter {
                    state: Some("open".into()),
                    severities: vec![Severity::High],
                    ..Default::default()
                },
            ),
            (
                "high and critical, any state",
                FindingFilter {
                    state: Some("all".into()),
                    severities: vec![Severity::Critical, Severity::High],
                    ..Default::default()
                },
            ),
            (
                "rule literal",
                FindingFilter {
                    state: Some("open".into()),
                    rule: glob("limits.memory"),
                    ..Default::default()
                },
            ),
            (
                "rule and namespace globs",
                FindingFilter {
                    state: Some("open".into()),
                    rule: glob("probe.*"),
                    namespace: glob("ns-[13]"),
                    ..Default::default()
                },
            ),
            (
                "source glob, low",
                FindingFilter {
                    state: Some("all".into()),
                    severities: vec![Severity::Low],
                    source: glob("*:other"),
                    ..Default::default()
                },
            ),
            (
                "resource glob",
                FindingFilter {
                    state: Some("all".into()),
                    resource: glob("k8s/Deployment/ns-2/*"),
                    ..Default::default()
                },
            ),
            (
                "namespace literal",
                FindingFilter {
                    state: Some("all".into()),
                    namespace: glob("ns-4"),
                    ..Default::default()
                },
            ),
            (
                "nothing",
                FindingFilter {
                    state: Some("open".into()),
                    rule: glob("no-such-*"),
                    ..Default::default()
                },
            ),
        ];
        for (name, filter) in &filters {
            let want = expected(&store, filter).await;
            let pages: Vec<StoredFinding> = every_page(&store, filter, 37).await;
            let got: Vec<String> = pages.iter().map(|f| f.fingerprint.clone()).collect();
            assert_eq!(got, want, "{backend}: {name}");
            let counts = store.count_findings(filter, None).await.unwrap();
            let mut by_severity = std::collections::BTreeMap::<String, u64>::new();
            for f in &pages {
                *by_severity.entry(f.severity.clone()).or_default() += 1;
            }
            assert_eq!(counts, by_severity, "{backend}: {name}");
        }
        // The filters do filter: spot-check what each kept.
        let (_, stale) = &filters[2];
        let stale_pages = every_page(&store, stale, 100).await;
        assert_eq!(stale_pages.len(), 500, "{backend}");
        assert!(
            stale_pages
                .iter()
                .all(|f| f.stale && f.source == "manifests:other"),
            "{backend}"
        );
        let (_, resolved) = &filters[1];
        assert_eq!(
            every_page(&store, resolved, 100).await.len(),
            100,
            "{backend}: every tenth finding"
        );
        let (_, globs) = &filters[6];
        let matched = every_page(&store, globs, 100).await;
        assert!(!matched.is_empty(), "{backend}");
        assert!(
            matched.iter().all(|f| f.rule.starts_with("probe.")
                && matches!(f.resource_namespace.as_deref(), Some("ns-1" | "ns-3"))),
            "{backend}"
        );
        // Counts after a cursor cover only what follows it.
        let (_, open) = &filters[0];
        let open_all = expected(&store, open).await;
        let after = store
            .count_findings(open, Some(&open_all[99]))
            .await
            .unwrap();
        assert_eq!(
            after.values().sum::<u64>() as usize,
            open_all.len() - 100,
            "{backend}"
        );
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_cursor_page_size_or_parameter_is_refused_naming_it() {
    for (backend, url, _dir) in backends("page_errors") {
        let store = seeded(&url).await;
        let query = |after: &str, limit: usize| FindingQuery {
            filter: FindingFilter::default(),
            after: Some(after.to_string()),
            limit,
        };
        let refused = |result: Result<_, StateError>| match result {
            Err(StateError::Invalid { param, message }) => format!("{param}: {message}"),
            Err(other) => panic!("{backend}: not a bad parameter: {other}"),
            Ok(_) => panic!("{backend}: taken"),
        };
        for bad in [
            "nul\0byte".to_string(),
            "x".repeat(257),
            "line\nbreak".into(),
        ] {
            let message = refused(store.find_findings(&query(&bad, 10)).await.map(drop));
            assert!(message.starts_with("after: "), "{backend}: {message}");
            assert!(message.contains("not a cursor"), "{backend}: {message}");
            let counted = refused(
                store
                    .count_findings(&FindingFilter::default(), Some(&bad))
                    .await
                    .map(drop),
            );
            assert!(counted.starts_with("after: "), "{backend}: {counted}");
        }
        for limit in [0, 1001] {
            let message = refused(store.find_findings(&query("fp", limit)).await.map(drop));
            assert_eq!(
                message,
                format!("limit: {limit} is not between 1 and 1000"),
                "{backend}"
            );
        }
        // The text parameters the API and the console take.
        let parse = |p: FindingParams<'_>| refused(p.parse().map(drop));
        assert_eq!(
            parse(FindingParams {
                state: Some("gone"),
                ..Default::default()
            }),
            "state: \"gone\" is not open, resolved, stale or all"
        );
        assert_eq!(
            parse(FindingParams {
                severity: Some("high,urgent"),
                ..Default::default()
            }),
            "severity: \"urgent\""
        );
        assert!(
            parse(FindingParams {
                namespace: Some("ns-[1"),
                ..Default::default()
            })
            .starts_with("namespace: ")
        );
        assert!(
            parse(FindingParams {
                after: Some("a\u{7}"),
                ..Default::default()
            })
            .starts_with("after: ")
        );
        // Blank is unset; the defaults are open findings, 100 a page.
        let defaults = FindingParams {
            severity: Some(" "),
            after: Some(""),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(defaults.filter.state.as_deref(), Some("open"));
        assert!(defaults.filter.severities.is_empty() && defaults.after.is_none());
        assert_eq!(defaults.limit, 100);
        store.close().await;
    }
}

/// The findings generation (what `aiops serve` keeps rendered pages under) rises with
/// every committed change of what a page shows — new findings, a cycle that sees them
/// again, findings gone stale or resolved, a prune — as another handle on the same store
/// sees it (another process or replica), and stays put on reads, a cycle begun but not
/// reconciled, and writes elsewhere.
#[tokio::test(flavor = "multi_thread")]
async fn the_findings_generation_rises_with_every_change_a_page_shows() {
    for (backend, url, _dir) in backends("generation") {
        let writer = Store::open(&url).await.unwrap();
        let reader = Store::open(&url).await.unwrap();
        let generation = || async { reader.findings_generation().await.unwrap() };
        let all: Vec<ObservedFinding> = (0..50).map(finding).collect();
        let open = FindingQuery {
            filter: FindingFilter::default(),
            after: None,
            limit: 100,
        };
        let start = generation().await;
        let cycle = writer.begin_cycle("test").await.unwrap();
        assert_eq!(generation().await, start, "{backend}: a cycle begun");
        writer
            .reconcile(cycle, 1_000, &all, &coverage(true), &[])
            .await
            .unwrap();
        let stored = generation().await;
        assert!(stored > start, "{backend}: new findings");

        writer.find_findings(&open).await.unwrap();
        writer.list_findings(&open.filter).await.unwrap();
        writer
            .add_silence(&serde_json::json!({"rule": "x"}), "quiet", "alice", 9_999)
            .await
            .unwrap();
        assert_eq!(generation().await, stored, "{backend}: reads and a silence");

        run_cycle(&writer, 1_500, &all, &coverage(true)).await;
        let seen_again = generation().await;
        assert!(seen_again > stored, "{backend}: last_seen moved");

        let kept: Vec<ObservedFinding> = all.iter().skip(10).cloned().collect();
        run_cycle(&writer, 2_000, &kept, &coverage(false)).await;
        let changed = generation().await;
        assert!(changed > seen_again, "{backend}: stale and resolved");
        let page = writer.find_findings(&open).await.unwrap();
        assert!(page.findings.iter().any(|f| f.stale), "{backend}");

        assert!(writer.prune(1, "test").await.unwrap() > 0, "{backend}");
        assert!(generation().await > changed, "{backend}: a prune");
        writer.close().await;
        reader.close().await;
    }
}
