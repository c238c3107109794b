//! What a plugin project is: its language and the world it implements, shared by
//! `plugin new` and `plugin build`.

use std::path::PathBuf;

/// The language a plugin project is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust, on the `aiops-sdk` crate (cargo).
    Rust,
    /// Python, on `sdk/python` (componentize-py).
    Python,
    /// JavaScript, on `sdk/js` (componentize-js).
    Js,
}

/// The WIT world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PluginKind {
    /// Reads resources, returns findings (`aiops:plugin/detector`).
    Detector,
    /// Edits IaC source files to fix findings (`aiops:plugin/remediator`).
    Remediator,
}

/// Where the language toolchains (componentize-py, componentize-js, …) are found or
/// installed.
#[derive(Debug, Clone)]
pub struct Tools {
    /// Install a missing toolchain into `dir` instead of failing with what to install.
    pub install: bool,
    /// The toolchain cache (under the data directory).
    pub dir: PathBuf,
}

/// The language of the project in `dir`, from the file that defines it: `Cargo.toml`
/// (Rust), `pyproject.toml` (Python) or `package.json` (JavaScript).
pub fn detect_lang(dir: &std::path::Path) -> Option<Lang> {
    [
        ("Cargo.toml", Lang::Rust),
        ("pyproject.toml", Lang::Python),
        ("package.json", Lang::Js),
    ]
    .into_iter()
    .find(|(file, _)| dir.join(file).is_file())
    .map(|(_, lang)| lang)
}

/// The root of the aiops repository `dir` is in: the nearest directory at or above it
/// whose `Cargo.toml` has a `[workspace]` with `plugins/*` among its members.
pub fn aiops_workspace(dir: &std::path::Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml"))
                .is_ok_and(|m| has_workspace(&m) && m.contains("\"plugins/*\""))
        })
        .map(std::path::Path::to_path_buf)
}

/// Whether a Cargo manifest has a `[workspace]` table.
pub fn has_workspace(manifest: &str) -> bool {
    manifest.lines().any(|l| l.trim() == "[workspace]")
}

/// A valid plugin name: kebab-case ASCII, starting with a letter, at most 64 bytes
/// (it becomes the package name, the rule-id prefix and the `.wasm` file name).
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    anyhow::ensure!(
        ok,
        "invalid plugin name `{name}`: use lower-case letters, digits and single dashes, \
         starting with a letter (e.g. `replica-check`)"
    );
    Ok(())
}
