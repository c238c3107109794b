//! Builds the fixture plugins (`fixtures/plugins/*`: hostile plugins and the tagger
//! versions used by hot-reload tests) to WebAssembly components for the tests.

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    for watched in ["tests/fixtures", "sdk", "wit"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    let crates = aiops_build::crates_in(&manifest_dir.join("fixtures/plugins"));
    // Shared with the host's build script (built-in plugins), so shared crates build once.
    let target_dir = workspace.join("target").join("wasm");
    let components = aiops_build::build_components(&workspace, &crates, &target_dir);
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("fixture_plugins.rs");
    aiops_build::write_embed_file(&out, "FIXTURE_PLUGINS", &components);
}
