//! `aiops config schema`: the JSON Schema derived from the config types takes every
//! config file the project ships and refuses what `config check` refuses for its shape
//! (unknown keys, wrong types, unknown sources or severities), naming where.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schema() -> jsonschema::Validator {
    let out = Command::new(env!("CARGO_BIN_EXE_aiops"))
        .args(["config", "schema"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{schema:#}"
    );
    let mut sections: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    sections.sort();
    assert_eq!(
        sections,
        [
            "api",
            "collectors",
            "data_dir",
            "gitops",
            "leader_election",
            "notifications",
            "plugins",
            "policy",
            "schedule",
            "sources",
            "state"
        ]
    );
    assert_eq!(schema["additionalProperties"], false);
    jsonschema::validator_for(&schema).unwrap()
}

fn as_json(yaml: &str) -> Value {
    let value: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
    serde_json::to_value(value).unwrap()
}

fn config_check(dir: &Path, yaml: &str) -> std::process::Output {
    let file = dir.join("aiops.yaml");
    std::fs::write(&file, yaml).unwrap();
    Command::new(env!("CARGO_BIN_EXE_aiops"))
        .args(["config", "check"])
        .arg(&file)
        .output()
        .unwrap()
}

#[test]
fn config_schema_takes_every_shipped_config() {
    let validator = schema();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("config"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    for overlay in std::fs::read_dir(root().join("deploy/kubernetes/overlays")).unwrap() {
        let file = overlay.unwrap().path().join("config.yaml");
        if file.exists() {
            files.push(file);
        }
    }
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let config = as_json(&std::fs::read_to_string(&file).unwrap());
        let errors: Vec<String> = validator
            .iter_errors(&config)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
}

#[test]
fn config_schema_refuses_what_config_check_refuses_and_names_the_key() {
    let validator = schema();
    let dir = tempfile::tempdir().unwrap();
    let good = "sources: [k8s, 'manifests:deploy']\nschedule: {interval: 10m}\nplugins:\n  settings:\n    k8s-workloads: {severity: {k8s-workloads/no-limits: high}}\n";
    assert!(validator.is_valid(&as_json(good)));
    assert_eq!(config_check(dir.path(), good).status.code(), Some(0));
    for (bad, pointer) in [
        ("schedul: {interval: 10m}\n", ""),
        ("api: {listn: '127.0.0.1:1'}\n", "/api"),
        (
            "schedule: {shutdown_grace_seconds: soon}\n",
            "/schedule/shutdown_grace_seconds",
        ),
        ("sources: [kubernetes]\n", "/sources/0"),
        (
            "plugins:\n  settings:\n    k8s-workloads: {severity: {r: urgent}}\n",
            "/plugins/settings/k8s-workloads/severity/r",
        ),
        (
            "policy: {severity: {high: yolo}}\n",
            "/policy/severity/high",
        ),
    ] {
        let errors: Vec<String> = validator
            .iter_errors(&as_json(bad))
            .map(|e| e.instance_path().to_string())
            .collect();
        assert!(
            errors.iter().any(|p| p == pointer),
            "{bad:?}: expected an error at {pointer:?}, got {errors:?}"
        );
        let out = config_check(dir.path(), bad);
        assert_eq!(out.status.code(), Some(2), "config check took {bad:?}");
    }
}
