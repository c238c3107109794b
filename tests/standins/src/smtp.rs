//! A real SMTP server for tests: `aiosmtpd` (PyPI) on a loopback port, plain, with
//! STARTTLS or with implicit TLS (a test CA's certificate for `localhost`), with or
//! without AUTH. Installed into the moto venv on first use; each message received is
//! kept as an `.eml` file with its envelope beside it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::moto::{free_port, moto_server_exe, run, venv_dir};

/// The aiosmtpd release the tests are written against.
pub const AIOSMTPD_VERSION: &str = "1.4.6";

/// The venv's python with aiosmtpd installed (once, under a lock).
pub fn python() -> PathBuf {
    moto_server_exe();
    let venv = venv_dir();
    let python = venv.join("bin").join("python");
    let marker = venv.join(format!(".aiops-aiosmtpd-{AIOSMTPD_VERSION}"));
    if marker.exists() {
        return python;
    }
    let lock = File::create(venv.with_extension("smtp-lock")).unwrap();
    lock.lock().unwrap();
    if !marker.exists() {
        run(Command::new(venv.join("bin").join("pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("aiosmtpd=={AIOSMTPD_VERSION}"),
        ]));
        File::create(&marker).unwrap();
    }
    lock.unlock().unwrap();
    python
}

/// How the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    /// Plain SMTP.
    Plain,
    /// STARTTLS required.
    Starttls,
    /// Implicit TLS.
    Tls,
}

/// A test CA and a certificate it signed for `localhost` and 127.0.0.1, as PEM files.
pub struct TestCa {
    /// The CA certificate (what clients trust).
    pub ca_file: PathBuf,
    /// The server's certificate.
    pub cert_file: PathBuf,
    /// The server's key.
    pub key_file: PathBuf,
}

impl TestCa {
    /// Makes the files in `dir`.
    pub fn new(dir: &Path) -> TestCa {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "aiops test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
        let files = TestCa {
            ca_file: dir.join("ca.pem"),
            cert_file: dir.join("server.pem"),
            key_file: dir.join("server-key.pem"),
        };
        std::fs::write(&files.ca_file, ca.pem()).unwrap();
        std::fs::write(&files.cert_file, cert.pem()).unwrap();
        std::fs::write(&files.key_file, key.serialize_pem()).unwrap();
        files
    }
}

/// A running server; killed on drop.
pub struct SmtpServer {
    /// Its port.
    pub port: u16,
    /// Where messages land.
    pub dir: PathBuf,
    child: Child,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    /// Starts a server writing to `dir` in `mode` (with `ca`'s certificate for TLS),
    /// requiring `login` (user, password) when given.
    pub fn start(
        dir: &Path,
        mode: SmtpMode,
        ca: Option<&TestCa>,
        login: Option<(&str, &str)>,
    ) -> SmtpServer {
        std::fs::create_dir_all(dir).unwrap();
        let port = free_port();
        let script = crate::repo_root().join("tests/standins/python/smtp_server.py");
        let mut command = Command::new(python());
        command
            .arg(script)
            .arg(dir)
            .arg(port.to_string())
            .arg(match mode {
                SmtpMode::Plain => "none",
                SmtpMode::Starttls => "starttls",
                SmtpMode::Tls => "tls",
            });
        if mode != SmtpMode::Plain {
            let ca = ca.expect("TLS needs a certificate");
            command.arg(&ca.cert_file).arg(&ca.key_file);
        }
        if let Some((user, password)) = login {
            command.arg(user).arg(password);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "READY", "aiosmtpd did not start");
        SmtpServer {
            port,
            dir: dir.to_path_buf(),
            child,
        }
    }

    /// The messages received so far: (raw message, envelope JSON), in order.
    pub fn messages(&self) -> Vec<(String, serde_json::Value)> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let meta = std::fs::read_to_string(p.with_extension("json")).unwrap_or_default();
                (
                    std::fs::read_to_string(p).unwrap(),
                    serde_json::from_str(&meta).unwrap_or_default(),
                )
            })
            .collect()
    }
}
