//! The web console in a real browser: `aiops serve` on a local IaC repository with two
//! remediations awaiting approval, driven by headless Debian `chromium` through
//! `playwright-core` (`host/cli/tests/console/console.mjs`): login, findings and their
//! severity counts, a finding's detail, approvals with their diff, approve → merged,
//! reject with (and without) a reason, a read token refused, CSP and CSRF checks, a
//! screenshot of each page into `target/console-screenshots/`. Here: the merge in the
//! repository and the token's name in the audit log.
//!
//! Needs `chromium` (`CHROMIUM`, default `/usr/bin/chromium`) and `playwright-core`
//! installed with `npm install --prefix DIR` (`AIOPS_CONSOLE_TEST_DIR`, default
//! `${XDG_CACHE_HOME:-$HOME/.cache}/aiops/console-test`): `.ci/run` installs both.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::remediate::{CART, GitWork, SEARCH, git, text};
use crate::serving::{Serving, free_port, http, wait_for};

const READER: &str = "reader-token-console-0123456789";
const ALICE: &str = "alice-token-console-0123456789";

fn json(port: u16, path: &str) -> Value {
    crate::serving::json(port, path, READER)
}

/// Where `npm install --prefix` put playwright-core.
fn playwright_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AIOPS_CONSOLE_TEST_DIR") {
        return dir.into();
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
    cache.join("aiops/console-test")
}

#[test]
fn console_in_chromium_logs_in_approves_and_rejects() {
    let playwright = playwright_dir();
    assert!(
        playwright.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in {}: run the `console browser` section of .ci/run \
         (or set AIOPS_CONSOLE_TEST_DIR)",
        playwright.display()
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "{chromium} is missing: apt-get install chromium (the `console browser` section of .ci/run)"
    );
    let work = GitWork::new(
        "api:\n  tokens:\n    - {name: reader, role: read, token_file: reader.token}\n    - {name: alice, role: approve, token_file: alice.token}\nschedule: {interval: 1h, shutdown_grace_seconds: 30}\n",
    );
    std::fs::write(work.path().join("reader.token"), READER).unwrap();
    std::fs::write(work.path().join("alice.token"), ALICE).unwrap();
    let plugins = work.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::write(plugins.join("broken.wasm"), b"\0asm not really").unwrap();
    let port = free_port();
    let mut child = Serving(
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
    );
    wait_for("readiness", Duration::from_secs(180), || {
        assert!(child.0.try_wait().unwrap().is_none(), "aiops serve exited");
        TcpStream::connect(("127.0.0.1", port)).is_ok()
            && http(port, "GET", "/readyz", None, None).0 == 200
    });
    wait_for(
        "the first cycle's remediations",
        Duration::from_secs(180),
        || {
            let listed = json(port, "/api/v1/remediations");
            let keys: Vec<&str> = listed
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["state"] == "awaiting_approval")
                .filter_map(|r| r["group_key"].as_str())
                .collect();
            keys.contains(&CART) && keys.contains(&SEARCH)
        },
    );
    let before = git(&work.remote(), &["rev-parse", "main"]);

    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("console-screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/console/console.mjs");
    let out = Command::new("node")
        .arg(&script)
        .env("AIOPS_URL", format!("http://127.0.0.1:{port}"))
        .env("APPROVE_TOKEN", ALICE)
        .env("READ_TOKEN", READER)
        .env("APPROVE_GROUP", CART)
        .env("REJECT_GROUP", SEARCH)
        .env("SCREENSHOTS", &screenshots)
        .env("PLAYWRIGHT_DIR", &playwright)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    println!("{}", text(&out.stdout));
    eprintln!("{}", text(&out.stderr));
    assert!(
        out.status.success(),
        "the browser test failed ({}): {}",
        out.status,
        text(&out.stderr)
    );

    // What the browser did, seen from the repository and the audit log.
    assert_ne!(
        git(&work.remote(), &["rev-parse", "main"]),
        before,
        "the approval merged into main"
    );
    let listed = json(port, "/api/v1/remediations");
    let by_key = |key: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group_key"] == key)
            .unwrap_or_else(|| panic!("no remediation for {key}"))
            .clone()
    };
    let (cart, search) = (by_key(CART), by_key(SEARCH));
    assert_eq!(cart["state"], "merged", "{cart}");
    assert_eq!(cart["decided_by"], "alice");
    assert_eq!(search["state"], "rejected", "{search}");
    assert_eq!(search["decision_reason"], "not now: freeze week");
    let audit = json(port, "/api/v1/audit");
    let entries = audit.as_array().unwrap();
    for action in ["remediation.approved", "remediation.rejected"] {
        assert!(
            entries
                .iter()
                .any(|e| e["actor"] == "user:alice" && e["action"] == action),
            "{action} by alice in the audit log"
        );
    }
    assert!(
        !entries.iter().any(|e| e["actor"] == "user:reader"),
        "the read token decided nothing"
    );
    for page in [
        "login",
        "findings",
        "finding",
        "approvals",
        "remediations",
        "plugins",
        "cycles",
    ] {
        let shot = screenshots.join(format!("{page}.png"));
        let bytes = std::fs::read(&shot).unwrap_or_default();
        assert!(
            bytes.starts_with(b"\x89PNG"),
            "{} is a PNG screenshot",
            shot.display()
        );
    }
}
