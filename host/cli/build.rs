//! Builds the built-in plugins (`plugins/*`) to WebAssembly components and embeds
//! them in the `aiops` binary, so `aiops scan` works with no plugin directory.

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.join("../..").canonicalize().unwrap();
    for watched in ["plugins", "sdk", "wit", "Cargo.lock"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let crates = aiops_build::crates_in(&workspace.join("plugins"));
    // One wasm target dir for built-ins and test fixtures, so shared crates build once.
    let target_dir = workspace.join("target").join("wasm");
    let components = aiops_build::build_components(&workspace, &crates, &target_dir);
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtin_plugins.rs");
    aiops_build::write_embed_file(&out, "BUILTIN_PLUGINS", &components);
}
