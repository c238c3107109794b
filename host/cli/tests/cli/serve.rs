//! `aiops serve` as a real process: the local fixtures and a bare IaC repository, tokens
//! from files; readiness, scheduled and requested cycles, the REST API's success and
//! error cases (401, 403, 400, 404 as problem+json), approving and rejecting through the
//! API (the token's name in the audit log, the merge in the repository), SIGTERM → 0.

use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::remediate::{CART, GitWork, SEARCH, git};
use crate::serving::{Serving, free_port, http, json, wait_for};

const READER: &str = "reader-token-0123456789abcdef";
const ALICE: &str = "alice-token-0123456789abcdef";
const ADMIN: &str = "admin-token-0123456789abcdef";

/// The value of one series in OpenMetrics text (`name{labels}` exactly), if present.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.split(' ').next()?.parse().ok())
}

fn start(work: &GitWork, port: u16) -> Serving {
    let plugins = work.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    // A hostile plugin file: recorded as failed, the host stays ready.
    std::fs::write(plugins.join("broken.wasm"), b"\0asm not really").unwrap();
    Serving(
        work.command(&[
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--plugins",
        ])
        .arg(&plugins)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap(),
    )
}

/// `GET path` (with `token`) answered by a problem: its status and content type
/// asserted; its body.
fn problem(port: u16, path: &str, token: Option<&str>, status: u16) -> String {
    let (got, ctype, body) = http(port, "GET", path, token, None);
    assert_eq!(
        (got, ctype.as_str()),
        (status, "application/problem+json"),
        "GET {path}: {body}"
    );
    body
}

