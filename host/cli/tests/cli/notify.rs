//! `aiops cycle` sending notifications, end to end: the real binary, the local fixtures,
//! a webhook receiver on loopback. One message for a cycle's many findings in a group,
//! silences, dead letters listed, and SIGKILL between routing and sending and between a
//! send and its record: every event delivered, each message under one idempotency key.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aiops_standins::http_sink::HttpSink;
use serde_json::Value;

struct Work {
    dir: tempfile::TempDir,
}

fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("notify-cli-cache")
}

impl Work {
    fn new(notifications: &str) -> Work {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m");
        std::fs::create_dir(&m).unwrap();
        for entry in
            std::fs::read_dir(aiops_standins::repo_root().join("local-dev/manifests")).unwrap()
        {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml" || e == "json") {
                std::fs::copy(&path, m.join(path.file_name().unwrap())).unwrap();
            }
        }
        std::fs::write(
            dir.path().join("aiops.yaml"),
            format!("sources: ['manifests:m']\ndata_dir: data\nnotifications:\n{notifications}"),
        )
        .unwrap();
        Work { dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_aiops"));
        c.arg("--config")
            .arg(self.dir.path().join("aiops.yaml"))
            .args(args)
            .env("AIOPS_CACHE_DIR", cache())
            .env_remove("AIOPS_DATA_DIR")
            .env_remove("AIOPS_CRASH_AT")
            .env_remove("RUST_LOG");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn cycle(&self) -> Value {
        let out = self.run(&["cycle", "--format", "json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let out = self.run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn hook(sink: &HttpSink, group_by: &str) -> String {
    format!(
        "  backoff: 100ms\n  channels: {{hook: {{type: webhook, url: '{}/hook'}}}}\n  routes: [{{channel: hook, group_by: [{group_by}]}}]\n",
        sink.url
    )
}

/// Delivered bodies: idempotency key → the event ids it carried (every delivery).
fn deliveries(sink: &HttpSink) -> Vec<(String, Vec<i64>)> {
    sink.state()
        .delivered
        .iter()
        .map(|r| {
            let body = r.json();
            (
                r.header("idempotency-key").unwrap().to_string(),
                body["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["id"].as_i64().unwrap())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn a_cycle_s_findings_in_one_group_make_one_message_and_silences_hold_them_back() {
    let sink = HttpSink::start();
    let work = Work::new(&hook(&sink, "namespace"));
    let summary = work.cycle();
    let new = summary["new"].as_u64().unwrap() as usize;
    assert!(new > 10);
    assert_eq!(
        summary["notifications"]["routed"].as_u64().unwrap() as usize,
        new
    );
    let got = deliveries(&sink);
    let namespaces: BTreeSet<String> = sink
        .state()
        .delivered
        .iter()
        .map(|r| r.json()["group_key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        got.len(),
        namespaces.len(),
        "one message per namespace: {namespaces:?}"
    );
    assert_eq!(got.iter().map(|(_, e)| e.len()).sum::<usize>(), new);
    assert_eq!(
        summary["notifications"]["sent"].as_u64().unwrap() as usize,
        got.len()
    );

    // A silence on one namespace: its events are held back, the others still go.
    let out = work.run(&[
        "silence",
        "add",
        "--match",
        "namespace=shop",
        "--duration",
        "2h",
        "--by",
        "alice",
        "--comment",
        "maintenance window",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let silences = work.json(&["silence", "list"]);
    assert_eq!(silences.as_array().unwrap().len(), 1);
    // Resources go away in batch and in shop: their findings resolve in both.
    let m = work.dir.path().join("m");
    std::fs::remove_file(m.join("60-batch-list.json")).unwrap();
    std::fs::remove_file(m.join("70-debug-pod.yaml")).unwrap();
    let before = sink.state().delivered.len();
    let second = work.cycle();
    assert!(second["resolved"].as_u64().unwrap() > 0, "{second}");
    assert!(
        second["notifications"]["silenced"].as_u64().unwrap() > 0,
        "{second}"
    );
    let later: Vec<Value> = sink.state().delivered[before..]
        .iter()
        .map(|r| r.json())
        .collect();
    assert!(!later.is_empty());
    for body in &later {
        assert_ne!(
            body["group_key"], "namespace=shop",
            "a silenced namespace was sent"
        );
    }
    let audit = work.json(&["audit", "--subject", "silence:1"]);
    assert_eq!(audit.as_array().unwrap()[0]["action"], "silence.added");
}

#[test]
fn a_dead_letter_is_listed_and_the_cycle_says_so() {
    let sink = HttpSink::start();
    for _ in 0..3 {
        sink.state().answers.push_back((500, vec![], "down".into()));
    }
    let work = Work::new(&(hook(&sink, "") + "  max_attempts: 2\n"));
    let out = work.run(&["cycle", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a dead message is an incomplete cycle"
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["notifications"]["dead"], 1);
    let failed = work.json(&["notifications", "list", "--failed"]);
    assert_eq!(failed[0]["state"], "dead");
    assert_eq!(failed[0]["last_error"], "webhook: HTTP 500 down");
    let table = String::from_utf8_lossy(&work.run(&["notifications", "list", "--failed"]).stdout)
        .to_string();
    assert!(
        table.contains("dead") && table.contains("last error: webhook: HTTP 500 down"),
        "{table}"
    );
    let id = failed[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(
        work.run(&["notifications", "retry", &id, "--by", "ops"])
            .status
            .code(),
        Some(0)
    );
    let out = work.run(&["notifications", "send"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sink.state().delivered.len(), 1);
}

#[test]
fn killed_between_routing_and_sending_or_after_a_send_every_event_arrives_under_one_key() {
    for point in ["notify.routed", "notify.sent"] {
        let sink = HttpSink::start();
        let work = Work::new(&hook(&sink, "namespace"));
        let out = work
            .command(&["cycle"])
            .env("AIOPS_CRASH_AT", point)
            .output()
            .unwrap();
        assert_eq!(
            out.status.signal(),
            Some(9),
            "{point}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The next run (a cycle, or `notifications send`) delivers what is owed.
        let out = work.run(&["notifications", "send"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{point}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let outbox: BTreeSet<i64> = work
            .json(&["notifications", "list", "--limit", "1000"])
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| {
                n["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["id"].as_i64().unwrap())
            })
            .collect();
        let mut by_key: BTreeMap<String, Vec<Vec<i64>>> = BTreeMap::new();
        for (key, events) in deliveries(&sink) {
            by_key.entry(key).or_default().push(events);
        }
        let delivered: BTreeSet<i64> = by_key.values().flatten().flatten().copied().collect();
        assert_eq!(
            delivered, outbox,
            "{point}: every routed event is delivered"
        );
        for (key, copies) in &by_key {
            assert!(
                copies.windows(2).all(|w| w[0] == w[1]),
                "{point}: {key} carried different events"
            );
        }
        let sends: usize = by_key.values().map(Vec::len).sum();
        match point {
            "notify.routed" => assert_eq!(sends, by_key.len(), "nothing sent twice"),
            _ => assert_eq!(
                sends,
                by_key.len() + 1,
                "the one killed after its send is sent again, same key"
            ),
        }
        let pending = work.json(&["notifications", "list", "--failed"]);
        assert!(pending.as_array().unwrap().is_empty());
    }
}

#[test]
fn a_source_failing_three_cycles_in_a_row_is_one_event() {
    let sink = HttpSink::start();
    let work = Work::new(&hook(&sink, "event"));
    let config = work.dir.path().join("aiops.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "sources: ['manifests:m']",
            "sources: ['manifests:m', 'snapshot:gone.json']",
        ),
    )
    .unwrap();
    let failing = || -> Vec<Value> {
        sink.state()
            .delivered
            .iter()
            .flat_map(|r| r.json()["events"].as_array().unwrap().clone())
            .filter(|e| e["kind"] == "source.failing")
            .collect()
    };
    for cycle in 1..=4 {
        let out = work.run(&["cycle", "--format", "json"]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "a failing source: cycle {cycle}"
        );
        let expected = if cycle < 3 { 0 } else { 1 };
        assert_eq!(failing().len(), expected, "after cycle {cycle}");
    }
    let event = &failing()[0];
    assert_eq!(event["subject"], "source:snapshot:gone.json");
    assert_eq!(event["payload"]["cycles"].as_array().unwrap().len(), 3);
    assert!(
        event["payload"]["reason"]
            .as_str()
            .unwrap()
            .contains("gone.json"),
        "{event}"
    );
}
