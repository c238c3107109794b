//! `aiops plugin inspect` on the binary: a built-in loads (exit 0, its info and imports
//! as JSON); a file that is no component is refused with the reason (exit 3).

use std::process::Command;

use serde_json::Value;

fn inspect(file: &std::path::Path, format: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aiops"))
        .args(["plugin", "inspect"])
        .arg(file)
        .args(["--format", format])
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

#[test]
fn inspect_tells_what_a_plugin_is_and_whether_this_host_loads_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bytes) = aiops::builtin::BUILTIN_PLUGINS
        .iter()
        .find(|(name, _)| *name == "k8s-workloads")
        .unwrap();
    let good = dir.path().join("k8s_workloads.wasm");
    std::fs::write(&good, bytes).unwrap();
    let out = inspect(&good, "json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["loads"], true);
    assert_eq!(json["world"], "detector");
    assert_eq!(json["info"]["name"], "k8s-workloads");
    assert_eq!(json["size_bytes"], bytes.len());
    let imports = json["imports"].as_array().unwrap();
    assert!(imports.iter().all(|i| i["granted"] == true), "{imports:?}");

    let bad = dir.path().join("bad.wasm");
    std::fs::write(&bad, b"not wasm at all").unwrap();
    let out = inspect(&bad, "table");
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("this host would NOT load it: not a valid WebAssembly component"),
        "{text}"
    );
}
