//! The Python and JavaScript plugin projects: their templates and their builds.
//!
//! A Python project is `pyproject.toml` + `app.py` (a `Detect` class on the
//! componentize-py bindings of the `detector` world), built by componentize-py; a
//! JavaScript project is `package.json` + `app.js` (an ES module exporting `detect`),
//! built by componentize-qjs (QuickJS, WASI stubbed). Both get the helper package of
//! `sdk/python` or `sdk/js`, embedded in this binary, so a project outside the
//! repository builds the same way. The component goes to `target/NAME.wasm`.

mod js;
mod python;
pub mod toolchain;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::project::{Lang, PluginKind, Tools};

/// The WIT contract the components are built against (`wit/aiops.wit`).
const WIT: &str = include_str!("../../../../../wit/aiops.wit");

/// Fixture manifests of a new project (shared with the Rust template's rule).
const FIXTURE_WORKLOADS: &str = include_str!("templates/workloads.yaml");
/// The findings the example rule gives on them.
const FIXTURE_EXPECTED: &str = include_str!("templates/expected.json");

/// Writes a new `lang` project named `name` into `dir` (which does not exist yet or is
/// empty): one example rule, fixtures, `expected.json` and a passing test.
pub fn scaffold(lang: Lang, dir: &Path, name: &str, kind: PluginKind) -> anyhow::Result<()> {
    anyhow::ensure!(
        kind == PluginKind::Detector,
        "`--lang {}` projects are detectors for now; write remediators in Rust (`--lang rust`)",
        lang_name(lang)
    );
    let files: &[(&str, &str)] = match lang {
        Lang::Python => python::TEMPLATE,
        Lang::Js => js::TEMPLATE,
        Lang::Rust => anyhow::bail!("Rust projects are scaffolded by the Rust template"),
    };
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        anyhow::ensure!(
            entries.next().is_none(),
            "{} exists and is not empty",
            dir.display()
        );
    }
    let fixtures: [(&str, &str); 3] = [
        ("fixtures/workloads.yaml", FIXTURE_WORKLOADS),
        ("fixtures/expected.json", FIXTURE_EXPECTED),
        (".gitignore", "target/\nnode_modules/\n__pycache__/\n"),
    ];
    for (rel, text) in files.iter().chain(&fixtures) {
        write(&dir.join(rel), &text.replace("{{name}}", name))?;
    }
    Ok(())
}

/// Builds the `lang` project in `project` to a component and returns the `.wasm`'s path.
pub fn build(lang: Lang, project: &Path, tools: &Tools) -> anyhow::Result<PathBuf> {
    let program = toolchain::find(lang, tools)?;
    let target = project.join("target");
    let stage = target.join("aiops-build");
    if stage.exists() {
        std::fs::remove_dir_all(&stage)
            .with_context(|| format!("cannot clear {}", stage.display()))?;
    }
    write(&stage.join("wit/aiops.wit"), WIT)?;
    let name = project_name(lang, project)?;
    let wasm = target.join(format!("{name}.wasm"));
    let started = std::time::Instant::now();
    match lang {
        Lang::Python => python::build(&program, project, &stage, &wasm)?,
        Lang::Js => js::build(&program, project, &stage, &wasm)?,
        Lang::Rust => anyhow::bail!("Rust projects build with cargo"),
    }
    tracing::debug!(wasm = %wasm.display(), elapsed = ?started.elapsed(), "built");
    Ok(wasm)
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => "rust",
        Lang::Python => "python",
        Lang::Js => "js",
    }
}

/// The project's name: `name` of `package.json` or of `pyproject.toml`'s `[project]`.
fn project_name(lang: Lang, project: &Path) -> anyhow::Result<String> {
    let (file, name) = match lang {
        Lang::Js => {
            let path = project.join("package.json");
            let text = read(&path)?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", path.display()))?;
            (path, json["name"].as_str().map(str::to_string))
        }
        _ => {
            let path = project.join("pyproject.toml");
            let text = read(&path)?;
            let name = text.lines().find_map(|line| {
                let rest = line.trim().strip_prefix("name")?.trim_start();
                let value = rest.strip_prefix('=')?.trim();
                Some(value.trim_matches('"').to_string())
            });
            (path, name)
        }
    };
    let name = name.with_context(|| format!("{} sets no `name`", file.display()))?;
    anyhow::ensure!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{}: `name` `{name}` must be letters, digits, `-` and `_`",
        file.display()
    );
    Ok(name)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes `text` to `path`, creating its directory.
fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Runs a build tool, failing with its output when it fails.
fn run(command: &mut std::process::Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    if !output.status.success() {
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        // componentize-py prints a long native backtrace after the Python error.
        let text: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("at ") && !is_frame(l))
            .take(40)
            .collect::<Vec<_>>()
            .join("\n");
        anyhow::bail!("{what} failed ({}):\n{text}", output.status);
    }
    Ok(())
}

/// A backtrace frame line (`  12: symbol`).
fn is_frame(line: &str) -> bool {
    let t = line.trim_start();
    t.split_once(": ")
        .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}
