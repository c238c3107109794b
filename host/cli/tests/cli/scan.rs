//! The `aiops` binary end to end: the local-dev fixtures through the real wasm plugins,
//! report formats, exit codes and one-line errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    aiops_standins::repo_root()
}

fn aiops(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aiops"))
        .args(args)
        .current_dir(repo())
        .env("AIOPS_CACHE_DIR", cache)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Rows of the expected-findings table in an EXPECTED.md whose first cell starts with
/// `prefix` (e.g. `k8s.`), as trimmed cells without backticks.
fn expected_rows(file: &str, prefix: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    text.lines()
        .filter(|l| l.starts_with(&format!("| `{prefix}")))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect()
}

/// Findings in `local-dev/manifests/EXPECTED.md`: 16 of k8s-resources, 16 of k8s-workloads.
const MANIFEST_FINDINGS: usize = 32;

/// The container of a JSON finding, `-` when it is about the whole object (as the
/// EXPECTED tables write it).
fn container(f: &Value) -> String {
    f["resource"]["container"]
        .as_str()
        .unwrap_or("-")
        .to_string()
}

/// The plugin that owns a rule id, by its prefix.
fn plugin_of(rule: &str) -> &'static str {
    if rule.starts_with("k8s.resources.") {
        "k8s-resources"
    } else if rule.starts_with("k8s.workloads.") {
        "k8s-workloads"
    } else {
        panic!("unexpected rule {rule}")
    }
}

/// `(rule, resource id, container)` rows of local-dev/manifests/EXPECTED.md (both
/// Kubernetes detectors), sorted.
fn expected_findings() -> Vec<(String, String, String)> {
    let mut rows: Vec<_> = expected_rows("local-dev/manifests/EXPECTED.md", "k8s.")
        .into_iter()
        .map(|c| (c[0].clone(), c[2].clone(), c[3].clone()))
        .collect();
    rows.sort();
    rows
}

