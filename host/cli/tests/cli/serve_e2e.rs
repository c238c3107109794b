//! `aiops serve` end to end, as a process against real parts: moto (the `aws` source),
//! an AWS snapshot (`local-dev/inventory/aws.json`) and the manifests of a deploy
//! working copy, a bare IaC repository, and an SMTP server. One run through what an
//! operator does: ready, findings of each source through the API; approving a proposed
//! remediation (merged, audited under the token's name, mailed); a new detector dropped
//! into the plugin directory (its findings appear), then corrupted (the error on
//! `/api/v1/plugins`, the host ready, the old version serving); a broken config edit
//! (rejected, the old config serving); SIGTERM in the middle of a cycle (exit 0 within
//! the grace) and a restart on the same data (no cycle left running, no duplicate
//! remediation or branch).

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use aiops_standins::moto::{ACCESS_KEY_ID, Moto, SECRET_ACCESS_KEY};
use aiops_standins::moto_seed::{DbSpec, Seeder};
use aiops_standins::smtp::{SmtpMode, SmtpServer};
use serde_json::Value;

use crate::remediate::{CART, GitWork, git};
use crate::serving::{Serving, free_port, http, json, wait_for};

const READER: &str = "reader-token-e2e-0123456789abcdef";
const ALICE: &str = "alice-token-e2e-0123456789abcdef";
const ADMIN: &str = "admin-token-e2e-0123456789abcdef";

/// How long the shutdown may take for the cycle running at SIGTERM.
const GRACE_SECONDS: u64 = 2;
/// The slow detector's deadline: far past the grace, so the cycle cannot finish in it.
const SLOW_PLUGIN_MS: u64 = 20_000;

const MANIFESTS: &str = "manifests:deploy/k8s/base";
const SNAPSHOT: &str = "snapshot:inventory/aws.json";
const AWS: &str = "aws";
const MOTO_DB: &str = "aws/rds/eu-west-1/moto-legacy";

/// The fixture plugins this test drops into the plugin directory, built to components:
/// package → file.
fn fixture_plugins(packages: &[&str]) -> BTreeMap<String, PathBuf> {
    let root = aiops_standins::repo_root();
    let crates: Vec<_> = aiops_build::crates_in(&root.join("tests/fixtures/plugins"))
        .into_iter()
        .filter(|c| packages.contains(&c.name.as_str()))
        .collect();
    assert_eq!(crates.len(), packages.len(), "fixtures {packages:?}");
    aiops_build::build_components(&root, &crates, &root.join("target/wasm"))
        .into_iter()
        .collect()
}

/// Writes `bytes` to `dir/name` atomically (temp file + rename), as a deploy would.
fn install(dir: &Path, name: &str, bytes: &[u8]) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

/// Writes the config file with a modification time of its own (the host reloads the
/// file when its mtime changes; two writes in one clock tick must still differ).
fn write_config(path: &Path, text: &str, generation: u64) {
    std::fs::write(path, text).unwrap();
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + generation))
        .unwrap();
}

/// The AWS inventory moto serves: one MySQL instance with public access, unencrypted
/// storage and no backups (its id is not in the snapshot, so the sources stay apart).
async fn seed(url: &str) {
    let seed = Seeder::new(url, "eu-west-1").await;
    seed.create_db_instances(&[DbSpec {
        public: true,
        encrypted: false,
        backup_days: 0,
        ..DbSpec::mysql("moto-legacy")
    }])
    .await;
}

/// The findings EXPECTED.md lists for the AWS snapshot, as (rule, resource id).
fn snapshot_expected() -> BTreeSet<(String, String)> {
    let rows: BTreeSet<(String, String)> =
        crate::collect_k8s::expected_rows("local-dev/inventory/EXPECTED.md", "aws.", 0)
            .into_iter()
            .map(|(rule, resource, _)| (rule, resource))
            .collect();
    assert_eq!(rows.len(), 19, "EXPECTED.md's findings table parsed");
    rows
}

