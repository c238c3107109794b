//! JavaScript projects: componentize-qjs (QuickJS, WASI stubbed, `--sync`: the host has no
//! component-model async ABI) with `@aiops/sdk`.

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

/// The files of a new JavaScript project.
pub(super) const TEMPLATE: &[(&str, &str)] = &[
    ("package.json", include_str!("templates/js/package.json")),
    ("app.js", include_str!("templates/js/app.js")),
];

/// `sdk/js`, embedded.
const SDK: &[(&str, &str)] = &[
    (
        "package.json",
        include_str!("../../../../../sdk/js/package.json"),
    ),
    (
        "src/index.js",
        include_str!("../../../../../sdk/js/src/index.js"),
    ),
    (
        "src/quantity.js",
        include_str!("../../../../../sdk/js/src/quantity.js"),
    ),
    (
        "src/k8s.js",
        include_str!("../../../../../sdk/js/src/k8s.js"),
    ),
    (
        "src/findings.js",
        include_str!("../../../../../sdk/js/src/findings.js"),
    ),
];

/// Builds `project/app.js` into `wasm` with componentize-qjs (`program`). The project
/// is copied into the stage (QuickJS resolves imports under one module root only) with
/// the SDK as `node_modules/@aiops/sdk`.
pub(super) fn build(
    program: &Path,
    project: &Path,
    stage: &Path,
    wasm: &Path,
) -> anyhow::Result<()> {
    let root = stage.join("module");
    copy_tree(project, &root)?;
    for (file, text) in SDK {
        super::write(&root.join("node_modules/@aiops/sdk").join(file), text)?;
    }
    super::run(
        Command::new(program)
            .arg("--wit")
            .arg(stage.join("wit"))
            .args(["--world", "detector", "--stub-wasi", "--sync"])
            .arg("--js")
            .arg(root.join("app.js"))
            .arg("--module-root")
            .arg(&root)
            .arg("-o")
            .arg(wasm),
        "componentize-qjs",
    )
}

/// Copies `from` into `to`, leaving out `target` and the SDK of `node_modules`.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" || name == "fixtures" || name == ".git" {
            continue;
        }
        let path = entry.path();
        if path.ends_with("node_modules/@aiops") {
            continue;
        }
        if entry.file_type()?.is_dir() {
            copy_tree(&path, &to.join(&name))?;
        } else {
            std::fs::copy(&path, to.join(&name))
                .with_context(|| format!("cannot copy {}", path.display()))?;
        }
    }
    Ok(())
}