#[test]
fn serve_runs_cycles_and_answers_the_api_with_tokens_and_problems() {
    let work = GitWork::new(
        "api:\n  tokens:\n    - {name: reader, role: read, token_file: reader.token}\n    - {name: alice, role: approve, token_file: alice.token}\n    - {name: ops, role: admin, token_file: admin.token}\nschedule: {interval: 1h, shutdown_grace_seconds: 30}\n",
    );
    for (file, token) in [
        ("reader.token", READER),
        ("alice.token", ALICE),
        ("admin.token", ADMIN),
    ] {
        std::fs::write(work.path().join(file), token).unwrap();
    }
    let port = free_port();
    let mut child = start(&work, port);
    wait_for("readiness", Duration::from_secs(180), || {
        assert!(child.0.try_wait().unwrap().is_none(), "aiops serve exited");
        TcpStream::connect(("127.0.0.1", port)).is_ok()
            && http(port, "GET", "/readyz", None, None).0 == 200
    });
    assert_eq!(http(port, "GET", "/healthz", None, None).0, 200);
    wait_for("the first cycle", Duration::from_secs(180), || {
        let listed = json(port, "/api/v1/remediations", READER);
        let keys: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["group_key"].as_str())
            .collect();
        keys.contains(&CART) && keys.contains(&SEARCH)
    });

    // Errors are problem+json, with the right status.
    problem(port, "/api/v1/findings", None, 401);
    problem(port, "/api/v1/findings", Some("not-a-token-at-all"), 401);
    let body = problem(port, "/api/v1/findings?severity=urgent", Some(READER), 400);
    assert!(body.contains("severity"), "{body}");
    // A cursor no page gave (a control character in it) is a 400 naming `after`.
    let body = problem(port, "/api/v1/findings?after=%00nope", Some(READER), 400);
    assert!(body.contains("after: "), "{body}");
    problem(port, "/api/v1/findings?nope=1", Some(READER), 400);
    problem(port, "/api/v1/nothing-here", Some(READER), 404);
    problem(port, "/api/v1/remediations/99999", Some(READER), 404);

    let high = json(port, "/api/v1/findings?severity=high&limit=5", READER);
    let high = high["findings"].as_array().unwrap();
    assert!(!high.is_empty() && high.len() <= 5);
    assert!(high.iter().all(|f| f["severity"] == "high"));
    let fp = high[0]["fingerprint"].as_str().unwrap();
    let one = json(port, &format!("/api/v1/findings/{fp}"), READER);
    assert_eq!(one["finding"]["fingerprint"], fp);

    let remediations = json(port, "/api/v1/remediations", READER);
    let id_of = |key: &str| {
        remediations
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group_key"] == key)
            .unwrap_or_else(|| panic!("no remediation for {key}"))["id"]
            .as_i64()
            .unwrap()
    };
    let (cart, search) = (id_of(CART), id_of(SEARCH));

    // A read token cannot approve; an approve token can, and the audit names it.
    let approve = format!("/api/v1/remediations/{cart}/approve");
    assert_eq!(http(port, "POST", &approve, Some(READER), None).0, 403);
    let before = git(&work.remote(), &["rev-parse", "main"]);
    let merged = || {
        let (_, _, text) = http(port, "GET", "/metrics", None, None);
        metric(
            &text,
            "aiops_pull_requests_total{provider=\"local\",action=\"merged\"}",
        )
        .unwrap_or(0.0)
    };
    // The first cycle's counts are in once it has finished (its remediation stage
    // lists the proposals before that).
    wait_for(
        "the first cycle's metrics",
        Duration::from_secs(120),
        || {
            let (_, _, text) = http(port, "GET", "/metrics", None, None);
            metric(&text, "aiops_cycles_total{outcome=\"completed\"}").is_some()
        },
    );
    let merged_before = merged();
    let (status, _, body) = http(
        port,
        "POST",
        &approve,
        Some(ALICE),
        Some(r#"{"reason":"reviewed"}"#),
    );
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["outcome"], "merged");
    assert_eq!(
        merged(),
        merged_before + 1.0,
        "the approval's merge is counted"
    );
    let (_, _, text) = http(port, "GET", "/metrics", None, None);
    assert!(
        metric(
            &text,
            "aiops_pull_requests_total{provider=\"local\",action=\"opened\"}"
        )
        .is_some_and(|n| n >= 2.0),
        "the first cycle's proposals are counted:\n{text}"
    );
    assert_ne!(
        git(&work.remote(), &["rev-parse", "main"]),
        before,
        "merged into main"
    );
    let shown = json(port, &format!("/api/v1/remediations/{cart}"), READER);
    assert_eq!(shown["remediation"]["decided_by"], "alice");
    assert!(
        shown["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["actor"] == "user:alice" && h["action"] == "remediation.approved")
    );
    // Approving again: a conflict, not a 500.
    assert_eq!(http(port, "POST", &approve, Some(ALICE), None).0, 409);

    // A rejection needs a reason.
    let reject = format!("/api/v1/remediations/{search}/reject");
    assert_eq!(http(port, "POST", &reject, Some(ALICE), Some("{}")).0, 400);
    assert_eq!(
        http(port, "POST", &reject, Some(ALICE), Some("{not json")).0,
        400
    );
    let (status, _, body) = http(
        port,
        "POST",
        &reject,
        Some(ALICE),
        Some(r#"{"reason":"not now"}"#),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(port, &format!("/api/v1/remediations/{search}"), READER)["remediation"]["state"],
        "rejected"
    );

    // Run a cycle now: admin only.
    let cycles = json(port, "/api/v1/cycles", READER)
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        http(port, "POST", "/api/v1/cycles", Some(ALICE), None).0,
        403
    );
    assert_eq!(
        http(port, "POST", "/api/v1/cycles", Some(ADMIN), None).0,
        202
    );
    wait_for("the requested cycle", Duration::from_secs(120), || {
        json(port, "/api/v1/cycles", READER)
            .as_array()
            .unwrap()
            .len()
            > cycles
    });
    // Pages: every open finding once, in pages of 3, following `next`.
    let everything = json(port, "/api/v1/findings?limit=1000", READER);
    let total = everything["findings"].as_array().unwrap().len();
    assert!(total > 6);
    let mut seen = Vec::new();
    let mut path = "/api/v1/findings?limit=3".to_string();
    loop {
        let page = json(port, &path, READER);
        let items = page["findings"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(
            items
                .iter()
                .map(|f| f["fingerprint"].as_str().unwrap().to_string()),
        );
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/findings?limit=3&after={next}"),
            None => break,
        }
    }
    let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!(
        (seen.len(), unique.len()),
        (total, total),
        "each finding once"
    );
    let shop = json(port, "/api/v1/findings?namespace=shop&limit=1000", READER);
    let shop = shop["findings"].as_array().unwrap();
    assert!(!shop.is_empty() && shop.len() < total);
    assert!(shop.iter().all(|f| f["resource_namespace"] == "shop"));

    // Silences through the API: approve role, audited under the token's name.
    let new = r#"{"matchers":["namespace=batch"],"duration":"2h","comment":"maintenance"}"#;
    assert_eq!(
        http(port, "POST", "/api/v1/silences", Some(READER), Some(new)).0,
        403
    );
    let (status, _, body) = http(port, "POST", "/api/v1/silences", Some(ALICE), Some(new));
    assert_eq!(status, 201, "{body}");
    let sid = serde_json::from_str::<Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        json(port, "/api/v1/silences", READER)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad = r#"{"matchers":["namespace=["],"duration":"2h","comment":"x"}"#;
    assert_eq!(
        http(port, "POST", "/api/v1/silences", Some(ALICE), Some(bad)).0,
        400
    );
    let path = format!("/api/v1/silences/{sid}");
    assert_eq!(http(port, "DELETE", &path, Some(ALICE), None).0, 204);
    assert_eq!(http(port, "DELETE", &path, Some(ALICE), None).0, 404);
    assert!(
        json(port, "/api/v1/silences", READER)
            .as_array()
            .unwrap()
            .is_empty()
    );

    let plugins = json(port, "/api/v1/plugins", READER);
    let plugins = plugins.as_array().unwrap();
    let workloads = plugins
        .iter()
        .find(|p| p["name"] == "k8s-workloads")
        .unwrap();
    assert_eq!(workloads["status"], "loaded");
    assert!(!workloads["rules"].as_array().unwrap().is_empty());
    let broken = plugins
        .iter()
        .find(|p| p["origin"].as_str().unwrap().ends_with("broken.wasm"))
        .unwrap();
    assert_eq!(broken["status"], "failed");
    assert!(!broken["error"].as_str().unwrap().is_empty(), "{broken}");
    // Call statistics: k8s-workloads ran in every cycle so far, without failing.
    assert!(workloads["calls"].as_u64().unwrap() > 0, "{workloads}");
    assert_eq!(
        (&workloads["errors"], &workloads["timeouts"]),
        (&Value::from(0), &Value::from(0)),
        "{workloads}"
    );
    let (mean, max) = (
        workloads["latency"]["mean_ms"].as_f64().unwrap(),
        workloads["latency"]["max_ms"].as_f64().unwrap(),
    );
    assert!(mean > 0.0 && mean <= max, "{workloads}");
    assert_eq!(broken["calls"], 0, "{broken}");
    for path in ["/api/v1/notifications", "/api/v1/silences", "/api/v1/audit"] {
        assert!(json(port, path, READER).is_array(), "{path}");
    }

    // A bad config edit is rejected (the old config keeps serving); a good one is in
    // force from the next cycle.
    let config_path = work.path().join("aiops.yaml");
    let good = std::fs::read_to_string(&config_path).unwrap();
    let cycle_count = || {
        json(port, "/api/v1/cycles", READER)
            .as_array()
            .unwrap()
            .len()
    };
    let run_cycle = || {
        let n = cycle_count();
        assert_eq!(
            http(port, "POST", "/api/v1/cycles", Some(ADMIN), None).0,
            202
        );
        // Listed from its start; its summary comes when it finishes.
        wait_for("a finished cycle", Duration::from_secs(120), || {
            cycle_count() > n && json(port, "/api/v1/cycles", READER)[0]["status"] != "running"
        });
    };
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(&config_path, good.replace("interval: 1h", "interval: soon")).unwrap();
    run_cycle();
    let status = json(port, "/api/v1/config", READER);
    assert_eq!(status["ok"], false, "{status}");
    assert!(
        status["error"]
            .as_str()
            .unwrap()
            .contains("schedule.interval"),
        "{status}"
    );
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(
        &config_path,
        format!("{good}plugins:\n  settings:\n    k8s-workloads: {{enabled: false}}\n"),
    )
    .unwrap();
    run_cycle();
    assert_eq!(json(port, "/api/v1/config", READER)["ok"], true);
    let last = &json(port, "/api/v1/cycles", READER)[0];
    assert!(
        last["summary"]["stale"].as_u64().unwrap() > 0,
        "k8s-workloads is off now: {last}"
    );
    let (code, ..) = http(port, "GET", "/readyz", None, None);
    assert_eq!(code, 200, "still ready");

    // Metrics, OpenMetrics text. The remediation gauges say what the API lists (once
    // the last cycle's remediation stage, which runs after the cycle is recorded, is done).
    let remediation_lines = || -> Vec<String> {
        let mut by_state = std::collections::BTreeMap::<String, usize>::new();
        for r in json(port, "/api/v1/remediations", READER)
            .as_array()
            .unwrap()
        {
            *by_state
                .entry(r["state"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        assert!(by_state.len() >= 2, "{by_state:?}");
        by_state
            .iter()
            .map(|(state, n)| format!("aiops_remediations{{state=\"{state}\"}} {n}"))
            .collect()
    };
    let mut text = String::new();
    wait_for(
        "remediation gauges equal to the API's list",
        Duration::from_secs(60),
        || {
            let lines = remediation_lines();
            let (code, ctype, body) = http(port, "GET", "/metrics", None, None);
            assert_eq!(code, 200);
            assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
            text = body;
            lines.iter().all(|line| text.lines().any(|l| l == line)) && lines == remediation_lines()
        },
    );
    for expected in [
        "aiops_build_info{version=",
        "aiops_cycles_total{outcome=\"completed\"}",
        "aiops_cycle_duration_seconds_bucket",
        "aiops_plugin_loads_total{plugin=\"broken.wasm\",outcome=\"failed\"}",
        "aiops_plugin_loads_total{plugin=\"k8s-workloads\",outcome=\"loaded\"}",
        "aiops_config_reloads_total{outcome=\"rejected\"} 1",
        "aiops_config_reloads_total{outcome=\"ok\"} 1",
        "aiops_resources{source=\"manifests:deploy/k8s/base\"}",
        "# EOF",
    ] {
        assert!(text.contains(expected), "no {expected} in\n{text}");
    }
    // The plugin metrics are the API's numbers (k8s-workloads is off now: they
    // no longer move).
    let workloads = json(port, "/api/v1/plugins", READER)
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "k8s-workloads")
        .unwrap()
        .clone();
    let calls = workloads["calls"].as_f64().unwrap();
    let (_, _, text) = http(port, "GET", "/metrics", None, None);
    let of_workloads = |name: &str, labels: &str| {
        metric(
            &text,
            &format!("{name}{{plugin=\"k8s-workloads\"{labels}}}"),
        )
    };
    assert!(calls > 0.0);
    assert_eq!(
        of_workloads("aiops_plugin_calls_total", ",outcome=\"ok\""),
        Some(calls),
        "{text}"
    );
    for outcome in ["error", "timeout", "memory"] {
        assert_eq!(
            of_workloads(
                "aiops_plugin_calls_total",
                &format!(",outcome=\"{outcome}\"")
            ),
            Some(0.0),
            "{text}"
        );
    }
    assert_eq!(
        of_workloads("aiops_plugin_call_duration_seconds_count", ""),
        Some(calls),
        "{text}"
    );
    assert!(
        metric(
            &text,
            "aiops_notifications_total{channel=\"log\",outcome=\"sent\"}"
        )
        .is_some_and(|n| n > 0.0),
        "notifications counted by channel:\n{text}"
    );
    assert_eq!(
        metric(
            &text,
            "aiops_pull_requests_total{provider=\"local\",action=\"closed\"}"
        ),
        Some(1.0),
        "the rejection closed one proposal:\n{text}"
    );
    assert_eq!(
        metric(
            &text,
            "aiops_plugin_call_duration_seconds_bucket{le=\"+Inf\",plugin=\"k8s-workloads\"}"
        ),
        Some(calls),
        "{text}"
    );
    // Findings by rule: k8s-workloads's (off now) are stale, the others' are not.
    let findings: Vec<(&str, f64)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("aiops_findings{"))
        .filter_map(|l| {
            let (labels, value) = l.split_once("} ")?;
            Some((labels, value.parse().ok()?))
        })
        .collect();
    let stale = |(labels, _): &&(&str, f64)| labels.starts_with("state=\"stale\"");
    let of_workloads = |(labels, _): &&(&str, f64)| labels.contains(",rule=\"k8s.workloads.");
    assert!(
        findings.iter().filter(stale).all(|f| of_workloads(&f))
            && findings.iter().filter(stale).map(|f| f.1).sum::<f64>() > 0.0
            && findings
                .iter()
                .any(|f| !stale(&f) && !of_workloads(&f) && f.1 > 0.0),
        "{findings:?}"
    );

    // SIGTERM: a clean exit.
    let pid = child.0.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0), "{status:?} {:?}", status.signal());
}

