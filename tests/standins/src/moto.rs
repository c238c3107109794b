//! A real AWS stand-in for tests: `moto_server` (PyPI `moto[server]`) on a loopback
//! port. The Python venv it runs from is made on first use (`target/moto-venv`, or
//! `AIOPS_MOTO_VENV`), under a file lock so test binaries and threads starting at once
//! install it once; `.ci/run` makes it before the tests so CI pays the install once.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The moto release the tests are written against.
pub const MOTO_VERSION: &str = "5.2.5";

/// Access key the tests give the collector and the seeding clients (moto accepts any).
pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// Secret key to go with [`ACCESS_KEY_ID`].
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Where the venv lives: `AIOPS_MOTO_VENV`, else `target/moto-venv` of the workspace.
pub fn venv_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AIOPS_MOTO_VENV") {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target"));
    target.join("moto-venv")
}

/// The `moto_server` executable, installing moto first when it is not there yet.
/// Safe to call from several processes and threads at once.
pub fn moto_server_exe() -> PathBuf {
    let venv = venv_dir();
    let exe = venv.join("bin").join("moto_server");
    let marker = venv.join(format!(".aiops-moto-{MOTO_VERSION}"));
    if marker.exists() && exe.exists() {
        return exe;
    }
    std::fs::create_dir_all(venv.parent().unwrap_or(Path::new("."))).unwrap();
    let lock_path = venv.with_extension("lock");
    let lock = File::create(&lock_path).unwrap();
    lock.lock().unwrap();
    if !(marker.exists() && exe.exists()) {
        install(&venv);
        File::create(&marker).unwrap();
    }
    lock.unlock().unwrap();
    exe
}

fn install(venv: &Path) {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    run(Command::new(&python).args(["-m", "venv"]).arg(venv));
    run(Command::new(venv.join("bin").join("pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("moto[server]=={MOTO_VERSION}"),
    ]));
}

/// Runs `command`, panicking with its stderr when it fails (the stand-ins' setup steps).
pub(crate) fn run(command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `moto_server`, killed on drop.
pub struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    /// Starts a server on a free loopback port and waits until it answers.
    pub fn start() -> Moto {
        let exe = moto_server_exe();
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(&exe)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut moto = Moto { child, port };
            match moto.wait_ready(Duration::from_secs(60)) {
                Ok(()) => return moto,
                Err(err) => last_error = err,
            }
        }
        panic!("moto_server did not start: {last_error}");
    }

    fn wait_ready(&mut self, within: Duration) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("moto_server exited: {status}"));
            }
            if let Ok((200, _)) = http(self.port, "GET", "/moto-api/data.json") {
                return Ok(());
            }
            if started.elapsed() > within {
                return Err("no answer within 60 s".to_string());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The endpoint URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Forgets every resource and metric (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let (status, body) = http(self.port, "POST", "/moto-api/reset").unwrap();
        assert_eq!(status, 200, "moto reset: {body}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A bare HTTP/1.1 request without a body; the status and body of the answer.
fn http(port: u16, method: &str, path: &str) -> Result<(u16, String), String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("write: {e}"))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("read: {e}"))?;
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not HTTP: {answer:.80}"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}
