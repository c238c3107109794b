//! A real PostgreSQL server for tests, from Debian's `postgresql` package: `initdb` in
//! a temporary directory, then `postgres` on a loopback port, password authentication
//! (scram-sha-256) for the role [`USER`]. One server per test process, started on first
//! use; each test takes a database of its own ([`PgServer::fresh_database`]). PostgreSQL
//! refuses to run as root, so as root the server runs as the `postgres` user (made by
//! the package). A watchdog process stops the server when the test process is gone,
//! however it ends, so no server outlives its tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::moto::run;

/// The role the tests connect as.
pub const USER: &str = "aiops";
/// Its password (a test secret: tests pass it through the environment, like users).
pub const PASSWORD: &str = "aiops-test-password";

/// A running server.
pub struct PgServer {
    /// Its loopback port.
    pub port: u16,
    bin: PathBuf,
    _dir: PathBuf,
    _server: Mutex<Child>,
    _watchdog: Mutex<Child>,
}

static SERVER: OnceLock<PgServer> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// The shared server of this test process, started on first use. Panics with what to
/// install when PostgreSQL is not there.
pub fn server() -> &'static PgServer {
    SERVER.get_or_init(start)
}

impl PgServer {
    /// A new empty database, and its URL without the password
    /// (`postgres://aiops@127.0.0.1:PORT/NAME`).
    pub fn fresh_database(&self, label: &str) -> String {
        let name = format!(
            "{}_{}_{}",
            label
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                })
                .collect::<String>(),
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        self.psql(&format!("CREATE DATABASE \"{name}\" OWNER {USER}"));
        self.url(&name)
    }

    /// The URL of database `name` (no password in it).
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs one SQL statement as [`USER`] on the `postgres` database.
    pub fn psql(&self, sql: &str) {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-U",
                USER,
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-d", "postgres", "-c", sql])
            .env("PGPASSWORD", PASSWORD)
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Where the server binaries are: `AIOPS_PG_BIN`, else the newest
/// `/usr/lib/postgresql/N/bin`, else `PATH`.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("AIOPS_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").exists() && dir.join("postgres").exists())
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program` as the server's user: itself, or `postgres` through `runuser` when root.
fn as_server_user(program: &Path, root: bool) -> Command {
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn start() -> PgServer {
    let bin = bin_dir().expect(
        "PostgreSQL is not installed: `apt-get install -y postgresql` (Debian's package; .ci/run installs it)",
    );
    let root = is_root();
    let dir = std::env::temp_dir().join(format!("aiops-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data");
    std::fs::create_dir_all(&dir).unwrap();
    let pwfile = dir.join("pwfile");
    std::fs::write(&pwfile, PASSWORD).unwrap();
    if root {
        run(Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir));
    }
    run(as_server_user(&bin.join("initdb"), root)
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            USER,
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
        ])
        .arg(format!("--pwfile={}", pwfile.display())));
    let port = crate::moto::free_port();
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    if root {
        run(Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.join("server.log")));
    }
    let child = as_server_user(&bin.join("postgres"), root)
        .arg("-D")
        .arg(&data)
        .arg("-p")
        .arg(port.to_string())
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ])
        .arg("-c")
        .arg(format!("unix_socket_directories={}", dir.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("postgres starts");
    let watchdog = watchdog(child.id(), &dir);
    let server = PgServer {
        port,
        bin,
        _dir: dir.clone(),
        _server: Mutex::new(child),
        _watchdog: Mutex::new(watchdog),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = Command::new(server.bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if ready {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "PostgreSQL did not start: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

/// Stops the server (fast shutdown) and removes its directory once this process is
/// gone, however it ends.
fn watchdog(server_pid: u32, dir: &Path) -> Child {
    // The postmaster's own pid (not `runuser`'s) is the first line of its pid file.
    let script = format!(
        "while kill -0 {me} 2>/dev/null; do sleep 1; done; \
         pid=$(head -n 1 '{data}/postmaster.pid' 2>/dev/null); \
         if [ -n \"$pid\" ]; then kill -INT $pid 2>/dev/null; \
         for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 $pid 2>/dev/null || break; sleep 1; done; \
         kill -KILL $pid 2>/dev/null; fi; kill -KILL {server_pid} 2>/dev/null; rm -rf '{dir}'",
        me = std::process::id(),
        data = dir.join("data").display(),
        dir = dir.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the watchdog starts")
}