#[test]
fn config_check_says_ok_or_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(
        &good,
        "schedule: {interval: 10m}\napi: {listen: '127.0.0.1:9000'}\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "schedule: {interval: 10m}\napi: {listen: nowhere}\n").unwrap();
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_aiops"))
            .args(["config", "check"])
            .arg(file)
            .output()
            .unwrap()
    };
    let ok = run(&good);
    assert_eq!(ok.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("ok"));
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml") && err.contains("api.listen"),
        "{err}"
    );
}

#[test]
fn serve_watch_runs_a_cycle_when_a_manifest_changes() {
    let work = GitWork::new(
        "api:\n  tokens: [{name: reader, role: read, token_file: reader.token}]\nschedule: {interval: 1h}\n",
    );
    std::fs::write(work.path().join("reader.token"), READER).unwrap();
    let port = free_port();
    let mut child = Serving(
        work.command(&["serve", "--watch", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let cycles = || -> Vec<Value> {
        if TcpStream::connect(("127.0.0.1", port)).is_err() {
            return Vec::new();
        }
        let (status, _, body) = http(port, "GET", "/api/v1/cycles", Some(READER), None);
        if status != 200 {
            return Vec::new();
        }
        serde_json::from_str::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    wait_for("the first cycle", Duration::from_secs(180), || {
        assert!(child.0.try_wait().unwrap().is_none(), "aiops serve exited");
        cycles().first().is_some_and(|c| c["status"] == "completed")
    });
    // Reading the manifests is not a change: the host stays idle (an hourly schedule).
    std::thread::sleep(Duration::from_secs(2));
    let before = cycles().len();
    assert_eq!(before, 1, "cycles without a change: {:?}", cycles());
    // Pin search's image: its mutable-tag findings resolve.
    let manifest = work.path().join("deploy/k8s/base/search.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("search:latest", "search:2.4.1")).unwrap();
    let started = Instant::now();
    let resolved_after = || -> u64 {
        let all = cycles();
        let n = all.len();
        all.into_iter()
            .take(n.saturating_sub(before))
            .filter(|c| c["status"] == "completed")
            .map(|c| c["summary"]["resolved"].as_u64().unwrap())
            .sum()
    };
    wait_for(
        "a cycle resolving the pinned image's findings",
        Duration::from_secs(60),
        || resolved_after() > 0,
    );
    eprintln!("a manifest change to its cycle: {:?}", started.elapsed());
    // One change, one burst, one cycle: the host goes quiet again.
    std::thread::sleep(Duration::from_secs(2));
    let settled = cycles().len();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        cycles().len(),
        settled,
        "cycles kept running after one change"
    );
    assert!(
        settled - before <= 2,
        "{} cycles for one change",
        settled - before
    );
    // An editor that saves by writing a new file and renaming it over the config: seen
    // every time, not only the first (the config's directory is watched, not its inode).
    let config = work.path().join("aiops.yaml");
    let good = std::fs::read_to_string(&config).unwrap();
    for (round, text) in [
        format!("{good}plugins:\n  settings:\n    k8s-workloads: {{enabled: false}}\n"),
        good.clone(),
    ]
    .into_iter()
    .enumerate()
    {
        let n = cycles().len();
        let saved = work.path().join(format!(".aiops.yaml.swp{round}"));
        std::fs::write(&saved, text).unwrap();
        std::fs::rename(&saved, &config).unwrap();
        wait_for(
            &format!("a cycle after save {round} of the config"),
            Duration::from_secs(60),
            || {
                let all = cycles();
                all.len() > n && all[0]["status"] == "completed"
            },
        );
    }
}

#[test]
fn serve_keeps_delivering_notifications_between_cycles() {
    let sink = aiops_standins::http_sink::HttpSink::start();
    sink.state()
        .answers
        .push_back((503, vec![], "down for a moment".into()));
    let work = GitWork::new(&format!(
        "api:\n  tokens: [{{name: reader, role: read, token_file: reader.token}}]\nschedule: {{interval: 1h}}\n\
         notifications:\n  drain_timeout_seconds: 0\n  backoff: 100ms\n  channels: {{hook: {{type: webhook, url: '{}/hook'}}}}\n  routes: [{{channel: hook}}]\n",
        sink.url
    ));
    std::fs::write(work.path().join("reader.token"), READER).unwrap();
    let port = free_port();
    let mut child = Serving(
        work.command(&["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The cycle's own drain has no time (drain_timeout_seconds: 0); the host's
    // background drain sends the message, after the receiver's 503, with no new cycle.
    wait_for("a delivery", Duration::from_secs(90), || {
        assert!(child.0.try_wait().unwrap().is_none(), "aiops serve exited");
        !sink.state().delivered.is_empty()
    });
    let state = sink.state();
    assert!(state.all.len() >= 2, "the 503, then the delivery");
    assert_eq!(
        state.all[0].header("idempotency-key"),
        state.delivered[0].header("idempotency-key"),
        "the refused message is the one delivered, under its key"
    );
    drop(state);
    let cycles = json(port, "/api/v1/cycles", READER);
    assert_eq!(
        cycles.as_array().unwrap().len(),
        1,
        "no second cycle was needed"
    );
}

/// The operations the API serves, as `(method, path)`: the OpenAPI document must
/// describe exactly these.
const OPERATIONS: &[(&str, &str)] = &[
    ("get", "/api/v1/findings"),
    ("get", "/api/v1/findings/{fingerprint}"),
    ("get", "/api/v1/cycles"),
    ("post", "/api/v1/cycles"),
    ("get", "/api/v1/remediations"),
    ("get", "/api/v1/remediations/{id}"),
    ("post", "/api/v1/remediations/{id}/approve"),
    ("post", "/api/v1/remediations/{id}/reject"),
    ("get", "/api/v1/notifications"),
    ("get", "/api/v1/silences"),
    ("post", "/api/v1/silences"),
    ("delete", "/api/v1/silences/{id}"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/plugins"),
    ("get", "/api/v1/config"),
];

#[test]
fn serve_describes_its_api_in_openapi_and_schemathesis_finds_no_fault() {
    let work = GitWork::new(
        "api:\n  tokens:\n    - {name: reader, role: read, token_file: reader.token}\n    - {name: ops, role: admin, token_file: admin.token}\nschedule: {interval: 1h, shutdown_grace_seconds: 30}\n",
    );
    for (file, token) in [("reader.token", READER), ("admin.token", ADMIN)] {
        std::fs::write(work.path().join(file), token).unwrap();
    }
    // Installed before the host starts (the first run makes its venv).
    let schemathesis = aiops_standins::schemathesis::exe();
    let port = free_port();
    let mut child = start(&work, port);
    wait_for("readiness", Duration::from_secs(180), || {
        assert!(child.0.try_wait().unwrap().is_none(), "aiops serve exited");
        TcpStream::connect(("127.0.0.1", port)).is_ok()
            && http(port, "GET", "/readyz", None, None).0 == 200
    });
    wait_for("the first cycle", Duration::from_secs(180), || {
        !json(port, "/api/v1/remediations", READER)
            .as_array()
            .unwrap()
            .is_empty()
    });

    let (status, ctype, body) = http(port, "GET", "/api/v1/openapi.json", None, None);
    assert_eq!(
        (status, ctype.as_str()),
        (200, "application/json"),
        "{body}"
    );
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    let mut described: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    described.sort();
    let mut served: Vec<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    served.sort();
    assert_eq!(described, served);
    for (method, path) in OPERATIONS {
        let op = &doc["paths"][path][method];
        // Every error is described as problem+json.
        for status in ["400", "401", "404", "503"] {
            assert!(
                op["responses"][status]["content"]["application/problem+json"].is_object(),
                "{method} {path}: {status} not described as problem+json"
            );
        }
        // And every documented operation is really routed (a path that is not answers
        // 404 "no such endpoint", a method that is not 405).
        let concrete = path.replace("{fingerprint}", "nope").replace("{id}", "0");
        let (status, _, body) = http(port, &method.to_uppercase(), &concrete, None, None);
        assert!(
            status != 405 && !body.contains("no such endpoint"),
            "{method} {path}: {status} {body}"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    // schemathesis: generated requests from the document, valid and invalid; no server
    // errors, every response as the document says (status, content type, schema).
    // A glob's syntax (`rule`, `resource`, `source`, `namespace`) is more than a JSON
    // Schema says: a schema-valid `resource=x[` is a malformed glob, refused with a 400
    // naming the parameter, as the document describes; elsewhere a schema-valid
    // request must be taken. No example database: the seed alone decides the run.
    let settings = work.path().join("schemathesis.toml");
    std::fs::write(
        &settings,
        "[[operations]]\ninclude-name = \"GET /api/v1/findings\"\n\
         checks.positive_data_acceptance.expected-statuses = [200, 400, 401, 403, 404, 409, 429]\n",
    )
    .unwrap();
    let out = std::process::Command::new(schemathesis)
        .arg("--config-file")
        .arg(&settings)
        .args([
            "run",
            "--generation-database",
            "none",
            &format!("http://127.0.0.1:{port}/api/v1/openapi.json"),
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--header",
            &format!("Authorization: Bearer {ADMIN}"),
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "30",
            "--seed",
            "7",
            "--workers",
            "1",
            "--no-color",
        ])
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "schemathesis found faults:\n{report}");
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "aiops serve died under schemathesis"
    );
}

/// The README's first command, as written, on a fresh data directory: it prints the
/// console's URL and a generated admin token, makes the local IaC repository under the
/// data directory from `local-dev/iac-repo`, and its first cycle proposes remediations
/// that the token can read (the console's login page answers too).
#[test]
fn serve_readme_first_command_runs_the_embedded_default() {
    use std::io::BufRead as _;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let first = readme
        .lines()
        .find(|l| l.starts_with("cargo run -p aiops -- "))
        .expect("a first command in the README");
    let args: Vec<&str> = first
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .skip(5)
        .collect();
    assert_eq!(
        args,
        ["serve", "--config", "config/config.local.yaml"],
        "{first}"
    );
    let data = tempfile::tempdir().unwrap();
    // Port 0 instead of 8080: tests run side by side.
    let mut child = Serving(
        std::process::Command::new(env!("CARGO_BIN_EXE_aiops"))
            .args(&args)
            .args(["--listen", "127.0.0.1:0"])
            .current_dir(&root)
            .env("AIOPS_DATA_DIR", data.path())
            .env("AIOPS_CACHE_DIR", data.path().join("cache"))
            .env_remove("AIOPS_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = std::io::BufReader::new(child.0.stdout.take().unwrap()).lines();
    let console = lines.next().unwrap().unwrap();
    let url = console
        .split_whitespace()
        .find(|w| w.starts_with("http://") && w.ends_with('/'))
        .unwrap_or_else(|| panic!("no console URL in {console:?}"));
    let port: u16 = url
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let token_line = lines.next().unwrap().unwrap();
    let token = token_line.rsplit(' ').next().unwrap().to_string();
    assert!(
        token.starts_with("aiops_") && token.len() > 30,
        "{token_line}"
    );
    std::thread::spawn(move || for _ in lines {});
    // The local IaC repository is made on start, before the host is ready.
    wait_for("ready", Duration::from_secs(180), || {
        assert!(child.0.try_wait().unwrap().is_none(), "aiops serve exited");
        http(port, "GET", "/readyz", None, None).0 == 200
    });
    let remote = data.path().join("iac-remote.git");
    assert_eq!(git(&remote, &["rev-parse", "--is-bare-repository"]), "true");
    wait_for("remediations", Duration::from_secs(180), || {
        assert!(child.0.try_wait().unwrap().is_none(), "aiops serve exited");
        let (code, _, body) = http(port, "GET", "/api/v1/remediations", Some(&token), None);
        code == 200
            && serde_json::from_str::<Value>(&body)
                .unwrap()
                .as_array()
                .is_some_and(|a| !a.is_empty())
    });
    let (code, _, body) = http(port, "GET", "/login", None, None);
    assert_eq!(code, 200);
    assert!(body.contains("<form"), "{body}");
    assert_eq!(http(port, "GET", "/api/v1/findings", None, None).0, 401);
}

/// `schedule.sources`: a source on its own short interval is collected by cycles of its
/// own, while the other source's findings stay as they are (open, not stale); running
/// a cycle now collects both.
#[test]
fn serve_collects_each_source_on_its_own_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let manifests = aiops_standins::repo_root().join("local-dev/manifests");
    for (name, file) in [("fast", "20-cart.yaml"), ("slow", "40-log-shipper.yaml")] {
        std::fs::create_dir_all(dir.path().join(name)).unwrap();
        std::fs::copy(manifests.join(file), dir.path().join(name).join(file)).unwrap();
    }
    std::fs::write(dir.path().join("reader.token"), READER).unwrap();
    std::fs::write(dir.path().join("admin.token"), ADMIN).unwrap();
    std::fs::write(
        dir.path().join("aiops.yaml"),
        "sources: ['manifests:fast', 'manifests:slow']\ndata_dir: data\n\
         api:\n  tokens:\n    - {name: reader, role: read, token_file: reader.token}\n    - {name: ops, role: admin, token_file: admin.token}\n\
         schedule:\n  interval: 1h\n  sources: {'manifests:fast': 1s}\n",
    )
    .unwrap();
    let port = free_port();
    let mut child = Serving(
        std::process::Command::new(env!("CARGO_BIN_EXE_aiops"))
            .arg("--config")
            .arg(dir.path().join("aiops.yaml"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("AIOPS_CACHE_DIR", dir.path().join("cache"))
            .env_remove("AIOPS_DATA_DIR")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let cycles = || {
        let (code, _, body) = http(port, "GET", "/api/v1/cycles", Some(READER), None);
        if code != 200 {
            return Vec::new();
        }
        let listed: Value = serde_json::from_str(&body).unwrap();
        listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "completed")
            .map(|c| {
                c["sources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["source"].as_str().unwrap().to_string())
                    .collect::<Vec<String>>()
            })
            .collect::<Vec<_>>()
    };
    wait_for("three cycles", Duration::from_secs(180), || {
        assert!(child.0.try_wait().unwrap().is_none(), "aiops serve exited");
        TcpStream::connect(("127.0.0.1", port)).is_ok() && cycles().len() >= 3
    });
    let listed = cycles();
    let first = listed.last().unwrap();
    assert_eq!(
        first,
        &["manifests:fast", "manifests:slow"],
        "the first cycle reads all"
    );
    for later in &listed[..listed.len() - 1] {
        assert_eq!(later, &["manifests:fast"], "{listed:?}");
    }
    let slow = json(
        port,
        "/api/v1/findings?source=manifests:slow&limit=1000",
        READER,
    );
    assert!(!slow["findings"].as_array().unwrap().is_empty(), "{slow}");
    let stale = json(port, "/api/v1/findings?state=stale&limit=1000", READER);
    assert!(stale["findings"].as_array().unwrap().is_empty(), "{stale}");

    let before = cycles().len();
    assert_eq!(
        http(port, "POST", "/api/v1/cycles", Some(ADMIN), None).0,
        202
    );
    wait_for("a cycle of both sources", Duration::from_secs(60), || {
        let listed = cycles();
        listed.len() > before && listed[..listed.len() - before].iter().any(|c| c.len() == 2)
    });
}

/// Pages of findings are kept between requests (`api.findings_cache_mib`), and a change
/// another process commits to the store is in the very next answer: here `aiops cycle`,
/// run beside `aiops serve` on the same SQLite file with a severity override, turns
/// the findings of `k8s.resources.cpu-limit-missing` high; serve runs no cycle of its
/// own meanwhile (interval 1h, no watch).
#[test]
fn serve_answers_findings_with_what_another_process_just_wrote() {
    let work = GitWork::new(
        "api:\n  tokens:\n    - {name: reader, role: read, token_file: reader.token}\nschedule: {interval: 1h, shutdown_grace_seconds: 30}\n",
    );
    std::fs::write(work.path().join("reader.token"), READER).unwrap();
    let port = free_port();
    let mut child = start(&work, port);
    let rule = "k8s.resources.cpu-limit-missing";
    let page = format!("/api/v1/findings?rule={rule}&limit=50");
    let severities = || -> Vec<String> {
        let (status, _, body) = http(port, "GET", &page, Some(READER), None);
        assert_eq!(status, 200, "{body}");
        let page: Value = serde_json::from_str(&body).unwrap();
        page["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["severity"].as_str().unwrap().to_string())
            .collect()
    };
    wait_for("the first cycle", Duration::from_secs(180), || {
        assert!(child.0.try_wait().unwrap().is_none(), "aiops serve exited");
        TcpStream::connect(("127.0.0.1", port)).is_ok()
            && json(port, "/api/v1/cycles", READER)
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["status"] == "completed")
    });
    let before = severities();
    assert!(
        !before.is_empty() && before.iter().all(|s| s != "high"),
        "{before:?}"
    );
    assert_eq!(severities(), before, "the kept page, asked again");

    let config = std::fs::read_to_string(work.path().join("aiops.yaml")).unwrap();
    let strict = work.path().join("strict.yaml");
    std::fs::write(
        &strict,
        format!(
            "{config}plugins:\n  settings:\n    k8s-resources:\n      severity: {{{rule}: high}}\n"
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aiops"))
        .arg("--config")
        .arg(&strict)
        // serve may still hold the cycle lock for its first cycle's last stages.
        .args(["cycle", "--format", "json", "--wait", "120"])
        .current_dir(work.path().join("deploy"))
        .env("AIOPS_CACHE_DIR", crate::remediate::cache())
        .env_remove("AIOPS_DATA_DIR")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = severities();
    assert_eq!(after.len(), before.len(), "{after:?}");
    assert!(after.iter().all(|s| s == "high"), "{after:?}");
}
