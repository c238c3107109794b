//! `aiops scan --source azure` and `aiops collect --source azure` end to end: the binary
//! against the ARM + HTTPS Entra stand-in serving the estate of
//! `local-dev/inventory/azure.json`, with the real client-secret credential (secret from
//! the environment). Faults (down, slow, throttled, malformed) beside a snapshot source:
//! the scan finishes, names `azure`, and the other source's findings are complete.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::Ordering;
use std::time::Duration;

use aiops_standins::arm::{self, ArmServer, Estate};
use serde_json::Value;

const AZURE_PLUGIN: &str = "    azure-monitor:\n      config: {default_action_group_id: \"/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/monitoring/providers/microsoft.insights/actionGroups/ops-oncall\"}\n";
const AWS_PLUGINS: &str = "    aws-rds-mysql:\n      config: {today: \"2026-11-25\"}\n    aws-kinesis-shards:\n      config: {min_retention_hours: 48}\n";

fn repo() -> PathBuf {
    aiops_standins::repo_root()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `(rule, resource id, hint)` rows of an expected-findings table whose rule starts with
/// `prefix`, sorted.
fn expected(file: &str, prefix: &str) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    let mut rows: Vec<_> = text
        .lines()
        .filter(|l| l.starts_with(&format!("| `{prefix}")))
        .map(|l| {
            let c: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            (c[0].clone(), c[2].clone(), c[4].clone())
        })
        .collect();
    rows.sort();
    rows
}

/// `(rule, resource id)` of the rows of [`expected`].
fn without_hints(rows: Vec<(String, String, String)>) -> Vec<(String, String)> {
    rows.into_iter().map(|(rule, id, _)| (rule, id)).collect()
}

fn found(stdout: &[u8], prefix: &str) -> Vec<(String, String, String)> {
    let findings: Vec<Value> = serde_json::from_slice(stdout).unwrap();
    let mut rows: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with(prefix))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["resource"]["id"].as_str().unwrap().to_string(),
                f["remediation"]["summary"]
                    .as_str()
                    .unwrap_or("none")
                    .to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