/// Open findings of `query` (`source=aws`, `rule=…`), all of them.
fn findings(port: u16, query: &str) -> Vec<Value> {
    let page = json(
        port,
        &format!("/api/v1/findings?{query}&limit=1000"),
        READER,
    );
    assert!(page["next"].is_null(), "more than one page: {query}");
    page["findings"].as_array().unwrap().clone()
}

fn rule_and_resource(findings: &[Value]) -> BTreeSet<(String, String)> {
    findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["resource_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn cycles(port: u16) -> Vec<Value> {
    json(port, "/api/v1/cycles", READER)
        .as_array()
        .unwrap()
        .clone()
}

/// The newest cycle's id (0 before the first).
fn last_cycle(port: u16) -> i64 {
    cycles(port)
        .first()
        .map_or(0, |c| c["id"].as_i64().unwrap())
}

/// Asks for a cycle and waits until it finished; returns it.
fn run_cycle(port: u16) -> Value {
    let before = last_cycle(port);
    let (status, _, body) = http(port, "POST", "/api/v1/cycles", Some(ADMIN), None);
    assert_eq!(status, 202, "{body}");
    finished_after(port, before)
}

/// Waits for the first cycle after `before` to finish; asserts it completed.
fn finished_after(port: u16, before: i64) -> Value {
    let mut last = Value::Null;
    wait_for("a finished cycle", Duration::from_secs(90), || {
        last = cycles(port)
            .into_iter()
            .rev()
            .find(|c| c["id"].as_i64().unwrap() > before)
            .unwrap_or(Value::Null);
        !last.is_null() && last["status"] != "running"
    });
    assert_eq!(last["status"], "completed", "{last}");
    last
}

fn plugin_entry(port: u16, file: &str) -> Option<Value> {
    json(port, "/api/v1/plugins", READER)
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["origin"].as_str().unwrap().ends_with(file))
        .cloned()
}

fn ready(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        && http(port, "GET", "/readyz", None, None).0 == 200
}

/// Remediations that are still live (waiting for a human or approved, not merged).
fn live_by_group(port: u16) -> BTreeMap<String, Vec<i64>> {
    let mut live = BTreeMap::<String, Vec<i64>>::new();
    for r in json(port, "/api/v1/remediations", READER)
        .as_array()
        .unwrap()
    {
        if ["awaiting_approval", "approved"].contains(&r["state"].as_str().unwrap()) {
            live.entry(r["group_key"].as_str().unwrap().to_string())
                .or_default()
                .push(r["id"].as_i64().unwrap());
        }
    }
    live
}