#[test]
fn scans_local_dev_fixtures_with_exact_findings_as_json() {
    let cache = tempfile::tempdir().unwrap();
    let out = aiops(
        &[
            "scan",
            "--manifests",
            "local-dev/manifests",
            "--format",
            "json",
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut got: Vec<(String, String, String)> = findings
        .iter()
        .map(|f| {
            assert_eq!(f["plugin"], plugin_of(f["rule"].as_str().unwrap()), "{f}");
            assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()));
            assert!(
                f["location"]["file"]
                    .as_str()
                    .unwrap()
                    .starts_with("local-dev/manifests/")
            );
            (
                f["rule"].as_str().unwrap().to_string(),
                f["resource"]["id"].as_str().unwrap().to_string(),
                container(f),
            )
        })
        .collect();
    got.sort();
    let expected = expected_findings();
    assert_eq!(
        expected.len(),
        MANIFEST_FINDINGS,
        "EXPECTED.md table parsed"
    );
    assert_eq!(got, expected);
    let plugins: std::collections::BTreeSet<_> = findings
        .iter()
        .map(|f| f["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(plugins.len(), 2, "both detectors report: {plugins:?}");
    let cart = findings
        .iter()
        .find(|f| {
            f["resource"]["name"] == "cart" && f["rule"] == "k8s.resources.limit-below-request"
        })
        .unwrap();
    assert_eq!(cart["severity"], "high");
    assert_eq!(cart["resource"]["kind"], "Deployment");
    assert_eq!(cart["resource"]["namespace"], "shop");
    // A k8s-workloads hint survives the wasm boundary as a JSON-pointer change.
    let search = findings
        .iter()
        .find(|f| {
            f["resource"]["name"] == "search"
                && f["rule"] == "k8s.workloads.single-replica-without-pdb"
        })
        .unwrap();
    assert_eq!(search["severity"], "medium");
    assert_eq!(
        search["remediation"]["changes"],
        serde_json::json!([{"path": "/spec/replicas", "current": null, "proposed": "2"}])
    );
    assert_eq!(
        search["location"]["file"],
        "local-dev/manifests/95-search.yaml"
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    let cache = tempfile::tempdir().unwrap();
    let high = aiops(
        &[
            "scan",
            "--manifests",
            "local-dev/manifests",
            "--fail-on",
            "high",
        ],
        cache.path(),
    );
    assert_eq!(high.status.code(), Some(1), "{}", stderr(&high));
    let critical = aiops(
        &[
            "scan",
            "--manifests",
            "local-dev/manifests",
            "--fail-on",
            "critical",
        ],
        cache.path(),
    );
    assert_eq!(critical.status.code(), Some(0), "{}", stderr(&critical));
}

#[test]
fn sarif_output_points_at_files_and_lines() {
    let cache = tempfile::tempdir().unwrap();
    let out = aiops(
        &[
            "scan",
            "--manifests",
            "local-dev/manifests",
            "--format",
            "sarif",
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), MANIFEST_FINDINGS);
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with("local-dev/manifests/")
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let rules = |prefix: &str| -> Vec<String> {
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["id"].as_str())
            .filter(|id| id.starts_with(prefix))
            .map(str::to_string)
            .collect()
    };
    let resources = rules("k8s.resources.");
    assert_eq!(
        resources.len(),
        6,
        "every k8s-resources rule is described: {resources:?}"
    );
    let workloads = rules("k8s.workloads.");
    assert_eq!(
        workloads.len(),
        10,
        "every k8s-workloads rule is described: {workloads:?}"
    );
}

#[test]
fn missing_directory_is_a_one_line_error() {
    let cache = tempfile::tempdir().unwrap();
    let out = aiops(&["scan", "--manifests", "no/such/dir"], cache.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no/such/dir"), "{err}");
}

#[test]
fn unparseable_yaml_names_file_and_line_and_the_scan_goes_on() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "kind: Pod\nmetadata:\n\tname: tab-indented\nspec: {}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("good.yaml"),
        "kind: Pod\nmetadata: {name: fine, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: x:1\n",
    )
    .unwrap();
    let out = aiops(
        &[
            "scan",
            "--manifests",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
        ],
        cache.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "incomplete scan: {}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(err.contains("bad.yaml:3"), "{err}");
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules
            .iter()
            .filter(|r| r.starts_with("k8s.resources."))
            .count(),
        4,
        "the good pod misses requests and limits: {rules:?}"
    );
    assert_eq!(
        rules
            .iter()
            .filter(|r| r.starts_with("k8s.workloads."))
            .count(),
        2,
        "and both probes: {rules:?}"
    );
    assert!(
        findings
            .iter()
            .all(|f| f["resource"]["id"] == "k8s/Pod/shop/fine")
    );
}

#[test]
fn bad_plugin_in_directory_is_reported_and_builtins_still_run() {
    let cache = tempfile::tempdir().unwrap();
    let plugins = tempfile::tempdir().unwrap();
    std::fs::write(plugins.path().join("broken.wasm"), b"not wasm").unwrap();
    let out = aiops(
        &[
            "scan",
            "--manifests",
            "local-dev/manifests",
            "--plugins",
            plugins.path().to_str().unwrap(),
            "--format",
            "json",
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("broken.wasm: failed to load: not a valid WebAssembly component"),
        "{}",
        stderr(&out)
    );
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings.len(), MANIFEST_FINDINGS);
}

#[test]
fn plugins_lists_builtin_with_rules() {
    let cache = tempfile::tempdir().unwrap();
    let out = aiops(&["plugins"], cache.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("k8s-resources 0.1.0 [detector] builtin:k8s-resources — loaded"),
        "{text}"
    );
    assert!(text.contains("k8s.resources.limit-request-ratio"), "{text}");
    assert!(
        text.contains("k8s-workloads 0.1.0 [detector] builtin:k8s-workloads — loaded"),
        "{text}"
    );
    for rule in [
        "k8s.workloads.single-replica-without-pdb",
        "k8s.workloads.liveness-probe-missing",
        "k8s.workloads.readiness-probe-missing",
        "k8s.workloads.image-tag-mutable",
        "k8s.workloads.image-pull-policy-unset",
        "k8s.workloads.request-above-usage",
        "k8s.workloads.usage-near-limit",
        "k8s.workloads.namespace-without-limitrange",
        "k8s.workloads.namespace-without-resourcequota",
        "k8s.workloads.hpa-min-equals-max",
    ] {
        assert!(text.contains(rule), "{rule} listed: {text}");
    }
}

#[test]
fn malformed_config_names_file_and_key() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("aiops.yaml");
    std::fs::write(&config, "plugins:\n  limits:\n    timeout: 5\n").unwrap();
    let out = aiops(
        &[
            "scan",
            "--manifests",
            "local-dev/manifests",
            "--config",
            config.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("aiops.yaml") && err.contains("timeout"),
        "{err}"
    );
}

#[test]
fn config_overrides_severity_and_disables_rules() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("aiops.yaml");
    std::fs::write(
        &config,
        "plugins:\n  settings:\n    k8s-resources:\n      severity: {k8s.resources.cpu-limit-missing: critical}\n      disabled_rules: [k8s.resources.limit-request-ratio]\n",
    )
    .unwrap();
    let out = aiops(
        &[
            "scan",
            "--manifests",
            "local-dev/manifests",
            "--format",
            "json",
            "--config",
            config.to_str().unwrap(),
        ],
        cache.path(),
    );
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings.len(), MANIFEST_FINDINGS - 2);
    assert!(
        findings
            .iter()
            .all(|f| f["rule"] != "k8s.resources.limit-request-ratio")
    );
    let cpu_limit: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "k8s.resources.cpu-limit-missing")
        .collect();
    assert_eq!(cpu_limit.len(), 4);
    assert!(cpu_limit.iter().all(|f| f["severity"] == "critical"));
}