struct Run {
    server: ArmServer,
    dir: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Run {
    fn new() -> Run {
        let estate = Estate::from_snapshot(&repo().join("local-dev/inventory/azure.json"), 2);
        Run {
            server: ArmServer::start(estate),
            dir: tempfile::tempdir().unwrap(),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    /// A config with the plugin settings of the fixtures and an azure section pointing at
    /// the stand-in; `extra` adds lines to the azure section.
    fn config(&self, endpoint: &str, extra: &str) -> PathBuf {
        let ca = self.server.write_ca(self.dir.path());
        let id = &self.server.identity;
        let yaml = format!(
            "plugins:\n  settings:\n{AZURE_PLUGIN}{AWS_PLUGINS}collectors:\n  azure:\n    \
             credential: client-secret\n    tenant_id: {}\n    client_id: {}\n    \
             client_secret_env: AIOPS_TEST_AZURE_SECRET\n    authority_host: {}\n    \
             ca_file: {}\n    endpoint: {endpoint}\n    \
             retry: {{max_attempts: 3, base_delay_ms: 10, max_delay_ms: 1500}}\n{extra}",
            id.tenant,
            id.client_id,
            self.server.authority,
            ca.display()
        );
        let path = self.dir.path().join("aiops.yaml");
        std::fs::write(&path, yaml).unwrap();
        path
    }

    fn aiops(&self, config: &Path, args: &[&str], log: &str) -> Output {
        self.aiops_with(config, args, log, &[])
    }

    fn aiops_with(&self, config: &Path, args: &[&str], log: &str, env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_aiops"))
            .args(args)
            .arg("--config")
            .arg(config)
            .current_dir(repo())
            .env("AIOPS_CACHE_DIR", self.cache.path())
            .env(
                "AIOPS_TEST_AZURE_SECRET",
                &self.server.identity.client_secret,
            )
            .env("RUST_LOG", log)
            .env_remove("AZURE_CLIENT_SECRET")
            .env_remove("AZURE_FEDERATED_TOKEN_FILE")
            .env_remove("AZURE_TENANT_ID")
            .env_remove("AZURE_CLIENT_ID")
            .env_remove("IDENTITY_ENDPOINT")
            .env_remove("IDENTITY_HEADER")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    }
}

#[test]
fn scan_source_azure_reports_the_fixture_findings() {
    let run = Run::new();
    let config = run.config(&run.server.endpoint, "");
    let out = run.aiops(
        &config,
        &["scan", "--source", "azure", "--format", "json"],
        "trace",
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let want = expected("local-dev/inventory/AZURE-EXPECTED.md", "azure.");
    assert_eq!(want.len(), 7, "AZURE-EXPECTED.md table parsed");
    assert_eq!(found(&out.stdout, "azure."), want);
    // Logging at its most verbose, and still no secret and no token shows.
    assert!(err.contains("TRACE"), "trace logs expected: {err}");
    assert!(!err.contains(&run.server.identity.client_secret), "{err}");
    assert!(!err.contains(arm::ACCESS_TOKEN), "{err}");
    assert_eq!(run.server.faults.token_requests.load(Ordering::SeqCst), 1);
}

#[test]
fn auto_credential_uses_the_app_service_managed_identity() {
    let run = Run::new();
    let yaml = format!(
        "plugins:\n  settings:\n{AZURE_PLUGIN}collectors:\n  azure:\n    credential: auto\n    \
         endpoint: {}\n",
        run.server.endpoint
    );
    let config = run.dir.path().join("mi.yaml");
    std::fs::write(&config, yaml).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let out = run.aiops_with(
        &config,
        &["scan", "--source", "azure", "--format", "json"],
        "warn",
        &[
            ("IDENTITY_ENDPOINT", &run.server.identity_endpoint),
            ("IDENTITY_HEADER", arm::IDENTITY_HEADER),
            // No `az` to find, no secret, no federated token: managed identity it is.
            ("PATH", empty.path().to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let want = expected("local-dev/inventory/AZURE-EXPECTED.md", "azure.");
    assert_eq!(found(&out.stdout, "azure."), want);
    assert!(!stderr(&out).contains(arm::IDENTITY_HEADER));
    assert_eq!(run.server.faults.token_requests.load(Ordering::SeqCst), 1);
}

#[test]
fn auto_credential_uses_the_azure_cli_when_installed() {
    use std::os::unix::fs::PermissionsExt;
    let run = Run::new();
    let yaml = format!(
        "plugins:\n  settings:\n{AZURE_PLUGIN}collectors:\n  azure:\n    credential: auto\n    \
         endpoint: {}\n",
        run.server.endpoint
    );
    let config = run.dir.path().join("cli.yaml");
    std::fs::write(&config, yaml).unwrap();
    // An `az` that answers `az account get-access-token -o json --scope SCOPE` as the
    // Azure CLI (2.54+) does, and fails for anything else.
    let bin = tempfile::tempdir().unwrap();
    let az = bin.path().join("az");
    std::fs::write(
        &az,
        format!(
            "#!/bin/sh\ncase \"$*\" in\n  \"account get-access-token -o json --scope {}/.default\") ;;\n  \
             *) echo \"ERROR: unexpected arguments: $*\" >&2; exit 1 ;;\nesac\n\
             echo '{{\"accessToken\": \"{}\", \"expiresOn\": \"2099-01-01 00:00:00.000000\", \
             \"expires_on\": 4070908800, \"subscription\": \"6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f\", \
             \"tenant\": \"{}\", \"tokenType\": \"Bearer\"}}'\n",
            run.server.endpoint,
            arm::ACCESS_TOKEN,
            run.server.identity.tenant
        ),
    )
    .unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    let out = run.aiops_with(
        &config,
        &["scan", "--source", "azure", "--format", "json"],
        "warn",
        &[("PATH", &path)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let want = expected("local-dev/inventory/AZURE-EXPECTED.md", "azure.");
    assert_eq!(found(&out.stdout, "azure."), want);
}

#[test]
fn collect_source_azure_writes_the_fixture_inventory() {
    let run = Run::new();
    let config = run.config(&run.server.endpoint, "");
    let output = run.dir.path().join("azure.json");
    let out = run.aiops(
        &config,
        &[
            "collect",
            "--source",
            "azure",
            "--output",
            output.to_str().unwrap(),
        ],
        "warn",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let read = |path: &Path| -> Vec<Value> {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut resources: Vec<Value> = v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut r = r.clone();
                // Compare raw as JSON (key order is not part of the format); no labels
                // and empty labels mean the same.
                r["raw"] = serde_json::from_str(r["raw"].as_str().unwrap()).unwrap();
                if r["labels"] == serde_json::json!([]) {
                    r.as_object_mut().unwrap().remove("labels");
                }
                r
            })
            .collect();
        resources.sort_by_key(|r| r["id"].as_str().unwrap().to_string());
        resources
    };
    assert_eq!(
        read(&output),
        read(&repo().join("local-dev/inventory/azure.json"))
    );
    assert!(
        stderr(&out).contains("3 azure.compute.vm"),
        "{}",
        stderr(&out)
    );
}

/// Scans azure (broken as `break_it` says) beside the AWS snapshot: exit 3, stderr names
/// azure, and the AWS findings are complete.
fn assert_azure_fault_is_isolated(
    endpoint: Option<&str>,
    extra: &str,
    break_it: impl Fn(&ArmServer),
) -> String {
    let run = Run::new();
    break_it(&run.server);
    // Another endpoint: the token still comes from the stand-in, for its audience.
    let extra = match endpoint {
        Some(_) => format!("{extra}    audience: {}\n", run.server.endpoint),
        None => extra.to_string(),
    };
    let config = run.config(endpoint.unwrap_or(&run.server.endpoint), &extra);
    let out = run.aiops(
        &config,
        &[
            "scan",
            "--source",
            "azure",
            "--source",
            "snapshot:local-dev/inventory/aws.json",
            "--format",
            "json",
        ],
        "warn",
    );
    let err = stderr(&out);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("error: azure: "), "{err}");
    assert!(!err.contains(&run.server.identity.client_secret), "{err}");
    // EXPECTED.md describes the AWS hints in words: compare rule and resource.
    let want = without_hints(expected("local-dev/inventory/EXPECTED.md", "aws."));
    assert_eq!(want.len(), 19, "EXPECTED.md table parsed");
    assert_eq!(without_hints(found(&out.stdout, "aws.")), want);
    err
}

#[test]
fn azure_down_is_reported_and_aws_findings_are_complete() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let err = assert_azure_fault_is_isolated(Some(&closed), "", |_| {});
    assert!(err.contains("GET /subscriptions"), "{err}");
}

#[test]
fn azure_slower_than_its_timeout_is_cut_off_and_aws_findings_are_complete() {
    let err = assert_azure_fault_is_isolated(None, "    timeout_seconds: 2\n", |server| {
        *server.faults.delay.lock().unwrap() = Duration::from_secs(30);
    });
    assert!(err.contains("azure: timed out after 2s"), "{err}");
}

#[test]
fn azure_throttled_beyond_its_retries_is_reported_and_aws_findings_are_complete() {
    let err = assert_azure_fault_is_isolated(None, "", |server| {
        *server.faults.throttle_always.lock().unwrap() = true;
    });
    assert!(err.contains("HTTP 429 TooManyRequests"), "{err}");
}

#[test]
fn azure_malformed_json_is_reported_and_aws_findings_are_complete() {
    let err = assert_azure_fault_is_isolated(None, "", |server| {
        *server.faults.malformed.lock().unwrap() = Some("/subscriptions".into());
    });
    assert!(err.contains("malformed response"), "{err}");
}