/// The bare repository's `aiops/…` branches.
fn aiops_branches(remote: &Path) -> BTreeSet<String> {
    git(
        remote,
        &[
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads/aiops",
        ],
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// How to start `aiops serve` on the test's work tree, and where its log goes.
struct Host<'a> {
    work: &'a GitWork,
    plugins: PathBuf,
    port: u16,
    log: PathBuf,
}

impl Host<'_> {
    /// Starts `aiops serve` and waits until it is ready.
    fn start(&self) -> Serving {
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut command = self.work.command(&[
            "serve",
            "--listen",
            &format!("127.0.0.1:{}", self.port),
            "--plugins",
        ]);
        command
            .arg(&self.plugins)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
            .env("AIOPS_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log);
        for var in [
            "AWS_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_SESSION_TOKEN",
            "AWS_ROLE_ARN",
            "AWS_REGION",
        ] {
            command.env_remove(var);
        }
        let mut serving = Serving(command.spawn().unwrap());
        wait_for("readiness", Duration::from_secs(180), || {
            if let Some(status) = serving.0.try_wait().unwrap() {
                panic!("aiops serve exited: {status}\n{}", self.log_tail());
            }
            ready(self.port)
        });
        serving
    }

    /// Sends SIGTERM and waits (at most `within`) for the exit status.
    fn terminate(&self, serving: &mut Serving, within: Duration) -> std::process::ExitStatus {
        let pid = serving.0.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let started = Instant::now();
        loop {
            if let Some(status) = serving.0.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < within,
                "aiops serve still running {within:?} after SIGTERM:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The host's log, last lines (for failure messages).
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

#[test]
fn serve_end_to_end_with_moto_snapshot_manifests_git_and_smtp() {
    let built = fixture_plugins(&["tagger-v1", "hostile-loop"]);
    let moto = Moto::start();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(seed(&moto.url()));
    let mail_dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(mail_dir.path(), SmtpMode::Plain, None, None);

    let work = GitWork::new(&format!(
        "api:\n  tokens:\n    - {{name: reader, role: read, token_file: reader.token}}\n    - {{name: alice, role: approve, token_file: alice.token}}\n    - {{name: ops, role: admin, token_file: admin.token}}\n\
         schedule: {{interval: 1h, shutdown_grace_seconds: {GRACE_SECONDS}}}\n\
         collectors:\n  aws: {{regions: [eu-west-1], endpoint_url: '{}', timeout_seconds: 60}}\n\
         plugins:\n  settings:\n    aws-rds-mysql: {{config: {{today: '2026-11-25'}}}}\n    aws-kinesis-shards: {{config: {{min_retention_hours: 48}}}}\n    hostile-loop: {{limits: {{timeout_ms: {SLOW_PLUGIN_MS}}}}}\n\
         notifications:\n  backoff: 100ms\n  channels:\n    mail: {{type: email, smtp: {{host: 127.0.0.1, port: {}, tls: none}}, from: 'aiops <aiops@example.com>', to: [sre@example.com]}}\n  routes:\n    - {{match: {{event: ['remediation.approved', 'remediation.merged']}}, channel: mail, group_by: [subject], group_wait: 0s}}\n",
        moto.url(),
        smtp.port,
    ));
    for (file, token) in [
        ("reader.token", READER),
        ("alice.token", ALICE),
        ("admin.token", ADMIN),
    ] {
        std::fs::write(work.path().join(file), token).unwrap();
    }
    std::fs::create_dir(work.path().join("inventory")).unwrap();
    std::fs::copy(
        aiops_standins::repo_root().join("local-dev/inventory/aws.json"),
        work.path().join("inventory/aws.json"),
    )
    .unwrap();
    let config_path = work.path().join("aiops.yaml");
    let written = std::fs::read_to_string(&config_path).unwrap();
    let good = written.replace(
        &format!("sources: ['{MANIFESTS}']"),
        &format!("sources: ['{MANIFESTS}', '{SNAPSHOT}', {AWS}]"),
    );
    assert_ne!(good, written, "the three sources configured");
    write_config(&config_path, &good, 0);
    let plugins = work.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    let host = Host {
        work: &work,
        plugins: plugins.clone(),
        port: free_port(),
        log: work.path().join("serve.log"),
    };
    let port = host.port;

    // 1. Ready; the first cycle's findings, from each of the three sources.
    let mut serving = host.start();
    let first = finished_after(port, 0);
    let aws = findings(port, &format!("source={AWS}"));
    assert!(aws.iter().all(|f| f["source"] == AWS));
    let expected_aws: BTreeSet<(String, String)> = [
        "publicly-accessible",
        "storage-not-encrypted",
        "backup-retention",
    ]
    .iter()
    .map(|rule| (format!("aws.rds.{rule}"), MOTO_DB.to_string()))
    .collect();
    let got_aws = rule_and_resource(&aws);
    assert!(
        got_aws.is_superset(&expected_aws) && got_aws.iter().all(|(_, r)| r == MOTO_DB),
        "aws (moto) findings: {got_aws:?}\ncycle: {first}"
    );
    let snapshot = findings(port, &format!("source={SNAPSHOT}"));
    assert!(snapshot.iter().all(|f| f["source"] == SNAPSHOT));
    assert_eq!(
        rule_and_resource(&snapshot),
        snapshot_expected(),
        "the snapshot's findings are EXPECTED.md's"
    );
    let manifests = findings(port, &format!("source={MANIFESTS}"));
    assert!(manifests.iter().all(|f| f["source"] == MANIFESTS));
    assert!(
        manifests.iter().any(|f| f["resource_id"] == CART),
        "no finding on {CART}: {manifests:?}"
    );

    // 2. The remediation proposed for cart (local provider: a branch in the bare
    // repository), approved through the API: merged, audited as alice, mailed.
    let remote = work.remote();
    let mut cart = Value::Null;
    wait_for("the remediation of cart", Duration::from_secs(60), || {
        cart = json(port, "/api/v1/remediations", READER)
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group_key"] == CART)
            .cloned()
            .unwrap_or(Value::Null);
        !cart.is_null()
    });
    assert_eq!(cart["state"], "awaiting_approval", "{cart}");
    let cart_id = cart["id"].as_i64().unwrap();
    let branch = cart["branch"].as_str().unwrap().to_string();
    assert!(
        aiops_branches(&remote).contains(&branch),
        "{branch} pushed to the bare repository"
    );
    let main_before = git(&remote, &["rev-parse", "main"]);
    let (status, _, body) = http(
        port,
        "POST",
        &format!("/api/v1/remediations/{cart_id}/approve"),
        Some(ALICE),
        Some(r#"{"reason":"e2e reviewed"}"#),
    );
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["outcome"], "merged", "{answer}");
    let main_after = git(&remote, &["rev-parse", "main"]);
    assert_ne!(main_after, main_before, "main moved");
    git(
        &remote,
        &["merge-base", "--is-ancestor", &main_before, &main_after],
    );
    let shown = json(port, &format!("/api/v1/remediations/{cart_id}"), READER);
    assert_eq!(shown["remediation"]["state"], "merged", "{shown}");
    let audit = json(port, "/api/v1/audit", READER);
    let approved = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "remediation.approved" && a["actor"] == "user:alice")
        .unwrap_or_else(|| panic!("no approval by alice in the audit log: {audit}"));
    assert!(
        approved["subject"]
            .as_str()
            .unwrap()
            .contains(&cart_id.to_string()),
        "{approved}"
    );
    let mut mail = String::new();
    wait_for("the mail about the merge", Duration::from_secs(30), || {
        mail = smtp
            .messages()
            .into_iter()
            .map(|(m, _)| m)
            .find(|m| m.contains("Fix merged") && m.contains(CART))
            .unwrap_or_default();
        !mail.is_empty()
    });
    assert!(mail.contains("sre@example.com"), "{mail}");

    // 3. A new detector dropped into the plugin directory: its findings after the next
    // cycle. Then its file corrupted: the error on /api/v1/plugins, still ready, and the
    // version loaded before keeps serving.
    install(
        &plugins,
        "tagger.wasm",
        &std::fs::read(&built["tagger-v1"]).unwrap(),
    );
    wait_for("the new plugin loaded", Duration::from_secs(60), || {
        plugin_entry(port, "tagger.wasm").is_some_and(|p| p["status"] == "loaded")
    });
    run_cycle(port);
    let tagged = findings(port, "rule=test.tagger");
    assert!(!tagged.is_empty(), "no findings of the new plugin");
    assert!(
        tagged
            .iter()
            .all(|f| f["message"] == "tagged by 1.0.0" && f["source"] == MANIFESTS),
        "{tagged:?}"
    );
    let tagged_fps: BTreeSet<String> = tagged
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    let last_seen = |fs: &[Value]| fs.iter().map(|f| f["last_seen"].as_i64().unwrap()).min();
    let seen_before = last_seen(&tagged);
    std::fs::write(plugins.join("tagger.wasm"), b"\0asm\x0d\0\x01\0 corrupted").unwrap();
    let mut entry = Value::Null;
    wait_for(
        "the corrupt plugin's error",
        Duration::from_secs(60),
        || {
            entry = plugin_entry(port, "tagger.wasm").unwrap_or(Value::Null);
            entry["error"].is_string()
        },
    );
    assert_eq!(entry["status"], "failed", "{entry}");
    assert!(!entry["error"].as_str().unwrap().is_empty(), "{entry}");
    assert_eq!(
        entry["version"], "1.0.0",
        "the version still serving: {entry}"
    );
    assert!(ready(port), "still ready with a broken plugin file");
    run_cycle(port);
    let still = findings(port, "rule=test.tagger");
    let still_fps: BTreeSet<String> = still
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        still_fps, tagged_fps,
        "the old version's findings stay open"
    );
    assert!(still.iter().all(|f| f["stale"] == false), "{still:?}");
    assert!(
        last_seen(&still) > seen_before,
        "seen again by the last cycle: the old version served it"
    );

    // 4. A bad config edit (an invalid interval, and the tagger turned off): rejected,
    // the key named; the old config serves (the tagger still runs); a cycle completes.
    let bad = good.replace("interval: 1h", "interval: soon").replace(
        "    hostile-loop:",
        "    tagger: {enabled: false}\n    hostile-loop:",
    );
    assert!(bad.contains("interval: soon") && bad.contains("tagger: {enabled: false}"));
    write_config(&config_path, &bad, 1);
    run_cycle(port);
    let status = json(port, "/api/v1/config", READER);
    assert_eq!(status["ok"], false, "{status}");
    let error = status["error"].as_str().unwrap();
    assert!(
        error.contains("schedule.interval") && error.contains("aiops.yaml"),
        "{status}"
    );
    let seen_tagged = findings(port, "rule=test.tagger");
    assert_eq!(seen_tagged.len(), tagged_fps.len(), "the tagger still ran");
    assert!(seen_tagged.iter().all(|f| f["stale"] == false));
    assert!(ready(port));
    write_config(&config_path, &good, 2);
    run_cycle(port);
    assert_eq!(json(port, "/api/v1/config", READER)["ok"], true);

    // 5. SIGTERM while a cycle runs (a detector that runs to its deadline, far past the
    // grace): exit 0 within the grace. A restart on the same data: ready, the cut cycle
    // not left running, and no second remediation or branch for any group.
    install(
        &plugins,
        "slow.wasm",
        &std::fs::read(&built["hostile-loop"]).unwrap(),
    );
    wait_for("the slow plugin loaded", Duration::from_secs(60), || {
        plugin_entry(port, "slow.wasm").is_some_and(|p| p["status"] == "loaded")
    });
    let live_before = live_by_group(port);
    assert!(
        live_before.values().all(|ids| ids.len() == 1),
        "{live_before:?}"
    );
    let branches_before = aiops_branches(&remote);
    let before = last_cycle(port);
    assert_eq!(
        http(port, "POST", "/api/v1/cycles", Some(ADMIN), None).0,
        202
    );
    let mut running = 0;
    wait_for("the slow cycle running", Duration::from_secs(30), || {
        let c = cycles(port);
        let newest = c.first().unwrap();
        running = newest["id"].as_i64().unwrap();
        running > before && newest["status"] == "running"
    });
    let stopping = Instant::now();
    let status = host.terminate(&mut serving, Duration::from_secs(GRACE_SECONDS + 10));
    eprintln!("SIGTERM mid-cycle to exit: {:?}", stopping.elapsed());
    assert_eq!(
        status.code(),
        Some(0),
        "{status:?} {:?}\n{}",
        status.signal(),
        host.log_tail()
    );
    // The slow plugin goes (or every cycle of the restart would wait for it).
    std::fs::remove_file(plugins.join("slow.wasm")).unwrap();
    let mut serving = host.start();
    let restarted = finished_after(port, running);
    let all = cycles(port);
    assert!(
        all.iter().all(|c| c["status"] != "running"),
        "a cycle left running: {all:?}"
    );
    let cut = all
        .iter()
        .find(|c| c["id"].as_i64() == Some(running))
        .unwrap();
    assert_eq!(cut["status"], "abandoned", "{cut}");
    let live_after = live_by_group(port);
    assert!(
        live_after.values().all(|ids| ids.len() == 1),
        "a group with two live remediations: {live_after:?}"
    );
    assert_eq!(
        live_after, live_before,
        "the same proposals after the restart"
    );
    assert_eq!(
        aiops_branches(&remote),
        branches_before,
        "no new branch for a group already proposed\ncycle: {restarted}"
    );
    let status = host.terminate(&mut serving, Duration::from_secs(GRACE_SECONDS + 10));
    assert_eq!(status.code(), Some(0), "{status:?}");
    // Two runs' logs: no token and no AWS secret in them.
    let log = std::fs::read_to_string(&host.log).unwrap();
    for secret in [READER, ALICE, ADMIN, SECRET_ACCESS_KEY] {
        assert!(!log.contains(secret), "a secret in the log");
    }
}