#[test]
fn collected_snapshot_replays_to_the_same_findings() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("inventory.json");
    let out = aiops(
        &[
            "collect",
            "--source",
            "manifests:local-dev/manifests",
            "--output",
            snapshot.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Deployment"),
        "counts per kind: {}",
        stderr(&out)
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&snapshot).unwrap()).unwrap();
    assert_eq!(doc["format"], "aiops.inventory/v1");
    assert_eq!(doc["sources"][0], "manifests:local-dev/manifests");

    let findings_of = |args: &[&str]| -> Vec<(String, String, String)> {
        let out = aiops(args, cache.path());
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        let mut rows: Vec<_> = findings
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["resource"]["id"].as_str().unwrap().to_string(),
                    container(f),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let replayed = findings_of(&[
        "scan",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let via_source = findings_of(&[
        "scan",
        "--source",
        "manifests:local-dev/manifests",
        "--format",
        "json",
    ]);
    assert_eq!(replayed, expected_findings());
    assert_eq!(via_source, expected_findings());
}

#[test]
fn unknown_source_is_refused_naming_it() {
    let cache = tempfile::tempdir().unwrap();
    let out = aiops(&["scan", "--source", "gcp"], cache.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("source `gcp`") && err.contains("k8s, aws, azure"),
        "{err}"
    );
}

/// Scans snapshot `fixture` with `config_yaml`, asserts exactly the `(rule, resource)`
/// rows of the `prefix` table in `expected_file` (`count` of them), and returns the
/// findings as JSON.
fn assert_snapshot_fixture(
    fixture: &str,
    config_yaml: &str,
    expected_file: &str,
    prefix: &str,
    count: usize,
) -> Vec<Value> {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("aiops.yaml");
    std::fs::write(&config, config_yaml).unwrap();
    let out = aiops(
        &[
            "scan",
            "--snapshot",
            fixture,
            "--format",
            "json",
            "--config",
            config.to_str().unwrap(),
        ],
        cache.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut got: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["resource"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut expected: Vec<(String, String)> = expected_rows(expected_file, prefix)
        .into_iter()
        .map(|c| (c[0].clone(), c[2].clone()))
        .collect();
    expected.sort();
    assert_eq!(expected.len(), count, "{expected_file} table parsed");
    assert_eq!(got, expected);
    findings
}

#[test]
fn scans_aws_snapshot_fixture_with_exact_findings_through_wasm() {
    assert_snapshot_fixture(
        "local-dev/inventory/aws.json",
        "plugins:\n  settings:\n    aws-rds-mysql:\n      config: {today: \"2026-11-25\"}\n    aws-kinesis-shards:\n      config: {min_retention_hours: 48}\n",
        "local-dev/inventory/EXPECTED.md",
        "aws.",
        19,
    );
}

#[test]
fn scans_azure_snapshot_fixture_with_exact_findings_through_wasm() {
    assert_snapshot_fixture(
        "local-dev/inventory/azure.json",
        "plugins:\n  settings:\n    azure-monitor:\n      config: {default_action_group_id: \"/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/monitoring/providers/microsoft.insights/actionGroups/ops-oncall\"}\n",
        "local-dev/inventory/AZURE-EXPECTED.md",
        "azure.",
        7,
    );
}

#[test]
fn scans_k8s_usage_snapshot_with_exact_findings_and_hints_through_wasm() {
    let findings = assert_snapshot_fixture(
        "local-dev/inventory/k8s-usage.json",
        "plugins:\n  settings: {}\n",
        "local-dev/inventory/k8s-usage-EXPECTED.md",
        "k8s.",
        4,
    );
    assert!(findings.iter().all(|f| f["plugin"] == "k8s-workloads"));
    let mut hints: Vec<(String, String, Value, Value)> = findings
        .iter()
        .map(|f| {
            let change = &f["remediation"]["changes"][0];
            (
                f["resource"]["id"].as_str().unwrap().to_string(),
                change["path"].as_str().unwrap().to_string(),
                change["current"].clone(),
                change["proposed"].clone(),
            )
        })
        .collect();
    hints.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let row = |id: &str, path: &str, current: &str, proposed: &str| {
        (
            id.to_string(),
            path.to_string(),
            Value::from(current),
            Value::from(proposed),
        )
    };
    const CONTAINER: &str = "/spec/template/spec/containers/0/resources";
    assert_eq!(
        hints,
        [
            row(
                "k8s/Deployment/payments/gateway",
                &format!("{CONTAINER}/limits/cpu"),
                "\"1\"",
                "\"1400m\""
            ),
            row(
                "k8s/Deployment/payments/ledger",
                &format!("{CONTAINER}/limits/memory"),
                "\"4Gi\"",
                "\"5888Mi\""
            ),
            row(
                "k8s/Deployment/payments/ledger",
                &format!("{CONTAINER}/requests/cpu"),
                "\"2\"",
                "\"380m\""
            ),
            row(
                "k8s/StatefulSet/payments/reconciler",
                &format!("{CONTAINER}/requests/memory"),
                "\"2Gi\"",
                "\"360Mi\""
            ),
        ]
    );
}

/// Runs a scan of the local-dev manifests in `format` and returns its stdout.
fn scan_local_dev_manifests(format: &str, cache: &Path) -> String {
    let out = aiops(
        &[
            "scan",
            "--manifests",
            "local-dev/manifests",
            "--format",
            format,
        ],
        cache,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn table_location_column_is_file_and_line_relative_to_the_scanned_directory() {
    let cache = tempfile::tempdir().unwrap();
    let findings: Vec<Value> =
        serde_json::from_str(&scan_local_dev_manifests("json", cache.path())).unwrap();
    let table = scan_local_dev_manifests("table", cache.path());
    let header = table.lines().next().unwrap();
    let column = header.find("LOCATION").expect("a location column");
    let message = header.find("MESSAGE").unwrap();
    let mut locations: Vec<String> = table
        .lines()
        .skip(1)
        .take(MANIFEST_FINDINGS)
        .map(|row| row[column..message].trim_end().to_string())
        .collect();
    locations.sort();
    let mut expected: Vec<String> = findings
        .iter()
        .map(|f| {
            let file = f["location"]["file"].as_str().unwrap();
            let file = file.strip_prefix("local-dev/manifests/").unwrap();
            format!("{file}:{}", f["location"]["line"])
        })
        .collect();
    expected.sort();
    assert_eq!(locations, expected, "{table}");
    assert!(
        locations.iter().any(|l| l.starts_with("20-cart.yaml:")),
        "{locations:?}"
    );
}

#[test]
fn policyreport_output_is_one_report_per_namespace_valid_against_the_crd_schema() {
    let schema: Value = serde_json::from_str(include_str!(
        "../../../engine/src/report/testdata/openreports-v1alpha1.schema.json"
    ))
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let findings: Vec<Value> =
        serde_json::from_str(&scan_local_dev_manifests("json", cache.path())).unwrap();
    let list: Value =
        serde_json::from_str(&scan_local_dev_manifests("policyreport", cache.path())).unwrap();
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().unwrap();
    let mut namespaces: Vec<&str> = findings
        .iter()
        .filter_map(|f| f["resource"]["namespace"].as_str())
        .collect();
    namespaces.sort();
    namespaces.dedup();
    let reports: Vec<&str> = items
        .iter()
        .filter(|i| i["kind"] == "Report")
        .map(|i| i["metadata"]["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(
        reports, namespaces,
        "one Report per namespace, in name order"
    );
    assert_eq!(items.last().unwrap()["kind"], "ClusterReport");
    let mut results = 0;
    for item in items {
        assert_eq!(item["apiVersion"], "openreports.io/v1alpha1");
        let errors: Vec<String> = validator
            .iter_errors(item)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let fails = item["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["result"] == "fail")
            .count();
        assert_eq!(item["summary"]["fail"], fails);
        results += fails;
        for r in item["results"].as_array().unwrap() {
            assert_eq!(r["policy"], plugin_of(r["rule"].as_str().unwrap()), "{r}");
            assert_eq!(
                r["resources"][0]["namespace"], item["metadata"]["namespace"],
                "{r}"
            );
        }
    }
    assert_eq!(results, MANIFEST_FINDINGS);
    let cart = items
        .iter()
        .filter(|i| i["metadata"]["namespace"] == "shop")
        .flat_map(|i| i["results"].as_array().unwrap())
        .find(|r| {
            r["resources"][0]["name"] == "cart" && r["rule"] == "k8s.resources.limit-below-request"
        })
        .expect("the cart finding in the shop Report");
    assert_eq!(cart["severity"], "high");
    assert_eq!(cart["resources"][0]["kind"], "Deployment");
    assert!(
        cart["properties"]["location"]
            .as_str()
            .unwrap()
            .starts_with("20-cart.yaml:")
    );
}

/// The line a first run prints on a terminal while the built-ins compile.
const COMPILE_NOTICE: &str = "compiling built-in plugins (first run)";

/// Runs `aiops scan` on the local-dev manifests under a pseudo-terminal (util-linux
/// `script`), returning what the terminal showed (stdout and stderr).
fn scan_on_a_terminal(cache: &Path) -> String {
    let command = format!(
        "{} scan --manifests local-dev/manifests",
        env!("CARGO_BIN_EXE_aiops")
    );
    let out = Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .current_dir(repo())
        .env("AIOPS_CACHE_DIR", cache)
        .env_remove("RUST_LOG")
        .output()
        .expect("util-linux `script` runs a command under a pseudo-terminal");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn first_run_says_it_compiles_the_builtins_on_a_terminal_only() {
    let cache = tempfile::tempdir().unwrap();
    let first = scan_on_a_terminal(cache.path());
    assert_eq!(first.matches(COMPILE_NOTICE).count(), 1, "{first}");
    assert!(
        first.find(COMPILE_NOTICE) < first.find("SEVERITY"),
        "before the report: {first}"
    );
    let second = scan_on_a_terminal(cache.path());
    assert!(second.contains("SEVERITY"), "{second}");
    assert!(!second.contains(COMPILE_NOTICE), "cached: {second}");
    let piped_cache = tempfile::tempdir().unwrap();
    let piped = aiops(
        &["scan", "--manifests", "local-dev/manifests"],
        piped_cache.path(),
    );
    assert_eq!(piped.status.code(), Some(0), "{}", stderr(&piped));
    assert!(
        !stderr(&piped).contains(COMPILE_NOTICE),
        "not a terminal: {}",
        stderr(&piped)
    );
    assert!(
        std::fs::read_dir(piped_cache.path()).unwrap().any(|e| e
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "cwasm")),
        "the piped run compiled too"
    );
}
