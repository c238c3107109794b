//! Builds plugin crates of this workspace to `wasm32-wasip2` components from a build
//! script, installing the rustup target first when it is missing. Shared by the host's
//! build script (built-in plugins) and the test crate's (hostile fixtures).

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

/// Makes sure the `wasm32-wasip2` target is installed for the active toolchain.
pub fn ensure_wasm_target() {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match installed {
        Ok(out)
            if String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.trim() == TARGET) => {}
        Ok(_) => {
            let status = Command::new("rustup")
                .args(["target", "add", TARGET])
                .status()
                .expect("running `rustup target add wasm32-wasip2`");
            assert!(status.success(), "`rustup target add {TARGET}` failed");
        }
        Err(err) => println!(
            "cargo:warning=rustup not found ({err}); assuming the {TARGET} target is installed"
        ),
    }
}

/// Builds `packages` (workspace package names) in release mode for wasm32-wasip2 into
/// `target_dir`, and returns `(package, path of the .wasm)` for each.
pub fn build_components(
    workspace: &Path,
    packages: &[String],
    target_dir: &Path,
) -> Vec<(String, PathBuf)> {
    if packages.is_empty() {
        return Vec::new();
    }
    ensure_wasm_target();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--release", "--target", TARGET, "--target-dir"])
        .arg(target_dir)
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"));
    for p in packages {
        cmd.args(["-p", p]);
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
    assert!(
        status.success(),
        "building wasm plugins {packages:?} failed (see the output above)"
    );
    packages
        .iter()
        .map(|p| {
            let file = target_dir
                .join(TARGET)
                .join("release")
                .join(format!("{}.wasm", p.replace('-', "_")));
            assert!(file.exists(), "expected {} after the build", file.display());
            (p.clone(), file)
        })
        .collect()
}

/// Package names of the crates in `dir/*` (each directory with a Cargo.toml), sorted.
pub fn crates_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().join("Cargo.toml").exists())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
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
