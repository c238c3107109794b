//! Delivery end to end on a real store (SQLite) and real servers on loopback: webhook,
//! Teams and Grafana receivers (exact JSON, golden files), the signature, 429 with
//! `Retry-After` and 5xx then success, a receiver down and back after a restart, dead
//! letters; email through aiosmtpd, plain with AUTH, STARTTLS and implicit TLS.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aiops_notify::config::NotificationsConfig;
use aiops_notify::deliver::Notifier;
use aiops_standins::http_sink::HttpSink;
use aiops_standins::smtp::{SmtpMode, SmtpServer, TestCa};
use aiops_state::{OutboxEvent, Store, StoreUrl};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

async fn store(dir: &Path) -> Store {
    Store::open(&StoreUrl::sqlite(dir.join("state.db")))
        .await
        .unwrap()
}

fn finding_event(i: usize, severity: &str, namespace: &str) -> OutboxEvent {
    OutboxEvent {
        id: 0,
        at: 1_796_600_000_000 + i as i64,
        kind: "finding.new".into(),
        subject: format!("fp{i:04}"),
        severity: Some(severity.into()),
        cycle: Some(7),
        payload: json!({
            "fingerprint": format!("fp{i:04}"),
            "plugin": "k8s-workloads",
            "rule": "k8s.workloads.readiness-probe-missing",
            "resource": {"id": format!("k8s/Deployment/{namespace}/app-{i}"), "kind": "Deployment", "namespace": namespace, "name": format!("app-{i}")},
            "severity": severity,
            "title": "Readiness probe missing",
            "message": "container app has no readiness probe",
            "evidence": [["container", "app"], ["image", "registry.example.com/app:1.2.3"]],
            "labels": {"team": "payments"},
        }),
        dedup_key: format!("finding.new:fp{i:04}:7"),
    }
}

fn remediation_event(id: i64) -> OutboxEvent {
    OutboxEvent {
        id: 0,
        at: 1_796_600_100_000,
        kind: "remediation.proposed".into(),
        subject: format!("remediation:{id}"),
        severity: Some("medium".into()),
        cycle: Some(7),
        payload: json!({
            "title": "Add a readiness probe to shop/cart",
            "branch": "aiops/94b5ba0e73e3",
            "state": "awaiting_approval",
            "action": "approval",
            "pr_url": "https://github.example.test/acme/iac/pull/12",
            "pr_number": 12,
            "group_key": "k8s/Deployment/shop/cart",
            "rules": ["k8s.workloads.readiness-probe-missing"],
        }),
        dedup_key: format!("remediation.proposed:{id}:abc"),
    }
}

async fn enqueue(store: &Store, events: &[OutboxEvent]) {
    let mut tx = store.begin_write().await.unwrap();
    store.enqueue_events(&mut tx, events).await.unwrap();
    tx.commit().await.unwrap();
}

fn config(yaml: &str) -> NotificationsConfig {
    let c: NotificationsConfig = serde_norway::from_str(yaml).unwrap();
    c.validate().unwrap();
    c
}

/// `v` with the volatile idempotency key replaced.
fn normalized(mut text: String, key: &str) -> String {
    text = text.replace(key, "<KEY>");
    text
}

