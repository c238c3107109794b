//! `aiops cycle` and the commands reading the state store, end to end on the real
//! binary: the finding lifecycle over edited manifests, the coverage rule, store errors,
//! two cycles at once, and SIGKILL at several points of a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A working directory with a copy of the local-dev manifests in `m/`, a config
/// `aiops.yaml` listing it as the cycle's source, and the data directory `data/`.
struct Workdir {
    dir: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Workdir {
    fn new(extra_config: &str) -> Workdir {
        let dir = tempfile::tempdir().unwrap();
        let manifests = dir.path().join("m");
        std::fs::create_dir(&manifests).unwrap();
        for entry in
            std::fs::read_dir(aiops_standins::repo_root().join("local-dev/manifests")).unwrap()
        {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml" || e == "json") {
                std::fs::copy(&path, manifests.join(path.file_name().unwrap())).unwrap();
            }
        }
        let work = Workdir {
            dir,
            cache: tempfile::tempdir().unwrap(),
        };
        work.write_config(extra_config);
        work
    }

    fn write_config(&self, extra: &str) {
        std::fs::write(
            self.path().join("aiops.yaml"),
            format!("sources: ['manifests:m']\ndata_dir: data\n{extra}"),
        )
        .unwrap();
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_aiops"));
        command
            .arg("--config")
            .arg(self.path().join("aiops.yaml"))
            .args(args)
            // Not the config's directory: paths in it must not depend on where aiops runs.
            .current_dir(self.cache.path())
            .env("AIOPS_CACHE_DIR", self.cache.path())
            .env_remove("AIOPS_DATA_DIR")
            .env_remove("RUST_LOG");
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs `aiops cycle --format json`, expecting exit `code`; returns the summary.
    fn cycle(&self, code: i32) -> Value {
        let out = self.run(&["cycle", "--format", "json"]);
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Runs a reading command with `--format json`.
    fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let out = self.run(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn findings(&self, state: &str) -> Vec<Value> {
        self.json(&["findings", "list", "--state", state])
            .as_array()
            .unwrap()
            .clone()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn counts(summary: &Value) -> [u64; 5] {
    ["new", "open", "resolved", "reopened", "stale"].map(|k| summary[k].as_u64().unwrap())
}

fn fingerprints_of_file(findings: &[Value], file: &str) -> BTreeSet<String> {
    findings
        .iter()
        .filter(|f| f["file"].as_str().unwrap().ends_with(file))
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

/// The state of each finding as the audit log tells it, replayed in order.
fn replay_audit(work: &Workdir) -> BTreeMap<String, &'static str> {
    let mut states = BTreeMap::new();
    for entry in work.json(&["audit"]).as_array().unwrap() {
        let subject = entry["subject"].as_str().unwrap().to_string();
        match entry["action"].as_str().unwrap() {
            "finding.opened" | "finding.reopened" => {
                states.insert(subject, "open");
            }
            "finding.resolved" => {
                states.insert(subject, "resolved");
            }
            _ => {}
        }
    }
    states
}

/// The findings table agrees with the audit log, and no cycle is left running (after a
/// cycle that finished; a killed one stays `running` until the next marks it abandoned).
fn assert_store_consistent(work: &Workdir) {
    assert_audit_matches_findings(work);
    for cycle in work
        .json(&["cycles", "list", "--limit", "1000"])
        .as_array()
        .unwrap()
    {
        assert_ne!(cycle["status"], "running", "{cycle}");
    }
}

fn assert_audit_matches_findings(work: &Workdir) {
    let table: BTreeMap<String, &'static str> = work
        .findings("all")
        .iter()
        .map(|f| {
            let state = if f["state"] == "open" {
                "open"
            } else {
                "resolved"
            };
            (f["fingerprint"].as_str().unwrap().to_string(), state)
        })
        .collect();
    assert_eq!(
        table,
        replay_audit(work),
        "the audit log must match the findings table"
    );
}

#[test]
fn a_finding_is_new_then_open_resolved_when_its_file_is_fixed_and_reopened() {
    let work = Workdir::new("");
    let first = work.cycle(0);
    assert_eq!(first["cycle"], 1);
    assert_eq!(counts(&first), [32, 0, 0, 0, 0], "{first}");
    assert_eq!(first["sources"][0]["source"], "manifests:m");
    assert_eq!(first["sources"][0]["failed"], false);
    let second = work.cycle(0);
    assert_eq!(counts(&second), [0, 32, 0, 0, 0], "{second}");

    let open = work.findings("open");
    assert_eq!(open.len(), 32);
    let search = fingerprints_of_file(&open, "95-search.yaml");
    assert!(search.len() >= 2, "{search:?}");
    assert!(
        open.iter().all(|f| f["file"]
            .as_str()
            .unwrap()
            .starts_with(&*work.path().join("m").to_string_lossy())),
        "file paths are resolved against the config's directory"
    );

    let file = work.path().join("m/95-search.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    let third = work.cycle(0);
    let k = search.len() as u64;
    assert_eq!(counts(&third), [0, 32 - k, k, 0, 0], "{third}");
    let resolved: BTreeSet<String> = work
        .findings("resolved")
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(resolved, search);

    std::fs::write(&file, text).unwrap();
    let fourth = work.cycle(0);
    assert_eq!(counts(&fourth), [0, 32 - k, 0, k, 0], "{fourth}");
    let one = search.iter().next().unwrap();
    let shown = work.json(&["findings", "show", &one[..10]]);
    assert_eq!(shown["finding"]["fingerprint"], one.as_str());
    assert_eq!(shown["finding"]["times_reopened"], 1);
    let changes: Vec<&str> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["opened", "resolved", "reopened"]);
    let cycles: Vec<i64> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["cycle"].as_i64().unwrap())
        .collect();
    assert_eq!(cycles, [1, 3, 4]);

    let table = work.run(&["findings", "show", &one[..10]]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("history") && text.contains("reopened"),
        "{text}"
    );
    let audit = work.json(&["audit", "--subject", one]);
    let actions: Vec<(&str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("cycle:1", "finding.opened"),
            ("cycle:3", "finding.resolved"),
            ("cycle:4", "finding.reopened")
        ]
    );
    let cycles = work.json(&["cycles", "list"]);
    let ids: Vec<i64> = cycles
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [4, 3, 2, 1]);
    assert!(
        cycles
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "completed")
    );
    assert_store_consistent(&work);

    let high = work.json(&[
        "findings",
        "list",
        "--severity",
        "high",
        "--rule",
        "k8s.resources.*",
    ]);
    assert!(!high.as_array().unwrap().is_empty());
    assert!(
        high.as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "high")
    );
    let out = work.run(&["cycle", "--fail-on", "high"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn a_broken_file_a_missing_source_or_a_disabled_plugin_resolves_nothing() {
    let work = Workdir::new("");
    work.cycle(0);
    let open = work.findings("open");
    let search = fingerprints_of_file(&open, "95-search.yaml");

    // An unparseable file: its findings stay open and stale, the rest are covered.
    let file = work.path().join("m/95-search.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, "kind: [\n").unwrap();
    let out = work.run(&["cycle", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let k = search.len() as u64;
    assert_eq!(counts(&summary), [0, 32 - k, 0, 0, k], "{summary}");
    assert!(stderr(&out).contains("95-search.yaml:"), "{}", stderr(&out));
    let stale = work.findings("stale");
    assert_eq!(fingerprints_of_file(&stale, "95-search.yaml"), search);
    assert!(
        stale[0]["stale_reason"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{}",
        stale[0]
    );
    std::fs::write(&file, text).unwrap();
    assert_eq!(counts(&work.cycle(0)), [0, 32, 0, 0, 0]);

    // The whole source gone: nothing resolved, everything stale, exit 3.
    std::fs::rename(work.path().join("m"), work.path().join("m.away")).unwrap();
    let summary = work.cycle(3);
    assert_eq!(counts(&summary), [0, 0, 0, 0, 32], "{summary}");
    assert_eq!(summary["sources"][0]["failed"], true);
    assert_eq!(work.findings("open").len(), 32);
    std::fs::rename(work.path().join("m.away"), work.path().join("m")).unwrap();
    work.cycle(0);

    // A disabled plugin: its findings are not resolved, they go stale saying why.
    work.write_config("plugins:\n  settings:\n    k8s-workloads: {enabled: false}\n");
    let summary = work.cycle(0);
    assert_eq!(summary["resolved"], 0, "{summary}");
    let stale = work.findings("stale");
    assert_eq!(stale.len() as u64, summary["stale"].as_u64().unwrap());
    assert!(!stale.is_empty());
    for f in &stale {
        assert_eq!(f["plugin"], "k8s-workloads", "{f}");
        assert!(
            f["stale_reason"]
                .as_str()
                .unwrap()
                .contains("k8s-workloads is disabled"),
            "{f}"
        );
    }
    assert_store_consistent(&work);
}

#[test]
fn a_corrupt_or_unreachable_store_is_a_one_line_error_naming_it_and_nothing_is_written() {
    let work = Workdir::new("");
    std::fs::create_dir(work.path().join("data")).unwrap();
    let db = work.path().join("data/state.db");
    let garbage = vec![0x5a_u8; 8192];
    std::fs::write(&db, &garbage).unwrap();
    let out = work.run(&["cycle"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: cannot open the state store sqlite://{}",
            db.display()
        )),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        garbage,
        "the file is left as it was"
    );
    assert!(out.stdout.is_empty());

    // Nothing listens on port 1: refused at once; the password is never shown.
    work.write_config(
        "state:\n  url: postgres://aiops@127.0.0.1:1/aiops\n  password_env: AIOPS_TEST_PG_PASSWORD\n",
    );
    let out = work
        .command(&["findings", "list"])
        .env("AIOPS_TEST_PG_PASSWORD", "s3cret-Passw0rd")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "error: cannot open the state store postgres://aiops:***@127.0.0.1:1/aiops: "
        ),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
    let out = work.run(&["findings", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "state.password_env: the environment variable AIOPS_TEST_PG_PASSWORD is not set"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_cycle_runs_on_postgres_with_the_password_from_a_file() {
    let work = Workdir::new("");
    let url = aiops_standins::postgres::server().fresh_database("cli_cycle");
    std::fs::write(
        work.path().join("pg-password"),
        format!("{}\n", aiops_standins::postgres::PASSWORD),
    )
    .unwrap();
    work.write_config(&format!(
        "state:\n  url: {url}\n  password_file: pg-password\n"
    ));
    assert_eq!(counts(&work.cycle(0)), [32, 0, 0, 0, 0]);
    std::fs::remove_file(work.path().join("m/95-search.yaml")).unwrap();
    let summary = work.cycle(0);
    assert!(summary["resolved"].as_u64().unwrap() >= 2, "{summary}");
    assert!(
        !work.path().join("data").exists(),
        "no SQLite file with PostgreSQL"
    );
    assert_store_consistent(&work);
}

/// A manifests directory of `n` deployments, each with `n_findings`-ish findings; with
/// `fixed`, their containers have resources set, so the resource findings resolve.
fn write_many(dir: &Path, n: usize, fixed: bool) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let resources = if fixed {
        "\n          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}"
    } else {
        ""
    };
    for file in 0..n.div_ceil(100) {
        let docs: Vec<String> = (file * 100..((file + 1) * 100).min(n))
            .map(|i| {
                format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{i}, namespace: ns-{}}}\n\
                     spec:\n  replicas: 1\n  selector: {{matchLabels: {{app: a{i}}}}}\n  template:\n    \
                     metadata: {{labels: {{app: a{i}}}}}\n    spec:\n      containers:\n        \
                     - name: main\n          image: registry.example/app:latest{resources}\n",
                    i % 20
                )
            })
            .collect();
        std::fs::write(dir.join(format!("part-{file:03}.yaml")), docs.join("---\n")).unwrap();
    }
}

#[test]
fn a_second_cycle_on_the_same_store_refuses_while_one_runs() {
    let work = Workdir::new("");
    write_many(&work.path().join("m"), 500, false);
    let mut first = work
        .command(&["cycle"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first holds the lock once its cycle row exists.
    let lock = work.path().join("data/state.db.cycle-lock");
    let held = wait_until(Duration::from_secs(60), || {
        std::fs::read_to_string(&lock).is_ok_and(|t| t.contains("aiops cycle"))
    });
    assert!(held);
    let out = work.run(&["cycle"]);
    let status = first.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("another aiops cycle is running against the state store sqlite://")
            && err.contains(&format!("pid {}", first.id())),
        "{err}"
    );
    let cycles = work.json(&["cycles", "list"]);
    assert_eq!(
        cycles.as_array().unwrap().len(),
        1,
        "the refused cycle recorded nothing"
    );
}

fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    condition()
}

#[test]
fn a_cycle_killed_at_any_point_leaves_the_store_consistent_and_the_next_one_clean() {
    let work = Workdir::new("");
    let manifests: PathBuf = work.path().join("m");
    let n = 500;
    // How long a whole cycle that changes every finding takes here, once the built-in
    // plugins are compiled and cached.
    write_many(&manifests, n, false);
    work.cycle(0);
    write_many(&manifests, n, true);
    let started = Instant::now();
    work.cycle(0);
    // The machine's load changes how long a cycle takes: a run that ended before its
    // kill is tried again with the estimate halved.
    let mut full = started.elapsed();
    let mut fixed = true;
    let mut killed = 0;
    for fraction in [0.05, 0.2, 0.4, 0.6, 0.8, 0.95] {
        for _attempt in 0..4 {
            fixed = !fixed;
            write_many(&manifests, n, fixed);
            let mut child = work
                .command(&["cycle"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(full.mul_f64(fraction));
            let running = child.try_wait().unwrap().is_none();
            // SIGKILL: no destructor, no rollback by the process.
            child.kill().unwrap();
            child.wait().unwrap();
            assert_audit_matches_findings(&work);
            if running {
                killed += 1;
                break;
            }
            full /= 2;
        }
    }
    assert!(
        killed >= 3,
        "only {killed} of the runs were still going when killed"
    );
    // The next cycle starts cleanly and ends where a fresh store would.
    let summary = work.cycle(0);
    let cycles = work.json(&["cycles", "list", "--limit", "100"]);
    let statuses: BTreeSet<&str> = cycles
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.is_subset(&BTreeSet::from(["completed", "abandoned"])),
        "{statuses:?}"
    );
    let open: BTreeSet<String> = work
        .findings("open")
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    let fresh = Workdir::new("");
    write_many(&fresh.path().join("m"), n, fixed);
    let reference = fresh.cycle(0);
    let expected: BTreeSet<String> = fresh
        .findings("open")
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(open, expected, "{summary} vs {reference}");
    assert!(work.findings("stale").is_empty());
    assert_store_consistent(&work);
}
