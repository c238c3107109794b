//! The Rust plugin project `aiops plugin new --lang rust` writes: a crate on
//! `aiops-sdk` with one example rule (or fix), fixture manifests, their
//! `expected.json` and native tests, built as a pure component.
//!
//! Inside the aiops repository the crate goes under `plugins/` and is a member of the
//! workspace (its `plugins/*` glob); anywhere else it is a workspace of its own, on the
//! repository's `sdk/` by path when this binary knows where that is.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::project::PluginKind;

/// Where the SDK comes from for a standalone project.
#[derive(Debug, Clone)]
pub enum Sdk {
    /// A member of the aiops workspace whose root is this.
    Workspace(PathBuf),
    /// A standalone project on the SDK at this path (an aiops checkout's `sdk/`).
    Path(PathBuf),
    /// A standalone project on a version the author points elsewhere.
    Version,
}

/// The files of the template, by kind: (path in the project, text with placeholders).
fn files(kind: PluginKind) -> [(&'static str, &'static str); 4] {
    match kind {
        PluginKind::Detector => [
            ("src/lib.rs", include_str!("templates/rust/detector/lib.rs")),
            (
                "tests/native.rs",
                include_str!("templates/rust/detector/test.rs"),
            ),
            (
                "fixtures/workloads.yaml",
                include_str!("templates/rust/detector/workloads.yaml"),
            ),
            (
                "fixtures/expected.json",
                include_str!("templates/rust/detector/expected.json"),
            ),
        ],
        PluginKind::Remediator => [
            (
                "src/lib.rs",
                include_str!("templates/rust/remediator/lib.rs"),
            ),
            (
                "tests/native.rs",
                include_str!("templates/rust/remediator/test.rs"),
            ),
            (
                "fixtures/workloads.yaml",
                include_str!("templates/rust/remediator/workloads.yaml"),
            ),
            (
                "fixtures/expected.json",
                include_str!("templates/rust/remediator/expected.json"),
            ),
        ],
    }
}

/// `replica-check` → `ReplicaCheck`.
fn type_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// Fills the placeholders of a template text.
fn fill(text: &str, name: &str) -> String {
    text.replace("{{name}}", name)
        .replace("{{crate}}", &name.replace('-', "_"))
        .replace("{{type}}", &type_name(name))
}

/// The project's `Cargo.toml`.
fn manifest(name: &str, kind: PluginKind, sdk: &Sdk) -> String {
    let what = match kind {
        PluginKind::Detector => "detector",
        PluginKind::Remediator => "remediator",
    };
    let (package, dep, standalone) = match sdk {
        Sdk::Workspace(_) => (
            "version.workspace = true\nedition.workspace = true\n".to_string(),
            "path = \"../../sdk\"".to_string(),
            false,
        ),
        Sdk::Path(path) => (
            "version = \"0.1.0\"\nedition = \"2024\"\n".to_string(),
            format!("path = {:?}", path.display().to_string()),
            true,
        ),
        Sdk::Version => (
            "version = \"0.1.0\"\nedition = \"2024\"\n".to_string(),
            format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
            true,
        ),
    };
    let mut out = format!(
        "[package]\nname = \"{name}\"\n{package}publish = false\n\
         description = \"An aiops {what}\"\n\n\
         # A component: `aiops plugin build` compiles the cdylib for wasm32-unknown-unknown and\n\
         # wraps it with wit-component (add `[package.metadata.aiops] wasi = true` to build for\n\
         # wasm32-wasip2 instead, e.g. to read the clock). The rlib is for the native tests.\n\
         [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n"
    );
    if standalone {
        out.push_str(
            "# aiops-sdk is not on crates.io: it comes from the aiops repository. Point `path` at\n\
             # its `sdk/` directory in your checkout, or use\n\
             # `git = \"<the aiops repository URL>\"` instead.\n",
        );
    }
    out.push_str(&format!(
        "[dependencies]\naiops-sdk = {{ {dep} }}\nserde_json = \"1\"\n\n\
         [dev-dependencies]\naiops-sdk = {{ {dep}, features = [\"testing\"] }}\n"
    ));
    if standalone {
        out.push_str(
            "\n# A workspace of its own, so it builds wherever it is (even inside another workspace).\n\
             [workspace]\n",
        );
    }
    out
}

/// The project's README: what it is and the commands of the loop.
fn readme(name: &str, kind: PluginKind, sdk: &Sdk) -> String {
    let wasm = match sdk {
        Sdk::Workspace(_) => format!(
            "../../target/wasm/components/{}.wasm",
            name.replace('-', "_")
        ),
        _ => format!("target/components/{}.wasm", name.replace('-', "_")),
    };
    let kind = match kind {
        PluginKind::Detector => "detector",
        PluginKind::Remediator => "remediator",
    };
    format!(
        "# {name}\n\nAn aiops {kind} (see the plugin author guide, `sdk/README.md` in the aiops \
         repository).\n\n```sh\ncargo test                                   # the logic, natively\n\
         aiops plugin build                           # the component\n\
         aiops plugin test {wasm} --fixtures fixtures\n\
         aiops plugin inspect {wasm}\n```\n"
    )
}

/// Writes the project `name` of `kind` into `dir` (created; it must not exist or be
/// empty).
pub fn scaffold(dir: &Path, name: &str, kind: PluginKind, sdk: &Sdk) -> anyhow::Result<()> {
    let write = |rel: &str, text: &str| -> anyhow::Result<()> {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    };
    write("Cargo.toml", &manifest(name, kind, sdk))?;
    write("README.md", &readme(name, kind, sdk))?;
    for (rel, text) in files(kind) {
        write(rel, &fill(text, name))?;
    }
    match sdk {
        Sdk::Workspace(_) => {}
        Sdk::Path(sdk) => {
            write(".gitignore", "/target\n")?;
            // The repository's lock file pins what the SDK was tested with (and lets the
            // first build run without resolving anything); cargo drops what is unused.
            if let Some(lock) = sdk.parent().map(|root| root.join("Cargo.lock"))
                && lock.is_file()
            {
                std::fs::copy(&lock, dir.join("Cargo.lock"))
                    .with_context(|| format!("cannot copy {}", lock.display()))?;
            }
        }
        Sdk::Version => write(".gitignore", "/target\n")?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_types_and_crates() {
        assert_eq!(type_name("replica-check"), "ReplicaCheck");
        assert_eq!(
            fill("{{crate}}::{{type}} {{name}}", "a-b2"),
            "a_b2::AB2 a-b2"
        );
    }

    #[test]
    fn a_standalone_manifest_has_its_own_workspace_and_says_where_the_sdk_is() {
        let text = manifest("x", PluginKind::Detector, &Sdk::Version);
        assert!(text.contains("[workspace]"), "{text}");
        assert!(text.contains("not on crates.io"), "{text}");
        let member = manifest("x", PluginKind::Detector, &Sdk::Workspace("/r".into()));
        assert!(!member.contains("[workspace]"), "{member}");
        assert!(member.contains("path = \"../../sdk\""), "{member}");
    }
}
