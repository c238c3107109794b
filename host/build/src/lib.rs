//! Builds plugin crates of this workspace to WebAssembly components from a build
//! script, installing the rustup targets first when they are missing. Shared by the
//! host's build script (built-in plugins) and the test crate's (hostile fixtures).
//!
//! A plugin is built one of two ways:
//! - **pure** (the default): for `wasm32-unknown-unknown`, then made a component with
//!   `wit-component`. It imports the contract's `log` and `config` and nothing else:
//!   std has no WASI to reach for there (panics reach the host through the SDK's
//!   panic hook and the `log` import). Fewer imports make each fresh instance cheaper.
//! - **WASI** (`[package.metadata.aiops] wasi = true` in the crate's `Cargo.toml`): for
//!   `wasm32-wasip2`, for plugins that use what std gets from WASI (the clock, stdout).

use std::path::{Path, PathBuf};
use std::process::Command;

const WASI_TARGET: &str = "wasm32-wasip2";
const PURE_TARGET: &str = "wasm32-unknown-unknown";

/// A plugin crate of the workspace and how it is built.
pub struct PluginCrate {
    /// Package name (the crate's directory name).
    pub name: String,
    /// Built for `wasm32-wasip2` rather than as a pure component.
    pub wasi: bool,
}

/// Why a plugin crate could not be built to a component.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The rustup target is not installed (and installing it was not asked for).
    #[error(
        "the Rust target {target} is not installed; run `rustup target add {target}` \
         (or pass --install to let aiops run it)"
    )]
    MissingTarget {
        /// The target, e.g. `wasm32-unknown-unknown`.
        target: String,
    },
    /// `rustup target add` failed even after retries.
    #[error("`rustup target add {target}` failed three times")]
    InstallFailed {
        /// The target.
        target: String,
    },
    /// A program could not be started.
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        /// The program, e.g. `cargo`.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// cargo ran and failed; its own output says why.
    #[error("building {crates:?} for {target} failed (see cargo's output above)")]
    Cargo {
        /// The packages built.
        crates: Vec<String>,
        /// The target.
        target: String,
    },
    /// The core module could not be made a component.
    #[error("making a component of {}: {message}", module.display())]
    Componentize {
        /// The core module.
        module: PathBuf,
        /// What wit-component said.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The build succeeded but the expected component is not there.
    #[error("expected {} after the build", .0.display())]
    NotBuilt(PathBuf),
}

/// How [`try_build_components`] runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// Run `rustup target add` for a missing target instead of failing with
    /// [`BuildError::MissingTarget`].
    pub install_targets: bool,
    /// Let cargo print only errors (`--quiet`).
    pub quiet: bool,
}

/// Whether `target` is installed for the active toolchain: `None` when rustup cannot
/// be asked (a toolchain without rustup; cargo then says what is missing).
pub fn target_installed(target: &str) -> Option<bool> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .ok()?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == target),
    )
}

/// Makes sure `target` is installed for the active toolchain, running
/// `rustup target add` when `install` is set. The host's and the test crate's build
/// scripts may both get here at once on a fresh machine, so a failed install counts as
/// done when the target shows up as installed after all. Without rustup, assumes the
/// target is there.
pub fn try_ensure_target(target: &str, install: bool) -> Result<(), BuildError> {
    match target_installed(target) {
        Some(true) | None => Ok(()),
        Some(false) if !install => Err(BuildError::MissingTarget {
            target: target.to_string(),
        }),
        Some(false) => {
            for attempt in 1..=3 {
                let status = Command::new("rustup")
                    .args(["target", "add", target])
                    .status()
                    .map_err(|source| BuildError::Spawn {
                        program: "rustup".into(),
                        source,
                    })?;
                if status.success() || target_installed(target) == Some(true) {
                    return Ok(());
                }
                std::thread::sleep(std::time::Duration::from_secs(2 * attempt));
            }
            Err(BuildError::InstallFailed {
                target: target.to_string(),
            })
        }
    }
}

/// [`try_ensure_target`] for build scripts: installs, panics on failure.
pub fn ensure_target(target: &str) {
    if target_installed(target).is_none() {
        println!("cargo:warning=rustup not found; assuming the {target} target is installed");
    }
    try_ensure_target(target, true).unwrap_or_else(|e| panic!("{e}"));
}

/// The target a crate is built for: `wasm32-wasip2` or the pure one.
pub fn target_of(wasi: bool) -> &'static str {
    if wasi { WASI_TARGET } else { PURE_TARGET }
}

/// Builds `crates` in release mode into `target_dir` and returns `(package, path of
/// the component)` for each, in the order given; panics on failure (for build scripts).
pub fn build_components(
    workspace: &Path,
    crates: &[PluginCrate],
    target_dir: &Path,
) -> Vec<(String, PathBuf)> {
    let options = BuildOptions {
        install_targets: true,
        quiet: false,
    };
    try_build_components(workspace, crates, target_dir, options).unwrap_or_else(|e| panic!("{e}"))
}

