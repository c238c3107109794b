//! The state store on both backends: a SQLite file in a temp directory and a real
//! PostgreSQL server started from Debian's package (`aiops_standins::postgres`). Every
//! test runs its body once per backend.

mod common;
use common::backends;

use std::collections::BTreeSet;
use std::time::Duration;

use aiops_sdk::Severity;
use aiops_standins::postgres;
use aiops_state::{
    AuditQuery, AuditRecord, Backend, Coverage, CycleProblem, FindingFilter, FindingState,
    ObservedFinding, OutboxEvent, RemediationState, RemediationStep, SourceStatus, StateConfig,
    StateError, Store, StoreUrl,
};

fn finding(rule: &str, resource: &str, severity: Severity) -> ObservedFinding {
    ObservedFinding {
        fingerprint: format!("fp-{rule}-{resource}"),
        plugin: "probes".into(),
        rule: rule.into(),
        resource_id: resource.into(),
        resource_kind: "Deployment".into(),
        resource_namespace: Some("shop".into()),
        resource_name: resource.rsplit('/').next().unwrap().into(),
        component: Some("app".into()),
        source: "manifests:deploy".into(),
        file: Some("deploy/app.yaml".into()),
        line: Some(3),
        severity,
        title: format!("{rule} on {resource}"),
        message: "no readiness probe".into(),
        evidence: vec![("container".into(), "app".into())],
        remediation: Some(r#"{"set":"readinessProbe"}"#.into()),
        labels: vec![("team".into(), "shop".into())],
    }
}

/// A cycle that read `manifests:deploy` cleanly and ran `probes`.
fn clean() -> Coverage {
    Coverage {
        sources: vec![SourceStatus {
            source: "manifests:deploy".into(),
            file_source: true,
            resources: 10,
            problems: vec![],
            failed: false,
        }],
        plugins_ok: BTreeSet::from(["probes".to_string()]),
        plugins_not_ok: Default::default(),
        not_due: Default::default(),
    }
}

async fn run_cycle(
    store: &Store,
    now: i64,
    observed: &[ObservedFinding],
    covered: &Coverage,
) -> aiops_state::ReconcileOutcome {
    let cycle = store.begin_cycle("test").await.unwrap();
    store
        .reconcile(cycle, now, observed, covered, &[])
        .await
        .unwrap()
}

/// Asserts the finding is still open, stale, and says why with `because`.
async fn assert_open_and_stale(store: &Store, fingerprint: &str, because: &str, backend: &str) {
    let stored = state_of(store, fingerprint).await;
    assert_eq!(stored.state, FindingState::Open, "{backend}");
    assert!(stored.stale, "{backend}");
    let reason = stored.stale_reason.unwrap_or_default();
    assert!(reason.contains(because), "{backend}: {reason:?}");
}

async fn state_of(store: &Store, fingerprint: &str) -> aiops_state::StoredFinding {
    store.show_finding(fingerprint).await.unwrap().0
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_open_resolved_reopened_with_compact_history() {
    for (backend, url, _dir) in backends("lifecycle") {
        let store = Store::open(&url).await.unwrap();
        let a = finding("probe.readiness", "shop/Deployment/web", Severity::Medium);
        let b = finding("limits.memory", "shop/Deployment/web", Severity::Low);

        let first = run_cycle(&store, 1_000, &[a.clone(), b.clone()], &clean()).await;
        assert_eq!(first.summary.total.new, 2, "{backend}");
        assert_eq!(first.opened.len(), 2, "{backend}");

        // Seen again unchanged, several times: no history row, no audit entry.
        let audit_before = store.audit(&AuditQuery::default()).await.unwrap().len();
        for now in [2_000, 3_000, 4_000] {
            let again = run_cycle(&store, now, &[a.clone(), b.clone()], &clean()).await;
            assert_eq!(again.summary.total.open, 2, "{backend}");
            assert_eq!(again.summary.total.new, 0, "{backend}");
        }
        let audit_after = store.audit(&AuditQuery::default()).await.unwrap();
        let finding_entries = audit_after
            .iter()
            .filter(|e| e.action.starts_with("finding."))
            .count();
        assert_eq!(finding_entries, 2, "{backend}: only the two openings");
        assert!(audit_after.len() > audit_before - 1, "{backend}");

        // `a` disappears under full coverage: resolved.
        let resolved = run_cycle(&store, 5_000, std::slice::from_ref(&b), &clean()).await;
        assert_eq!(resolved.summary.total.resolved, 1, "{backend}");
        assert_eq!(resolved.resolved, vec![a.fingerprint.clone()], "{backend}");
        let stored = state_of(&store, &a.fingerprint).await;
        assert_eq!(stored.state, FindingState::Resolved, "{backend}");
        assert_eq!(stored.resolved_at, Some(5_000), "{backend}");
        assert_eq!(stored.first_seen, 1_000, "{backend}");
        assert_eq!(
            stored.last_seen, 4_000,
            "{backend}: last seen is the last cycle that reported it"
        );

        // Back again, with a higher severity: reopened, counted, severity updated.
        let mut a2 = a.clone();
        a2.severity = Severity::High;
        a2.message = "reworded".into();
        let reopened = run_cycle(&store, 6_000, &[a2.clone(), b.clone()], &clean()).await;
        assert_eq!(reopened.summary.total.reopened, 1, "{backend}");
        assert_eq!(
            reopened.summary.by_severity["high"].reopened, 1,
            "{backend}"
        );
        let (stored, history) = store.show_finding(&a.fingerprint).await.unwrap();
        assert_eq!(stored.state, FindingState::Open, "{backend}");
        assert_eq!(stored.times_reopened, 1, "{backend}");
        assert_eq!(stored.severity, "high", "{backend}");
        assert_eq!(stored.message, "reworded", "{backend}");
        assert_eq!(stored.first_seen, 1_000, "{backend}");
        assert_eq!(stored.resolved_at, None, "{backend}");
        let changes: Vec<&str> = history.iter().map(|h| h.change.as_str()).collect();
        assert_eq!(changes, ["opened", "resolved", "reopened"], "{backend}");

        // A severity change of an open finding is one history row.
        let mut a3 = a2.clone();
        a3.severity = Severity::Critical;
        run_cycle(&store, 7_000, &[a3, b.clone()], &clean()).await;
        let (_, history) = store.show_finding(&a.fingerprint).await.unwrap();
        let last = history.last().unwrap();
        assert_eq!(
            (
                last.change.as_str(),
                last.from.as_deref(),
                last.to.as_deref()
            ),
            ("severity", Some("high"), Some("critical")),
            "{backend}"
        );
        assert_eq!(history.len(), 4, "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn coverage_rule_failing_source_or_plugin_marks_stale_never_resolves() {
    for (backend, url, _dir) in backends("coverage") {
        let store = Store::open(&url).await.unwrap();
        let a = finding("probe.readiness", "shop/Deployment/web", Severity::Medium);
        let mut other_file = finding("probe.readiness", "shop/Deployment/api", Severity::Medium);
        other_file.file = Some("deploy/api.yaml".into());
        run_cycle(&store, 1_000, &[a.clone(), other_file.clone()], &clean()).await;

        // The plugin crashed: nothing resolves, both stale.
        let mut crashed = clean();
        crashed.plugins_ok.clear();
        crashed
            .plugins_not_ok
            .insert("probes".into(), "trapped: out of fuel".into());
        let outcome = run_cycle(&store, 2_000, &[], &crashed).await;
        assert_eq!(outcome.summary.total.resolved, 0, "{backend}");
        assert_eq!(outcome.summary.total.stale, 2, "{backend}");
        assert_open_and_stale(&store, &a.fingerprint, "out of fuel", backend).await;
        let stale = store
            .list_findings(&FindingFilter {
                state: Some("stale".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(stale.len(), 2, "{backend}");

        // The collector failed entirely: still nothing resolves.
        let mut failed = clean();
        failed.sources[0].failed = true;
        failed.sources[0].problems.push(CycleProblem {
            source: Some("manifests:deploy".into()),
            plugin: None,
            line: None,
            message: "permission denied".into(),
        });
        let outcome = run_cycle(&store, 3_000, &[], &failed).await;
        assert_eq!(outcome.summary.total.resolved, 0, "{backend}");

        // One unparseable file: its finding stays (stale), the other file's resolves.
        let mut one_file = clean();
        one_file.sources[0].problems.push(CycleProblem {
            source: Some("deploy/app.yaml".into()),
            plugin: None,
            line: Some(7),
            message: "mapping values are not allowed here".into(),
        });
        let outcome = run_cycle(&store, 4_000, &[], &one_file).await;
        assert_eq!(
            outcome.resolved,
            vec![other_file.fingerprint.clone()],
            "{backend}"
        );
        assert_open_and_stale(&store, &a.fingerprint, "deploy/app.yaml", backend).await;

        // Reported again: fresh, one `fresh` history row.
        run_cycle(&store, 5_000, std::slice::from_ref(&a), &clean()).await;
        let (stored, history) = store.show_finding(&a.fingerprint).await.unwrap();
        assert!(!stored.stale, "{backend}");
        assert_eq!(stored.last_seen, 5_000, "{backend}");
        let changes: Vec<&str> = history.iter().map(|h| h.change.as_str()).collect();
        assert_eq!(changes, ["opened", "stale", "fresh"], "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn outbox_events_with_the_finding_and_dedup() {
    for (backend, url, _dir) in backends("outbox") {
        let store = Store::open(&url).await.unwrap();
        let a = finding("probe.readiness", "shop/Deployment/web", Severity::High);
        run_cycle(&store, 1_000, std::slice::from_ref(&a), &clean()).await;
        run_cycle(&store, 2_000, std::slice::from_ref(&a), &clean()).await;
        run_cycle(&store, 3_000, &[], &clean()).await;
        run_cycle(&store, 4_000, std::slice::from_ref(&a), &clean()).await;
        let events = store.outbox_after(0, 100).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["finding.new", "finding.resolved", "finding.reopened"],
            "{backend}"
        );
        let new = &events[0];
        assert_eq!(new.subject, a.fingerprint, "{backend}");
        assert_eq!(new.severity.as_deref(), Some("high"), "{backend}");
        assert_eq!(new.payload["rule"], "probe.readiness", "{backend}");
        assert_eq!(new.payload["resource"]["namespace"], "shop", "{backend}");
        assert_eq!(
            new.payload["remediation"]["set"], "readinessProbe",
            "{backend}"
        );
        assert_eq!(events[2].payload["times_reopened"], 1, "{backend}");
        assert_eq!(new.payload["labels"]["team"], "shop", "{backend}");
        assert!(events.windows(2).all(|w| w[0].id < w[1].id), "{backend}");
        assert_eq!(
            store.outbox_after(events[1].id, 100).await.unwrap().len(),
            1
        );

        // The same dedup key written again (a retried step) is one event.
        let mut tx = store.begin_write().await.unwrap();
        let again = OutboxEvent {
            id: 0,
            at: 9_000,
            kind: "finding.new".into(),
            subject: a.fingerprint.clone(),
            severity: None,
            cycle: None,
            payload: serde_json::json!({}),
            dedup_key: new.dedup_key.clone(),
        };
        store.enqueue_events(&mut tx, &[again]).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            store.outbox_after(0, 100).await.unwrap().len(),
            3,
            "{backend}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_is_written_with_the_change_and_is_append_only() {
    for (backend, url, _dir) in backends("audit") {
        let store = Store::open(&url).await.unwrap();

        // An audit entry in a transaction that rolls back is gone with it.
        let mut tx = store.begin_write().await.unwrap();
        let record = AuditRecord {
            at: 1_000,
            actor: "user:alice".into(),
            action: "remediation.approved".into(),
            subject: "proposal:1".into(),
            reason: Some("looks right".into()),
            details: Some(serde_json::json!({"pr": 12})),
        };
        store
            .audit_in(&mut tx, std::slice::from_ref(&record))
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert!(
            store
                .audit(&AuditQuery::default())
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );

        let mut tx = store.begin_write().await.unwrap();
        store.audit_in(&mut tx, &[record]).await.unwrap();
        tx.commit().await.unwrap();
        store
            .record_audit(
                "user:bob",
                "silence.added",
                "silence:1",
                Some("maintenance"),
            )
            .await
            .unwrap();
        let entries = store.audit(&AuditQuery::default()).await.unwrap();
        assert_eq!(entries.len(), 2, "{backend}");
        let alice = entries.iter().find(|e| e.actor == "user:alice").unwrap();
        assert_eq!(
            alice.details,
            Some(serde_json::json!({"pr": 12})),
            "{backend}"
        );
        let since = store
            .audit(&AuditQuery {
                since: Some(1_001),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(since.len(), 1, "{backend}");
        assert_eq!(since[0].actor, "user:bob", "{backend}");

        // The schema refuses to rewrite history.
        for sql in [
            "UPDATE audit_log SET actor = 'mallory'",
            "DELETE FROM audit_log",
        ] {
            let refused = sqlx::query(sql).execute(store.pool()).await;
            assert!(refused.is_err(), "{backend}: {sql} was allowed");
        }
        assert_eq!(store.audit(&AuditQuery::default()).await.unwrap().len(), 2);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_schema_is_refused_and_reopening_keeps_everything() {
    for (backend, url, _dir) in backends("schema") {
        let store = Store::open(&url).await.unwrap();
        assert_eq!(
            store.schema_version().await.unwrap(),
            aiops_state::SCHEMA_VERSION,
            "{backend}"
        );
        let a = finding("probe.readiness", "shop/Deployment/web", Severity::Low);
        run_cycle(&store, 1_000, std::slice::from_ref(&a), &clean()).await;
        store.close().await;

        // Opening again (a restart) migrates nothing and keeps the finding.
        let store = Store::open(&url).await.unwrap();
        assert_eq!(state_of(&store, &a.fingerprint).await.first_seen, 1_000);
        // A newer aiops migrated this store: refuse, never downgrade.
        let future_migration = match store.backend() {
            Backend::Sqlite => {
                "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
                 VALUES (99, 'from the future', CURRENT_TIMESTAMP, TRUE, X'00', 0)"
            }
            Backend::Postgres => {
                "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
                 VALUES (99, 'from the future', now(), TRUE, '\\x00'::bytea, 0)"
            }
        };
        sqlx::query(future_migration)
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
        let err = Store::open(&url)
            .await
            .expect_err("a newer schema is refused");
        assert!(
            matches!(err, StateError::SchemaTooNew { found: 99, .. }),
            "{backend}: {err}"
        );
        let text = err.to_string();
        assert!(text.contains("upgrade aiops"), "{backend}: {text}");
        assert!(!text.contains(postgres::PASSWORD), "{backend}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_name_the_store_without_its_password() {
    let server = postgres::server();
    // A wrong password and an unreachable server: the URL in the error is redacted.
    let wrong = StoreUrl::parse(&server.url("postgres"))
        .unwrap()
        .with_password("not-the-password-s3cret")
        .unwrap();
    let err = Store::open(&wrong)
        .await
        .expect_err("a wrong password fails");
    let text = err.to_string();
    assert!(text.contains("127.0.0.1"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains("***"), "{text}");

    let port = aiops_standins::moto::free_port();
    let down = StoreUrl::parse(&format!("postgres://aiops@127.0.0.1:{port}/x"))
        .unwrap()
        .with_password("down-s3cret")
        .unwrap();
    let err = Store::open(&down).await.expect_err("nothing listens there");
    assert!(matches!(err, StateError::Open { .. }), "{err}");
    assert!(!err.to_string().contains("s3cret"), "{err}");

    // A password in the config is refused; one from a file is used; a missing
    // environment variable is named.
    let inline = StoreUrl::parse(&format!(
        "postgres://aiops:inline@127.0.0.1:{}/postgres",
        server.port
    ));
    assert!(inline.unwrap_err().to_string().contains("password_env"));
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("pg-password");
    std::fs::write(&secret, format!("{}\n", postgres::PASSWORD)).unwrap();
    let config: StateConfig = serde_norway::from_str(&format!(
        "url: {}\npassword_file: {}\n",
        server.fresh_database("file"),
        secret.display()
    ))
    .unwrap();
    let url = config
        .store_url(std::path::Path::new("/nonexistent"))
        .unwrap();
    assert!(!format!("{url:?}").contains(postgres::PASSWORD));
    Store::open(&url).await.unwrap();
    let unset: StateConfig = serde_norway::from_str(&format!(
        "url: {}\npassword_env: AIOPS_TEST_NEVER_SET_PASSWORD\n",
        server.url("postgres")
    ))
    .unwrap();
    let err = unset
        .store_url(std::path::Path::new("/x"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("state.password_env"), "{err}");
    assert!(err.contains("AIOPS_TEST_NEVER_SET_PASSWORD"), "{err}");

    // A corrupt SQLite file: a clear error naming the file.
    let path = dir.path().join("state.db");
    std::fs::write(
        &path,
        b"this is not a database, just text that goes on and on",
    )
    .unwrap();
    let err = Store::open(&StoreUrl::sqlite(&path))
        .await
        .expect_err("corrupt");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_cycle_at_a_time_and_a_dead_holder_releases_the_lock() {
    for (backend, url, _dir) in backends("lock") {
        let store = Store::open(&url).await.unwrap();
        let other = Store::open(&url).await.unwrap();
        let held = store
            .lock_cycles("first (pid 1)", Duration::from_secs(1))
            .await
            .unwrap();
        let err = other
            .lock_cycles("second", Duration::from_millis(300))
            .await
            .expect_err("the second cycle waits, then is refused");
        assert!(matches!(err, StateError::Busy { .. }), "{backend}: {err}");
        assert!(
            err.to_string().contains("another aiops cycle"),
            "{backend}: {err}"
        );
        drop(held);
        other
            .lock_cycles("second", Duration::from_secs(5))
            .await
            .expect("free once the holder is gone");

        // A cycle left running by a dead process is abandoned by the next one, and
        // cannot complete afterwards.
        let dead = store.begin_cycle("killed").await.unwrap();
        assert_eq!(
            store.abandon_unfinished().await.unwrap(),
            vec![dead],
            "{backend}"
        );
        let late = store.reconcile(dead, 1, &[], &clean(), &[]).await;
        assert!(late.is_err(), "{backend}");
        let cycles = store.list_cycles(10).await.unwrap();
        assert_eq!(cycles[0].status.as_str(), "abandoned", "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_prunes_old_resolved_findings_and_says_so() {
    for (backend, url, _dir) in backends("retention") {
        let store = Store::open(&url).await.unwrap();
        let old = finding("probe.readiness", "shop/Deployment/old", Severity::Low);
        let kept = finding("probe.readiness", "shop/Deployment/kept", Severity::Low);
        let day = 86_400_000;
        let now = aiops_state::now_millis();
        run_cycle(
            &store,
            now - 100 * day,
            &[old.clone(), kept.clone()],
            &clean(),
        )
        .await;
        run_cycle(
            &store,
            now - 95 * day,
            std::slice::from_ref(&kept),
            &clean(),
        )
        .await;
        assert_eq!(store.prune(90, "cycle:3").await.unwrap(), 1, "{backend}");
        assert!(
            store.show_finding(&old.fingerprint).await.is_err(),
            "{backend}"
        );
        assert!(
            store.show_finding(&kept.fingerprint).await.is_ok(),
            "{backend}"
        );
        let audit = store.audit(&AuditQuery::default()).await.unwrap();
        assert!(
            audit.iter().any(|e| e.action == "state.pruned"),
            "{backend}"
        );
        assert_eq!(store.prune(90, "cycle:4").await.unwrap(), 0, "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_by_state_severity_rule_and_resource() {
    for (backend, url, _dir) in backends("filters") {
        let store = Store::open(&url).await.unwrap();
        let a = finding("probe.readiness", "shop/Deployment/web", Severity::High);
        let b = finding("limits.memory", "shop/Deployment/web", Severity::Low);
        let c = finding("probe.liveness", "pay/Deployment/api", Severity::Medium);
        run_cycle(&store, 1_000, &[a.clone(), b.clone(), c.clone()], &clean()).await;
        run_cycle(&store, 2_000, &[a.clone(), c.clone()], &clean()).await;
        let list = |filter: FindingFilter| {
            let store = &store;
            async move {
                store
                    .list_findings(&filter)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|f| f.rule)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            list(FindingFilter::default()).await,
            ["probe.readiness", "probe.liveness", "limits.memory"],
            "{backend}: most severe first"
        );
        let open = FindingFilter {
            state: Some("open".into()),
            ..Default::default()
        };
        assert_eq!(list(open).await.len(), 2, "{backend}");
        let resolved = FindingFilter {
            state: Some("resolved".into()),
            ..Default::default()
        };
        assert_eq!(list(resolved).await, ["limits.memory"], "{backend}");
        let probes = FindingFilter {
            rule: Some(glob::Pattern::new("probe.*").unwrap()),
            resource: Some(glob::Pattern::new("shop/*").unwrap()),
            ..Default::default()
        };
        assert_eq!(list(probes).await, ["probe.readiness"], "{backend}");
        let medium = FindingFilter {
            severities: vec![Severity::Medium],
            ..Default::default()
        };
        assert_eq!(list(medium).await, ["probe.liveness"], "{backend}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_holding_the_packing_separator_reconciles_like_any_other() {
    for (backend, url, _dir) in backends("separator") {
        let store = Store::open(&url).await.unwrap();
        let mut odd = finding("probes.readiness", "k8s/Deployment/shop/odd", Severity::Low);
        odd.file = Some("deploy/odd\u{1f}name.yaml".into());
        let plain = finding(
            "probes.readiness",
            "k8s/Deployment/shop/plain",
            Severity::Low,
        );
        let first = run_cycle(&store, 1_000, &[odd.clone(), plain.clone()], &clean()).await;
        assert_eq!(first.summary.total.new, 2, "{backend}");
        let again = run_cycle(&store, 2_000, &[odd.clone(), plain.clone()], &clean()).await;
        assert_eq!(
            (again.summary.total.new, again.summary.total.open),
            (0, 2),
            "{backend}"
        );
        let gone = run_cycle(&store, 3_000, std::slice::from_ref(&plain), &clean()).await;
        assert_eq!(gone.resolved, vec![odd.fingerprint.clone()], "{backend}");
        let stored = state_of(&store, &odd.fingerprint).await;
        assert_eq!(
            stored.file.as_deref(),
            Some("deploy/odd\u{1f}name.yaml"),
            "{backend}"
        );
        store.close().await;
    }
}

fn remediation(group: &str, change: &str) -> aiops_state::Remediation {
    aiops_state::Remediation {
        id: 0,
        group_fingerprint: group.into(),
        group_key: "shop/Deployment/web".into(),
        branch: format!("aiops/{group}"),
        provider: "local".into(),
        state: RemediationState::AwaitingApproval,
        action: "approval".into(),
        policy: vec!["severity medium → approval".into()],
        change_hash: change.into(),
        diff: "--- a/x\n+++ b/x\n".into(),
        files: vec!["x".into()],
        title: "fix web".into(),
        body: "body".into(),
        base_commit: Some("b".into()),
        head_commit: Some("h".into()),
        pr_number: None,
        pr_url: None,
        created_at: 5,
        updated_at: 5,
        cycle: Some(1),
        merged_at: None,
        merged_cycle: None,
        merge_commit: None,
        decided_by: None,
        decision_reason: None,
        note: None,
        findings: vec![aiops_state::RemediationFinding {
            fingerprint: "fp-1".into(),
            rule: "probe.readiness".into(),
            severity: "medium".into(),
        }],
    }
}

fn step(actor: &str, action: &str, event: &str) -> RemediationStep {
    RemediationStep {
        actor: actor.into(),
        action: action.into(),
        reason: Some("why".into()),
        events: vec![OutboxEvent {
            id: 0,
            at: 5,
            kind: event.into(),
            subject: String::new(),
            severity: Some("medium".into()),
            cycle: Some(1),
            payload: serde_json::json!({"n": 1}),
            dedup_key: format!("{event}:{{id}}"),
        }],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn remediations_one_live_per_group_compare_and_set_audited_with_events() {
    for (backend, url, _dir) in backends("remediations") {
        let store = Store::open(&url).await.unwrap();
        let first = remediation("g1", "c1");
        let id = store
            .insert_remediation(
                &first,
                &step("cycle:1", "remediation.proposed", "remediation.proposed"),
            )
            .await
            .unwrap();
        // A second live proposal for the same group is refused by the store itself.
        let again = store
            .insert_remediation(
                &first,
                &step("cycle:2", "remediation.proposed", "remediation.proposed"),
            )
            .await;
        assert!(
            again.is_err(),
            "{backend}: a duplicate live proposal was written"
        );
        let live = store.live_remediation("g1").await.unwrap().expect("live");
        assert_eq!(live.id, id, "{backend}");
        assert_eq!(live.findings, first.findings, "{backend}");
        assert_eq!(live.policy, first.policy, "{backend}");

        // Approve from awaiting_approval: wins once; a second approval from the same
        // read state loses (someone changed it first).
        let mut approved = live.clone();
        approved.state = RemediationState::Approved;
        approved.decided_by = Some("alice".into());
        approved.updated_at = 6;
        let approve = step("user:alice", "remediation.approved", "remediation.approved");
        assert!(
            store
                .update_remediation(&approved, RemediationState::AwaitingApproval, &approve)
                .await
                .unwrap()
        );
        assert!(
            !store
                .update_remediation(&approved, RemediationState::AwaitingApproval, &approve)
                .await
                .unwrap()
        );
        let read = store.remediation(id).await.unwrap();
        assert_eq!(read.state, RemediationState::Approved, "{backend}");
        assert_eq!(read.decided_by.as_deref(), Some("alice"), "{backend}");

        // Once it is no longer live, the group may get a new proposal.
        let mut merged = read.clone();
        merged.state = RemediationState::Merged;
        store
            .update_remediation(
                &merged,
                RemediationState::Approved,
                &step("user:alice", "remediation.merged", "remediation.merged"),
            )
            .await
            .unwrap();
        let second = store
            .insert_remediation(
                &remediation("g1", "c2"),
                &step("cycle:3", "remediation.proposed", "remediation.proposed"),
            )
            .await
            .unwrap();
        assert_ne!(second, id, "{backend}");
        assert_eq!(
            store.group_remediations("g1").await.unwrap().len(),
            2,
            "{backend}"
        );
        let merged_only = store
            .list_remediations(&[RemediationState::Merged])
            .await
            .unwrap();
        assert_eq!(
            merged_only.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![id],
            "{backend}"
        );
        // The counts `/metrics` reads: one merged, one awaiting approval, nothing else.
        assert_eq!(
            store.remediation_counts().await.unwrap(),
            vec![
                (RemediationState::AwaitingApproval, 1),
                (RemediationState::Merged, 1),
            ],
            "{backend}"
        );

        let audit = store
            .audit(&AuditQuery {
                subject: Some(format!("remediation:{id}")),
                ..Default::default()
            })
            .await
            .unwrap();
        let actions: Vec<(&str, &str)> = audit
            .iter()
            .map(|a| (a.actor.as_str(), a.action.as_str()))
            .collect();
        assert_eq!(
            actions,
            vec![
                ("cycle:1", "remediation.proposed"),
                ("user:alice", "remediation.approved"),
                ("user:alice", "remediation.merged"),
            ],
            "{backend}"
        );
        let events = store.outbox_after(0, 100).await.unwrap();
        let kinds: Vec<(&str, &str)> = events
            .iter()
            .map(|e| (e.kind.as_str(), e.subject.as_str()))
            .collect();
        let subject = format!("remediation:{id}");
        assert_eq!(
            &kinds[..3],
            &[
                ("remediation.proposed", subject.as_str()),
                ("remediation.approved", subject.as_str()),
                ("remediation.merged", subject.as_str()),
            ],
            "{backend}"
        );
        assert_eq!(
            events[0].dedup_key,
            format!("remediation.proposed:{id}"),
            "{backend}"
        );
    }
}

fn routed(
    channel: &str,
    group: &str,
    event: &OutboxEvent,
    wait: i64,
    interval: i64,
    repeat: i64,
) -> aiops_state::RoutedEvent {
    aiops_state::RoutedEvent {
        channel: channel.into(),
        route: "routes[0]".into(),
        group_key: group.into(),
        event: event.clone(),
        group_wait_ms: wait,
        group_interval_ms: interval,
        repeat_interval_ms: repeat,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn notifications_group_by_route_move_the_cursor_once_and_keep_failures() {
    for (backend, url, _dir) in backends("notify") {
        let store = Store::open(&url).await.unwrap();
        let many: Vec<ObservedFinding> = (0..5)
            .map(|i| {
                finding(
                    "probe.readiness",
                    &format!("shop/Deployment/web-{i}"),
                    Severity::High,
                )
            })
            .collect();
        run_cycle(&store, 1_000, &many, &clean()).await;
        let events = store.outbox_after(0, 100).await.unwrap();
        assert_eq!(events.len(), 5, "{backend}");
        let last = events.last().unwrap().id;
        assert_eq!(store.notify_cursor().await.unwrap(), 0);

        // One batch: five events, one group → one message, due after the group wait.
        let batch: Vec<_> = events
            .iter()
            .map(|e| routed("mail", "shop", e, 30_000, 300_000, 0))
            .collect();
        assert!(
            store.route_events(0, last, &batch, 10_000).await.unwrap(),
            "{backend}"
        );
        assert_eq!(store.notify_cursor().await.unwrap(), last);
        // A second drainer that read the old cursor writes nothing.
        assert!(
            !store.route_events(0, last, &batch, 10_000).await.unwrap(),
            "{backend}"
        );
        assert!(
            store
                .due_notifications(20_000, 10)
                .await
                .unwrap()
                .is_empty(),
            "still waiting"
        );
        let due = store.due_notifications(40_000, 10).await.unwrap();
        assert_eq!(due.len(), 1, "{backend}");
        assert_eq!(due[0].events.len(), 5, "{backend}");
        assert_eq!(due[0].events[0], events[0], "events kept whole");
        let key = due[0].idempotency_key.clone();

        // A failed attempt keeps the message with its error; then delivered.
        store
            .notification_failed(due[0].id, "HTTP 503", 50_000, false)
            .await
            .unwrap();
        assert!(
            store
                .due_notifications(45_000, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let failing = store.list_notifications(true, 10).await.unwrap();
        assert_eq!(
            failing[0].last_error.as_deref(),
            Some("HTTP 503"),
            "{backend}"
        );
        let again = store.due_notifications(50_000, 10).await.unwrap();
        assert_eq!(
            again[0].idempotency_key, key,
            "the same key on every attempt"
        );
        store.notification_sent(again[0].id, 51_000).await.unwrap();
        assert!(store.list_notifications(true, 10).await.unwrap().is_empty());

        // The group's next message waits for the group interval after the last one;
        // a repeat within the repeat interval is not routed again.
        let next = routed("mail", "shop", &events[0], 30_000, 300_000, 3_600_000);
        assert!(
            store
                .route_events(last, last, std::slice::from_ref(&next), 60_000)
                .await
                .unwrap()
        );
        let pending = store.list_notifications(false, 10).await.unwrap();
        assert_eq!(pending.len(), 2, "{backend}");
        assert_eq!(pending[0].due_at, 40_000 + 300_000, "{backend}");
        assert!(
            store
                .route_events(last, last, &[next], 61_000)
                .await
                .unwrap()
        );
        assert_eq!(
            store.list_notifications(false, 10).await.unwrap()[0]
                .events
                .len(),
            1,
            "a repeat is dropped"
        );

        // Dead after the last attempt: listed, retried on demand (audited).
        let id = pending[0].id;
        store
            .notification_failed(id, "refused", 0, true)
            .await
            .unwrap();
        let dead = store.list_notifications(true, 10).await.unwrap();
        assert_eq!(dead[0].state, aiops_state::DeliveryState::Dead, "{backend}");
        assert!(store.retry_notification(id, "user:ops").await.unwrap());
        assert!(
            !store.retry_notification(id, "user:ops").await.unwrap(),
            "no longer dead"
        );

        // Silences: active until they end or are expired, both audited.
        let m = serde_json::json!({"labels": {"team": "shop"}});
        let sid = store
            .add_silence(&m, "maintenance", "alice", 5_000_000_000_000)
            .await
            .unwrap();
        assert_eq!(
            store.silences(Some(now())).await.unwrap().len(),
            1,
            "{backend}"
        );
        assert!(store.expire_silence(sid, "bob").await.unwrap());
        assert!(
            store.silences(Some(now())).await.unwrap().is_empty(),
            "{backend}"
        );
        let audit = store
            .audit(&AuditQuery {
                subject: Some(format!("silence:{sid}")),
                ..Default::default()
            })
            .await
            .unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["silence.added", "silence.expired"], "{backend}");
    }
}

fn now() -> i64 {
    aiops_state::now_millis()
}

fn assert_fenced<T: std::fmt::Debug>(
    result: Result<T, StateError>,
    token: i64,
    current: i64,
    backend: &str,
) {
    match result {
        Err(StateError::Fenced {
            token: t,
            current: c,
        }) => {
            assert_eq!((t, c), (token, current), "{backend}")
        }
        other => panic!("{backend}: expected Fenced {{ {token}, {current} }}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn leader_only_writes_with_a_stale_token_are_refused_newer_ones_accepted() {
    for (backend, url, _dir) in backends("fence") {
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.fence_token().await.unwrap(), 0, "{backend}");
        store.claim_fence(1).await.unwrap();
        let old = store.fenced(1);
        let kept = old.begin_cycle("old leader").await.unwrap();
        let pending = old
            .insert_remediation(
                &remediation("g1", "c1"),
                &step("aiops", "proposed", "remediation.proposed"),
            )
            .await
            .unwrap();

        // Another replica takes over: the stored token rises, the old one is stale.
        store.claim_fence(2).await.unwrap();
        assert_eq!(store.fence_token().await.unwrap(), 2, "{backend}");
        assert_fenced(old.claim_fence(1).await, 1, 2, backend);
        assert_fenced(old.begin_cycle("old leader").await, 1, 2, backend);
        assert_fenced(
            old.reconcile(
                kept,
                2_000,
                &[finding(
                    "probe.readiness",
                    "shop/Deployment/web",
                    Severity::High,
                )],
                &clean(),
                &[],
            )
            .await,
            1,
            2,
            backend,
        );
        assert_fenced(
            old.insert_remediation(
                &remediation("g2", "c2"),
                &step("aiops", "proposed", "remediation.proposed"),
            )
            .await,
            1,
            2,
            backend,
        );
        let mut proposed = store.remediation(pending).await.unwrap();
        proposed.pr_number = Some(7);
        assert_fenced(
            old.update_remediation(
                &proposed,
                RemediationState::AwaitingApproval,
                &step("aiops", "pr.opened", "remediation.pr"),
            )
            .await,
            1,
            2,
            backend,
        );
        assert_fenced(old.abandon_unfinished().await, 1, 2, backend);
        // Nothing of the refused writes is stored.
        let cycles = store.list_cycles(10).await.unwrap();
        assert_eq!(cycles.len(), 1, "{backend}: {cycles:?}");
        assert_eq!(
            cycles[0].status,
            aiops_state::CycleStatus::Running,
            "{backend}"
        );
        assert!(
            store
                .list_findings(&FindingFilter::default())
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );
        assert_eq!(
            store.remediation(pending).await.unwrap().pr_number,
            None,
            "{backend}"
        );

        // The new leader's token (and a newer one, not claimed yet) write; so does an
        // unfenced handle (one replica, the API's approvals).
        let new = store.fenced(2);
        assert_eq!(
            new.abandon_unfinished().await.unwrap(),
            vec![kept],
            "{backend}"
        );
        let cycle = new.begin_cycle("new leader").await.unwrap();
        new.reconcile(
            cycle,
            3_000,
            &[finding(
                "probe.readiness",
                "shop/Deployment/web",
                Severity::High,
            )],
            &clean(),
            &[],
        )
        .await
        .unwrap();
        assert!(
            new.update_remediation(
                &proposed,
                RemediationState::AwaitingApproval,
                &step("aiops", "pr.opened", "remediation.pr")
            )
            .await
            .unwrap(),
            "{backend}"
        );
        store.fenced(3).begin_cycle("next").await.unwrap();
        store.begin_cycle("single replica").await.unwrap();
        assert_fenced(store.claim_fence(1).await, 1, 2, backend);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn marking_a_notification_sent_with_a_stale_token_is_refused() {
    for (backend, url, _dir) in backends("fence_notify") {
        let store = Store::open(&url).await.unwrap();
        store.claim_fence(4).await.unwrap();
        let leader = store.fenced(4);
        let observed = [finding(
            "probe.readiness",
            "shop/Deployment/web",
            Severity::High,
        )];
        let cycle = leader.begin_cycle("leader").await.unwrap();
        leader
            .reconcile(cycle, 1_000, &observed, &clean(), &[])
            .await
            .unwrap();
        let events = store.outbox_after(0, 10).await.unwrap();
        let last = events.last().unwrap().id;
        let batch: Vec<_> = events
            .iter()
            .map(|e| routed("hook", "shop", e, 0, 0, 0))
            .collect();
        assert!(
            leader.route_events(0, last, &batch, 2_000).await.unwrap(),
            "{backend}"
        );
        let due = store.due_notifications(3_000, 10).await.unwrap();
        assert_eq!(due.len(), 1, "{backend}");

        store.claim_fence(5).await.unwrap();
        assert_fenced(
            leader.notification_sent(due[0].id, 3_000).await,
            4,
            5,
            backend,
        );
        assert_fenced(
            leader.route_events(last, last, &[], 3_000).await,
            4,
            5,
            backend,
        );
        assert_eq!(
            store.due_notifications(3_000, 10).await.unwrap().len(),
            1,
            "{backend}: still due"
        );
        store
            .fenced(5)
            .notification_sent(due[0].id, 3_000)
            .await
            .unwrap();
        assert!(
            store.due_notifications(3_000, 10).await.unwrap().is_empty(),
            "{backend}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_racing_a_takeover_either_commits_before_it_or_is_refused() {
    for (backend, url, _dir) in backends("fence_race") {
        let store = Store::open(&url).await.unwrap();
        store.claim_fence(1).await.unwrap();
        let old = store.fenced(1);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        // The old leader writes as fast as it can, noting when each write began.
        let writer = {
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut results = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Acquire) {
                    let began = std::time::Instant::now();
                    results.push((began, old.begin_cycle("old leader").await));
                }
                results
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        store.claim_fence(2).await.unwrap();
        let claimed = std::time::Instant::now();
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, std::sync::atomic::Ordering::Release);
        let results = writer.await.unwrap();
        let ok: Vec<i64> = results
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok().copied())
            .collect();
        let late: Vec<_> = results
            .iter()
            .filter(|(began, _)| *began > claimed)
            .collect();
        assert!(
            !ok.is_empty() && !late.is_empty(),
            "{backend}: the writes straddle the takeover"
        );
        for (_, result) in &late {
            assert!(
                matches!(
                    result,
                    Err(StateError::Fenced {
                        token: 1,
                        current: 2
                    })
                ),
                "{backend}: a write begun after the takeover: {result:?}"
            );
        }
        // Refused writes left nothing; every accepted one is stored.
        let stored: Vec<i64> = store
            .list_cycles(100_000)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(stored.len(), ok.len(), "{backend}");
        assert!(ok.iter().all(|id| stored.contains(id)), "{backend}");
        // After the first refusal the old leader never wrote again.
        let first_refused = results.iter().position(|(_, r)| r.is_err()).unwrap();
        assert!(
            results[first_refused..].iter().all(|(_, r)| r.is_err()),
            "{backend}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn open_findings_are_counted_by_state_severity_and_rule() {
    for (backend, url, _dir) in backends("finding_counts") {
        let store = Store::open(&url).await.unwrap();
        let web = finding("probe.readiness", "shop/Deployment/web", Severity::Medium);
        let api = finding("probe.readiness", "shop/Deployment/api", Severity::Medium);
        let big = finding("limits.ratio", "shop/Deployment/web", Severity::High);
        let counts = async || -> Vec<(String, String, String, i64)> {
            store
                .finding_counts()
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.state, c.severity, c.rule, c.count))
                .collect()
        };
        let row = |state: &str, severity: &str, rule: &str, n: i64| {
            (state.to_string(), severity.to_string(), rule.to_string(), n)
        };
        run_cycle(&store, 1_000, &[web, api, big.clone()], &clean()).await;
        assert_eq!(
            counts().await,
            [
                row("open", "high", "limits.ratio", 1),
                row("open", "medium", "probe.readiness", 2)
            ],
            "{backend}"
        );
        // The plugin failed: everything open goes stale.
        let mut crashed = clean();
        crashed.plugins_ok.clear();
        crashed
            .plugins_not_ok
            .insert("probes".into(), "trapped".into());
        run_cycle(&store, 2_000, &[], &crashed).await;
        assert_eq!(
            counts().await,
            [
                row("stale", "high", "limits.ratio", 1),
                row("stale", "medium", "probe.readiness", 2)
            ],
            "{backend}"
        );
        // Only `big` reported again: it is fresh, the others resolve (not counted).
        run_cycle(&store, 3_000, std::slice::from_ref(&big), &clean()).await;
        assert_eq!(
            counts().await,
            [row("open", "high", "limits.ratio", 1)],
            "{backend}"
        );
    }
}
