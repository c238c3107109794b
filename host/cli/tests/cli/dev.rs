//! `just dev` (`local-dev/dev.sh`): the local stack comes up (moto seeded, SMTP sink,
//! bare IaC repository, `aiops serve --watch`), prints the console URL, answers there,
//! and SIGINT stops every process it started.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The script's process, killed with its children if the test fails before it stops.
struct Script(std::process::Child);

impl Drop for Script {
    fn drop(&mut self) {
        let pids: Vec<String> = descendants(self.0.id())
            .iter()
            .map(u32::to_string)
            .collect();
        if !pids.is_empty() {
            let _ = Command::new("kill").arg("-KILL").args(&pids).status();
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every descendant of `pid`, from /proc.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parents = std::collections::HashMap::<u32, Vec<u32>>::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces, so read after the last `)`.
        let after = &stat[stat.rfind(')').unwrap_or(0) + 1..];
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parents.entry(ppid).or_default().push(child);
        }
    }
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for &c in parents.get(&p).into_iter().flatten() {
            out.push(c);
            todo.push(c);
        }
    }
    out
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s[s.rfind(')').unwrap_or(0) + 1..]
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

#[test]
fn just_dev_starts_the_stack_prints_the_url_and_ctrl_c_stops_it_all() {
    // The venv moto and aiosmtpd run from (made here if missing, as the tests do).
    aiops_standins::smtp::python();
    let work = tempfile::tempdir().unwrap();
    let port = aiops_standins::moto::free_port();
    let mut script = Script(
        Command::new("bash")
            .arg(aiops_standins::repo_root().join("local-dev/dev.sh"))
            .env("AIOPS_BIN", env!("CARGO_BIN_EXE_aiops"))
            .env("AIOPS_MOTO_VENV", aiops_standins::moto::venv_dir())
            .env("AIOPS_DEV_DIR", work.path())
            .env("AIOPS_DEV_PORT", port.to_string())
            .env("AIOPS_CACHE_DIR", crate::remediate::cache())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let pid = script.0.id();
    let mut lines = BufReader::new(script.0.stdout.take().unwrap()).lines();
    let url = format!("http://127.0.0.1:{port}/");
    let start = Instant::now();
    loop {
        let line = lines
            .next()
            .expect("dev.sh ended before printing the URL")
            .unwrap();
        if line.contains(&url) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(300));
    }
    let (status, _) = get(port, "/readyz");
    assert_eq!(status, 200);
    // Moto is seeded and the first cycle collected it: AWS findings are served.
    let start = Instant::now();
    loop {
        let (status, body) = get(port, "/api/v1/findings?source=aws&limit=1");
        assert_eq!(status, 200, "{body}");
        if body.contains("orders-db") || body.contains("clickstream") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "no AWS findings: {body}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        work.path().join("iac-remote.git").is_dir(),
        "the bare IaC repository"
    );
    let children = descendants(pid);
    assert!(
        children.len() >= 3,
        "moto, the SMTP sink and aiops: {children:?}"
    );

    // Ctrl-C: SIGINT to the script.
    let sent = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = script.0.wait().unwrap();
    assert_eq!(status.code(), Some(130), "Ctrl-C's exit status");
    let start = Instant::now();
    while children.iter().any(|&c| alive(c)) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "still running after Ctrl-C: {:?}",
            children.iter().filter(|&&c| alive(c)).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("dev: stopped")), "{rest:?}");
}

fn get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, raw)
}