fn assert_golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("AIOPS_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (AIOPS_UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(expected, actual, "{} differs", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_teams_and_grafana_get_the_exact_json_signed_and_keyed() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let sink = HttpSink::start();
    std::fs::write(
        dir.path().join("teams-url"),
        format!("{}/teams/workflow?sig=SECRETSIG", sink.url),
    )
    .unwrap();
    std::fs::write(dir.path().join("hook-secret"), "s3cret-hmac-key").unwrap();
    std::fs::write(dir.path().join("grafana-token"), "glsa_testtoken").unwrap();
    let mut c = config(&format!(
        r#"
console_url: https://aiops.example.test
channels:
  hook: {{type: webhook, url: "{0}/hook", hmac_secret_file: hook-secret}}
  teams: {{type: teams, url_file: teams-url}}
  grafana: {{type: grafana, url: "{0}/grafana", token_file: grafana-token}}
routes:
  - {{channel: hook, continue: true, group_by: [namespace]}}
  - {{channel: teams, continue: true, group_by: [namespace]}}
  - {{channel: grafana, group_by: [namespace]}}
"#,
        sink.url
    ));
    c.resolve_paths(dir.path());
    enqueue(
        &store,
        &[
            finding_event(1, "high", "shop"),
            finding_event(2, "medium", "shop"),
            remediation_event(3),
        ],
    )
    .await;
    let notifier = Notifier::new(&c).unwrap();
    let report = notifier
        .drain(&store, Duration::from_secs(10))
        .await
        .unwrap();
    // Two groups (namespace shop, and the remediation's) on three channels.
    assert_eq!(report.routed, 3);
    assert_eq!(report.sent, 6, "{report:?}");
    assert_eq!(
        report.by_channel.into_iter().collect::<Vec<_>>(),
        [
            (("grafana", "sent"), 2),
            (("teams", "sent"), 2),
            (("webhook", "sent"), 2)
        ]
    );
    let delivered = sink.state().delivered.clone();
    let at = |path: &str| -> Vec<_> {
        delivered
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    };
    let hooks = at("/hook");
    assert_eq!(hooks.len(), 2);
    let shop = hooks
        .iter()
        .find(|h| h.json()["group_key"] == "namespace=shop")
        .unwrap();
    let key = shop.header("idempotency-key").unwrap().to_string();
    assert_eq!(shop.json()["idempotency_key"], key.as_str());
    // The signature is the HMAC-SHA256 of the exact body.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret-hmac-key").unwrap();
    mac.update(&shop.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(
        shop.header("x-aiops-signature-256"),
        Some(expected.as_str())
    );
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap() + "\n";
    assert_golden("webhook.json", &normalized(pretty(&shop.json()), &key));
    let teams = at("/teams/workflow");
    let card = teams
        .iter()
        .find(|t| t.header("idempotency-key") == Some(key.as_str()))
        .or_else(|| {
            teams
                .iter()
                .find(|t| t.json().to_string().contains("2 × new finding"))
        })
        .unwrap();
    let card_key = card.header("idempotency-key").unwrap().to_string();
    assert_golden("teams.json", &normalized(pretty(&card.json()), &card_key));
    let proposal = teams
        .iter()
        .find(|t| t.json().to_string().contains("pull/12"))
        .unwrap()
        .json();
    let actions = &proposal["attachments"][0]["content"]["actions"];
    assert_eq!(
        actions[0]["url"],
        "https://github.example.test/acme/iac/pull/12"
    );
    assert_eq!(
        actions[1]["url"],
        "https://aiops.example.test/remediations/3"
    );
    let grafana = at("/grafana/api/annotations");
    assert_eq!(grafana.len(), 2);
    assert_eq!(
        grafana[0].header("authorization"),
        Some("Bearer glsa_testtoken")
    );
    let g = grafana
        .iter()
        .find(|g| g.json()["tags"].to_string().contains("severity:high"))
        .unwrap();
    let g_key = g.json()["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|t| t.as_str()?.strip_prefix("aiops-key:"))
        .unwrap()
        .to_string();
    assert_golden("grafana.json", &normalized(pretty(&g.json()), &g_key));
    // A second drain sends nothing again.
    let again = notifier
        .drain(&store, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!((again.routed, again.sent), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_and_server_errors_are_retried_with_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let sink = HttpSink::start();
    sink.state().answers.push_back((
        429,
        vec![("retry-after".into(), "1".into())],
        "slow down".into(),
    ));
    sink.state()
        .answers
        .push_back((503, vec![], "unavailable".into()));
    let c = config(&format!(
        "backoff: 200ms\nchannels: {{hook: {{type: webhook, url: '{}/hook'}}}}\nroutes: [{{channel: hook}}]\n",
        sink.url
    ));
    enqueue(&store, &[finding_event(1, "high", "shop")]).await;
    let started = Instant::now();
    let report = Notifier::new(&c)
        .unwrap()
        .drain(&store, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!((report.sent, report.failed), (1, 2), "{report:?}");
    let all = sink.state().all.clone();
    assert_eq!(all.len(), 3);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was waited for"
    );
    let keys: Vec<&str> = all
        .iter()
        .map(|r| r.header("idempotency-key").unwrap())
        .collect();
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "{keys:?}");
    let sent = store.list_notifications(false, 10).await.unwrap();
    assert_eq!(sent[0].attempts, 3);
    assert_eq!(sent[0].last_error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_gets_the_message_after_it_and_aiops_are_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let sink = HttpSink::start();
    let url = sink.url.clone();
    let (port, received) = sink.stop();
    let c = config(&format!(
        "backoff: 100ms\nchannels: {{hook: {{type: webhook, url: '{url}/hook?token=URLSECRET'}}}}\nroutes: [{{channel: hook}}]\n"
    ));
    enqueue(&store, &[finding_event(1, "high", "shop")]).await;
    let report = Notifier::new(&c)
        .unwrap()
        .drain(&store, Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(report.sent, 0);
    assert!(report.failed >= 1);
    let failing = store.list_notifications(true, 10).await.unwrap();
    assert_eq!(failing.len(), 1);
    let error = failing[0].last_error.clone().unwrap();
    assert!(error.starts_with("webhook:"), "{error}");
    assert!(!error.contains("URLSECRET"), "the URL never shows: {error}");
    // aiops restarts (a new notifier on the same store) and the receiver is back.
    let sink = HttpSink::start_on(port, received);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let report = Notifier::new(&c)
        .unwrap()
        .drain(&store, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(sink.state().delivered.len(), 1);
    assert!(store.list_notifications(true, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_failing_every_attempt_is_dead_listed_and_retried_on_demand() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let sink = HttpSink::start();
    for _ in 0..2 {
        sink.state().answers.push_back((500, vec![], "boom".into()));
    }
    let c = config(&format!(
        "backoff: 50ms\nmax_attempts: 2\nchannels: {{hook: {{type: webhook, url: '{}/hook'}}}}\nroutes: [{{channel: hook}}]\n",
        sink.url
    ));
    enqueue(&store, &[finding_event(1, "high", "shop")]).await;
    let notifier = Notifier::new(&c).unwrap();
    let report = notifier
        .drain(&store, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        (report.sent, report.failed, report.dead),
        (0, 1, 1),
        "{report:?}"
    );
    assert_eq!(
        report.by_channel.into_iter().collect::<Vec<_>>(),
        [(("webhook", "dead"), 1), (("webhook", "failed"), 1)]
    );
    let dead = store.list_notifications(true, 10).await.unwrap();
    assert_eq!(dead[0].state, aiops_state::DeliveryState::Dead);
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("webhook: HTTP 500 boom")
    );
    assert!(
        store
            .retry_notification(dead[0].id, "user:ops")
            .await
            .unwrap()
    );
    let report = notifier
        .drain(&store, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(report.sent, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teams_card_stays_under_the_limit_and_keeps_its_links() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path()).await;
    let sink = HttpSink::start();
    std::fs::write(dir.path().join("url"), format!("{}/teams", sink.url)).unwrap();
    let mut c = config(
        "console_url: https://aiops.example.test\nchannels: {teams: {type: teams, url_file: url}}\nroutes: [{channel: teams}]\n",
    );
    c.resolve_paths(dir.path());
    let mut events: Vec<OutboxEvent> = (0..80).map(|i| finding_event(i, "high", "shop")).collect();
    for e in &mut events {
        e.payload["evidence"] = json!([["manifest", "x".repeat(4_000)]]);
    }
    events.push(remediation_event(9));
    enqueue(&store, &events).await;
    Notifier::new(&c)
        .unwrap()
        .drain(&store, Duration::from_secs(5))
        .await
        .unwrap();
    let state = sink.state();
    assert_eq!(state.delivered.len(), 1);
    let body = &state.delivered[0].body;
    assert!(body.len() <= 28 * 1024, "{} bytes", body.len());
    let card: Value = serde_json::from_slice(body).unwrap();
    let text = card.to_string();
    assert!(text.contains("https://github.example.test/acme/iac/pull/12"));
    assert!(text.contains("https://aiops.example.test/remediations/9"));
    assert!(text.contains("more"), "the rest is summed up");
}

/// Header `name` of a raw mail, unfolded.
fn header(mail: &str, name: &str) -> Option<String> {
    let head: Vec<&str> = mail.lines().take_while(|l| !l.is_empty()).collect();
    let start = head
        .iter()
        .position(|l| l.starts_with(&format!("{name}: ")))?;
    let mut value = head[start][name.len() + 2..].to_string();
    for l in &head[start + 1..] {
        if !l.starts_with([' ', '\t']) {
            break;
        }
        value.push(' ');
        value.push_str(l.trim_start());
    }
    Some(value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_plain_with_auth_starttls_and_tls_through_a_real_smtp_server() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new(dir.path());
    std::fs::write(dir.path().join("smtp-user"), "aiops").unwrap();
    std::fs::write(dir.path().join("smtp-pass"), "mail-pass-123").unwrap();
    for (mode, tls, host) in [
        (SmtpMode::Plain, "none", "127.0.0.1"),
        (SmtpMode::Starttls, "starttls", "localhost"),
        (SmtpMode::Tls, "tls", "localhost"),
    ] {
        let store = store(&dir.path().join(tls)).await;
        let server = SmtpServer::start(
            &dir.path().join(format!("{tls}-mail")),
            mode,
            Some(&ca),
            Some(("aiops", "mail-pass-123")),
        );
        let mut c = config(&format!(
            "channels:\n  mail: {{type: email, smtp: {{host: {host}, port: {}, tls: {tls}, username_file: smtp-user, password_file: smtp-pass, ca_file: ca.pem}}, from: 'aiops <aiops@example.com>', to: [sre@example.com], cc: [lead@example.com]}}\nroutes: [{{channel: mail, group_by: [subject]}}]\n",
            server.port
        ));
        c.resolve_paths(dir.path());
        enqueue(&store, &[finding_event(1, "high", "shop")]).await;
        let notifier = Notifier::new(&c).unwrap();
        let report = notifier
            .drain(&store, Duration::from_secs(20))
            .await
            .unwrap();
        assert_eq!(
            report.sent,
            1,
            "{tls}: {report:?} {:?}",
            store.list_notifications(true, 5).await.unwrap()
        );
        // The same finding again later (reopened): the same thread.
        let mut again = finding_event(1, "high", "shop");
        again.kind = "finding.reopened".into();
        again.dedup_key = "finding.reopened:fp0001:8".into();
        enqueue(&store, &[again]).await;
        notifier
            .drain(&store, Duration::from_secs(20))
            .await
            .unwrap();
        let messages = server.messages();
        assert_eq!(messages.len(), 2, "{tls}");
        let (mail, envelope) = &messages[0];
        assert_eq!(envelope["tls"], tls != "none", "{tls}");
        assert_eq!(envelope["login"], "aiops", "{tls}");
        let mut rcpt: Vec<&str> = envelope["rcpt_tos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        rcpt.sort();
        assert_eq!(rcpt, ["lead@example.com", "sre@example.com"]);
        assert_eq!(
            header(mail, "Subject").as_deref(),
            Some("[HIGH] New finding: Readiness probe missing (k8s/Deployment/shop/app-1)")
        );
        let sent = store.list_notifications(false, 10).await.unwrap();
        let first_key = &sent.last().unwrap().idempotency_key;
        assert_eq!(
            header(mail, "Message-ID"),
            Some(format!("<{first_key}@example.com>")),
            "{mail}"
        );
        let thread = header(mail, "References").unwrap();
        assert_eq!(header(mail, "In-Reply-To").as_ref(), Some(&thread));
        assert_eq!(
            header(&messages[1].0, "References").as_ref(),
            Some(&thread),
            "one finding, one thread"
        );
        assert_ne!(
            header(&messages[1].0, "Message-ID"),
            header(mail, "Message-ID")
        );
        assert!(mail.contains("multipart/alternative"), "{mail}");
        assert!(
            mail.contains("text/plain") && mail.contains("text/html"),
            "{mail}"
        );
        assert!(mail.contains("registry.example.com/app:1.2.3"));
    }
}
