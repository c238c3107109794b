//! schemathesis (PyPI), the property-based API tester, run against a served OpenAPI
//! document. Its venv (`target/schemathesis-venv`, or `AIOPS_SCHEMATHESIS_VENV`) is made
//! on first use under a file lock, apart from moto's so their pins cannot clash;
//! `.ci/run` makes it before the tests.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::moto::run;

/// The schemathesis release the tests are written against.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// Where the venv lives.
pub fn venv_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AIOPS_SCHEMATHESIS_VENV") {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target"));
    target.join("schemathesis-venv")
}

/// The `schemathesis` executable, installing it first when it is not there yet.
pub fn exe() -> PathBuf {
    let venv = venv_dir();
    let exe = venv.join("bin").join("schemathesis");
    let marker = venv.join(format!(".aiops-schemathesis-{SCHEMATHESIS_VERSION}"));
    if marker.exists() && exe.exists() {
        return exe;
    }
    std::fs::create_dir_all(venv.parent().unwrap_or(Path::new("."))).unwrap();
    let lock = File::create(venv.with_extension("lock")).unwrap();
    lock.lock().unwrap();
    if !(marker.exists() && exe.exists()) {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
        run(Command::new(&python).args(["-m", "venv"]).arg(&venv));
        run(Command::new(venv.join("bin").join("pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
        ]));
        File::create(&marker).unwrap();
    }
    lock.unlock().unwrap();
    exe
}
