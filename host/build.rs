//! Builds the built-in plugins (`plugins/*`) to WebAssembly components and embeds
//! them in the `aiops` binary, so `aiops scan` works with no plugin directory.

#[path = "build_support/wasm_build.rs"]
mod wasm_build;

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    for watched in ["plugins", "sdk", "wit", "Cargo.lock"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    println!("cargo:rerun-if-changed=build_support");
    let crates = wasm_build::crates_in(&workspace.join("plugins"));
    // One wasm target dir for built-ins and test fixtures, so shared crates build once.
    let target_dir = workspace.join("target").join("wasm");
    let components = wasm_build::build_components(&workspace, &crates, &target_dir);
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtin_plugins.rs");
    wasm_build::write_embed_file(&out, "BUILTIN_PLUGINS", &components);
}
