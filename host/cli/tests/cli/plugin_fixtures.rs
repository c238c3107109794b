//! `aiops plugin test` on the built-in plugins' own fixtures (each `plugins/NAME/fixtures`
//! with its `expected.json`), on the frozen contract fixtures (components built
//! against `aiops:plugin@0.1.0`, which must keep loading and giving the same output),
//! and its diff, `--update` and missing-file behaviour.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aiops_standins::repo_root;

fn plugin_test(wasm: &Path, fixtures: &Path, update: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aiops"));
    cmd.args(["plugin", "test"])
        .arg(wasm)
        .arg("--fixtures")
        .arg(fixtures)
        .env_remove("RUST_LOG");
    if update {
        cmd.arg("--update");
    }
    cmd.output().unwrap()
}

fn assert_passes(wasm: &Path, fixtures: &Path) {
    let out = plugin_test(wasm, fixtures, false);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} on {}:\n{}{}",
        wasm.display(),
        fixtures.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The embedded built-in `package` written to a file in `dir`.
fn builtin_file(dir: &Path, package: &str) -> PathBuf {
    let (_, bytes) = aiops::builtin::BUILTIN_PLUGINS
        .iter()
        .find(|(name, _)| *name == package)
        .unwrap_or_else(|| panic!("no built-in {package}"));
    let path = dir.join(format!("{}.wasm", package.replace('-', "_")));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn builtin_plugins_pass_their_fixture_tests() {
    let temp = tempfile::tempdir().unwrap();
    let mut tested = Vec::new();
    for (package, _) in aiops::builtin::BUILTIN_PLUGINS {
        let fixtures = repo_root().join("plugins").join(package).join("fixtures");
        if fixtures.is_dir() {
            assert_passes(&builtin_file(temp.path(), package), &fixtures);
            tested.push(*package);
        }
    }
    for package in ["k8s-resources", "k8s-workloads", "k8s-manifests"] {
        assert!(tested.contains(&package), "{package} has no fixtures");
    }
}

#[test]
fn contract_0_1_0_plugins_keep_loading_and_giving_the_same_output() {
    let contract = repo_root().join("tests/fixtures/contract");
    assert_passes(
        &contract.join("detector-0.1.0.wasm"),
        &contract.join("detector"),
    );
    assert_passes(
        &contract.join("remediator-0.1.0.wasm"),
        &contract.join("remediator"),
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn a_difference_is_a_diff_and_update_rewrites_expected_json() {
    let temp = tempfile::tempdir().unwrap();
    let wasm = builtin_file(temp.path(), "k8s-resources");
    let fixtures = temp.path().join("fixtures");
    copy_dir(
        &repo_root().join("plugins/k8s-resources/fixtures"),
        &fixtures,
    );
    let expected = fixtures.join("expected.json");
    let original = std::fs::read_to_string(&expected).unwrap();

    // A severity changed by hand: exit 1, the line shown removed and added.
    let first = original.find("\"severity\": \"").unwrap();
    let severity_line = original[first..].lines().next().unwrap().to_string();
    let edited = original.replacen(&severity_line, "\"severity\": \"critical\",", 1);
    std::fs::write(&expected, &edited).unwrap();
    let out = plugin_test(&wasm, &fixtures, false);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.contains("-      \"severity\": \"critical\","),
        "{diff}"
    );
    assert!(diff.contains(&format!("+      {severity_line}")), "{diff}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("rerun with --update"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // --update writes what the plugin gives: the committed file again.
    let out = plugin_test(&wasm, &fixtures, true);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&expected).unwrap(), original);
    assert_passes(&wasm, &fixtures);

    // No expected.json: exit 1, saying how to write it.
    std::fs::remove_file(&expected).unwrap();
    let out = plugin_test(&wasm, &fixtures, false);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--update` to write it"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
