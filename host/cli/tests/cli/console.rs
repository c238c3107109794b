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

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::remediate::{CART, GitWork, SEARCH, git, text};

const READER: &str = "reader-token-console-0123456789";
const ALICE: &str = "alice-token-console-0123456789";

/// The serve process, killed if the test ends without stopping it.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `GET path` with a bearer token on loopback: (status, body).
fn get(port: u16, path: &str, token: &str) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, more)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 || more.len() < n {
                break;
            }
            out.push_str(&more[..n]);
            rest = more[n..].trim_start_matches("\r\n");
        }
        out
    } else {
        body.to_string()
    };
    (status, body)
}

fn json(port: u16, path: &str) -> Value {
    let (status, body) = get(port, path, READER);
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn wait_for(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < within, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
        get(port, "/readyz", READER).0 == 200
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