/// Builds `crates` of the workspace (or single crate) whose `Cargo.toml` is in
/// `workspace`, in release mode into `target_dir`, and returns `(package, path of the
/// component)` for each, in the order given.
pub fn try_build_components(
    workspace: &Path,
    crates: &[PluginCrate],
    target_dir: &Path,
    options: BuildOptions,
) -> Result<Vec<(String, PathBuf)>, BuildError> {
    let (wasi, pure): (Vec<&PluginCrate>, Vec<&PluginCrate>) = crates.iter().partition(|c| c.wasi);
    cargo_build(workspace, &wasi, WASI_TARGET, target_dir, options)?;
    cargo_build(workspace, &pure, PURE_TARGET, target_dir, options)?;
    crates
        .iter()
        .map(|c| {
            let file_name = format!("{}.wasm", c.name.replace('-', "_"));
            let built = |target: &str| target_dir.join(target).join("release").join(&file_name);
            let component = if c.wasi {
                built(WASI_TARGET)
            } else {
                let out = target_dir.join("components").join(&file_name);
                componentize(&built(PURE_TARGET), &out)?;
                out
            };
            if !component.exists() {
                return Err(BuildError::NotBuilt(component));
            }
            Ok((c.name.clone(), component))
        })
        .collect()
}

/// One `cargo build` of `crates` for `target`.
fn cargo_build(
    workspace: &Path,
    crates: &[&PluginCrate],
    target: &str,
    target_dir: &Path,
    options: BuildOptions,
) -> Result<(), BuildError> {
    if crates.is_empty() {
        return Ok(());
    }
    try_ensure_target(target, options.install_targets)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(workspace)
        .args(["build", "--release", "--target", target, "--target-dir"])
        .arg(target_dir)
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"));
    if options.quiet {
        cmd.arg("--quiet");
    }
    for c in crates {
        cmd.args(["-p", &c.name]);
    }
    // The outer build's settings are for the host target, not for wasm.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_LLVM_COV",
        "LLVM_PROFILE_FILE",
    ] {
        cmd.env_remove(var);
    }
    // Plugins ship small: no debug info in the components. Whole-program LTO in one
    // codegen unit makes them about 5% faster (SDK and serde inlined into the plugin).
    cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo")
        .env("CARGO_PROFILE_RELEASE_LTO", "fat")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1");
    let status = cmd.status().map_err(|source| BuildError::Spawn {
        program: cargo.clone(),
        source,
    })?;
    if !status.success() {
        return Err(BuildError::Cargo {
            crates: crates.iter().map(|c| c.name.clone()).collect(),
            target: target.to_string(),
        });
    }
    Ok(())
}

/// Turns the core module `module` (with the component type wit-bindgen embedded) into
/// a component at `out`; the file is left alone when its bytes would not change.
fn componentize(module: &Path, out: &Path) -> Result<(), BuildError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BuildError::Io { path, source }
    };
    let bytes = std::fs::read(module).map_err(io(module))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| BuildError::Componentize {
            module: module.to_path_buf(),
            message: format!("{e:#}"),
        })?;
    if std::fs::read(out).ok().as_deref() != Some(&component[..]) {
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        std::fs::write(out, component).map_err(io(out))?;
    }
    Ok(())
}

/// The plugin crates in `dir/*` (each directory with a Cargo.toml), sorted by name.
pub fn crates_in(dir: &Path) -> Vec<PluginCrate> {
    let mut crates: Vec<PluginCrate> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let manifest = std::fs::read_to_string(e.path().join("Cargo.toml")).ok()?;
                    Some(PluginCrate {
                        name: e.file_name().to_string_lossy().into_owned(),
                        wasi: declares_wasi(&manifest),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    crates.sort_by(|a, b| a.name.cmp(&b.name));
    crates
}

/// Whether a crate manifest says `wasi = true` in its `[package.metadata.aiops]` table.
pub fn declares_wasi(manifest: &str) -> bool {
    let mut in_table = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line == "[package.metadata.aiops]";
        } else if in_table {
            let mut kv = line.splitn(2, '=').map(str::trim);
            if kv.next() == Some("wasi") && kv.next() == Some("true") {
                return true;
            }
        }
    }
    false
}

/// Writes `OUT_DIR/NAME.rs` with `pub const NAME_CONST: &[(&str, &[u8])]` embedding the components.
pub fn write_embed_file(out_file: &Path, const_name: &str, components: &[(String, PathBuf)]) {
    let mut src = format!(
        "/// Components embedded at build time: (package name, bytes).\npub const {const_name}: &[(&str, &[u8])] = &[\n"
    );
    for (name, path) in components {
        src.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    src.push_str("];\n");
    std::fs::write(out_file, src).expect("writing the embed file");
}

/// The `name` of a crate manifest's `[package]` table.
pub fn package_name(manifest: &str) -> Option<String> {
    let mut in_table = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line == "[package]";
        } else if in_table {
            let mut kv = line.splitn(2, '=').map(str::trim);
            if kv.next() == Some("name") {
                return kv.next().map(|v| v.trim_matches('"').to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_target_says_what_to_run_unless_installing_is_asked() {
        let target = "wasm32-no-such-target";
        if target_installed(target).is_none() {
            return; // no rustup here: cargo reports the missing target itself
        }
        let err = try_ensure_target(target, false).unwrap_err();
        assert!(matches!(err, BuildError::MissingTarget { .. }));
        assert!(
            err.to_string()
                .contains("run `rustup target add wasm32-no-such-target`"),
            "{err}"
        );
    }

    #[test]
    fn manifests_say_their_package_name_and_wasi() {
        let manifest =
            "[package]\nname = \"demo-check\"\n\n[package.metadata.aiops]\nwasi = true\n";
        assert_eq!(package_name(manifest).as_deref(), Some("demo-check"));
        assert!(declares_wasi(manifest));
        assert_eq!(package_name("[workspace]\nname = \"x\"\n"), None);
    }
}
