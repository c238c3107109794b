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

/// Makes sure `target` is installed for the active toolchain. The host's and the test
/// crate's build scripts may both get here at once on a fresh machine, so a failed
/// install counts as done when the target shows up as installed after all.
pub fn ensure_target(target: &str) {
    let installed = || -> Result<bool, std::io::Error> {
        let out = Command::new("rustup")
            .args(["target", "list", "--installed"])
            .output()?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == target))
    };
    match installed() {
        Ok(true) => {}
        Ok(false) => {
            for attempt in 1..=3 {
                let status = Command::new("rustup")
                    .args(["target", "add", target])
                    .status()
                    .unwrap_or_else(|e| panic!("running `rustup target add {target}`: {e}"));
                if status.success() || installed().unwrap_or(false) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_secs(2 * attempt));
            }
            panic!("`rustup target add {target}` failed three times");
        }
        Err(err) => println!(
            "cargo:warning=rustup not found ({err}); assuming the {target} target is installed"
        ),
    }
}

/// Builds `crates` in release mode into `target_dir` and returns `(package, path of
/// the component)` for each, in the order given.
pub fn build_components(
    workspace: &Path,
    crates: &[PluginCrate],
    target_dir: &Path,
) -> Vec<(String, PathBuf)> {
    let (wasi, pure): (Vec<&PluginCrate>, Vec<&PluginCrate>) = crates.iter().partition(|c| c.wasi);
    cargo_build(workspace, &wasi, WASI_TARGET, target_dir);
    cargo_build(workspace, &pure, PURE_TARGET, target_dir);
    crates
        .iter()
        .map(|c| {
            let file_name = format!("{}.wasm", c.name.replace('-', "_"));
            let built = |target: &str| target_dir.join(target).join("release").join(&file_name);
            let component = if c.wasi {
                built(WASI_TARGET)
            } else {
                let out = target_dir.join("components").join(&file_name);
                componentize(&built(PURE_TARGET), &out);
                out
            };
            assert!(
                component.exists(),
                "expected {} after the build",
                component.display()
            );
            (c.name.clone(), component)
        })
        .collect()
}

/// One `cargo build` of `crates` for `target`.
fn cargo_build(workspace: &Path, crates: &[&PluginCrate], target: &str, target_dir: &Path) {
    if crates.is_empty() {
        return;
    }
    ensure_target(target);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--release", "--target", target, "--target-dir"])
        .arg(target_dir)
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"));
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
    let status = cmd.status().expect("running cargo to build wasm plugins");
    let names: Vec<&str> = crates.iter().map(|c| c.name.as_str()).collect();
    assert!(
        status.success(),
        "building wasm plugins {names:?} for {target} failed (see the output above)"
    );
}

/// Turns the core module `module` (with the component type wit-bindgen embedded) into
/// a component at `out`; the file is left alone when its bytes would not change.
fn componentize(module: &Path, out: &Path) {
    let bytes =
        std::fs::read(module).unwrap_or_else(|e| panic!("reading {}: {e}", module.display()));
    let component = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .and_then(|encoder| encoder.validate(true).encode())
        .unwrap_or_else(|e| panic!("making a component of {}: {e:#}", module.display()));
    if std::fs::read(out).ok().as_deref() != Some(&component[..]) {
        std::fs::create_dir_all(out.parent().unwrap()).expect("creating the components dir");
        std::fs::write(out, component).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
    }
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
fn declares_wasi(manifest: &str) -> bool {
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
