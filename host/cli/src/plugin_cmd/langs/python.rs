//! Python projects: componentize-py with the `aiops_sdk` helper package.

use std::path::Path;
use std::process::Command;

/// The files of a new Python project.
pub(super) const TEMPLATE: &[(&str, &str)] = &[
    (
        "pyproject.toml",
        include_str!("templates/python/pyproject.toml"),
    ),
    ("app.py", include_str!("templates/python/app.py")),
];

/// `sdk/python/aiops_sdk`, embedded.
const SDK: &[(&str, &str)] = &[
    (
        "__init__.py",
        include_str!("../../../../../sdk/python/aiops_sdk/__init__.py"),
    ),
    (
        "quantity.py",
        include_str!("../../../../../sdk/python/aiops_sdk/quantity.py"),
    ),
    (
        "k8s.py",
        include_str!("../../../../../sdk/python/aiops_sdk/k8s.py"),
    ),
    (
        "findings.py",
        include_str!("../../../../../sdk/python/aiops_sdk/findings.py"),
    ),
];

/// Builds `project/app.py` into `wasm` with componentize-py (`program`).
pub(super) fn build(
    program: &Path,
    project: &Path,
    stage: &Path,
    wasm: &Path,
) -> anyhow::Result<()> {
    for (file, text) in SDK {
        super::write(&stage.join("sdk/aiops_sdk").join(file), text)?;
    }
    super::run(
        Command::new(program)
            .arg("-d")
            .arg(stage.join("wit"))
            .args(["-w", "detector", "componentize"])
            .arg("-p")
            .arg(project)
            .arg("-p")
            .arg(stage.join("sdk"))
            .arg("app")
            .arg("-o")
            .arg(wasm),
        "componentize-py",
    )
}
