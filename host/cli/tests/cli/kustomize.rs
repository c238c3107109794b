//! `aiops scan` on a repository laid out like real ones (`tests/fixtures/repos/shop`):
//! Kustomize overlays rendered and judged once, Helm templates and non-Kubernetes YAML
//! left alone, the scan complete; without `kubectl` or `kustomize` the raw files with a
//! note; findings located at the base file or at the patch that set the field, and
//! `--fix` editing that file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    aiops_standins::repo_root()
}

fn shop() -> PathBuf {
    workspace().join("tests/fixtures/repos/shop")
}

/// Compiled components are cached once for all tests of this file.
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("kustomize-cli-cache")
}

fn aiops(args: &[&str], path: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_aiops"));
    command
        .args(args)
        .current_dir(workspace())
        .env("AIOPS_CACHE_DIR", cache())
        .env_remove("RUST_LOG");
    if let Some(path) = path {
        command.env("PATH", path);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `(rule, resource id, location file)` of each finding of a JSON report.
fn findings(report: &Path) -> Vec<(String, String, String)> {
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let field = |f: &serde_json::Value, p: &str| {
        f.pointer(p)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    report
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                field(f, "/rule"),
                field(f, "/resource/id"),
                field(f, "/location/file"),
            )
        })
        .collect()
}

/// A copy of the fixture repository in a temporary directory.
fn shop_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("shop");
    let status = Command::new("cp")
        .arg("-r")
        .arg(shop())
        .arg(&root)
        .status()
        .unwrap();
    assert!(status.success());
    (dir, root)
}

fn triple(rule: &str, id: &str, file: &str) -> (String, String, String) {
    (rule.into(), id.into(), file.into())
}

#[test]
fn a_repository_with_overlays_a_chart_and_ci_files_scans_complete_each_object_once() {
    let out = aiops(&["scan", "--manifests", "tests/fixtures/repos/shop"], None);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    // Helm values, Chart.yaml, cloudbuild.yaml, app config and a tsconfig.json with
    // comments make no problem: exit 0, not 3.
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stdout.contains("input problem"), "{stdout}");
    // Two overlays' Deployment and Service; the base is not judged again on its own.
    assert!(stdout.contains(" in 4 resources\n"), "{stdout}");
    assert!(
        stdout.contains("skipped 5 non-Kubernetes documents\n"),
        "{stdout}"
    );
    let chart_notes: Vec<_> = stderr
        .lines()
        .filter(|l| l.contains("Helm chart"))
        .collect();
    assert_eq!(chart_notes.len(), 1, "{stderr}");
    assert!(chart_notes[0].contains("charts/shop"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = aiops(
        &[
            "scan",
            "--manifests",
            "tests/fixtures/repos/shop",
            "--format",
            "json",
            "-o",
            report.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let base = "tests/fixtures/repos/shop/deploy/base/web.yaml";
    let patch = "tests/fixtures/repos/shop/deploy/overlays/prod/patches/web.yaml";
    assert_eq!(
        findings(&report),
        [
            // prod's patch set the cpu limit below the base's request: located at the patch.
            triple(
                "k8s.resources.limit-below-request",
                "k8s/Deployment/prod/web",
                patch
            ),
            // staging deploys the base unchanged: located at the base file, once each.
            triple(
                "k8s.resources.cpu-limit-missing",
                "k8s/Deployment/staging/web",
                base
            ),
            triple(
                "k8s.resources.memory-limit-missing",
                "k8s/Deployment/staging/web",
                base
            ),
        ]
    );
}

#[test]
fn fix_edits_the_patch_that_set_the_field_and_the_base_for_the_rest() {
    let (_dir, repo) = shop_copy();
    let repo_arg = repo.to_str().unwrap();
    let patch = repo.join("deploy/overlays/prod/patches/web.yaml");
    let base = repo.join("deploy/base/web.yaml");
    let (patch_before, base_before) = (
        std::fs::read_to_string(&patch).unwrap(),
        std::fs::read_to_string(&base).unwrap(),
    );
    let args = ["scan", "--manifests", repo_arg, "--fix", "--repo", repo_arg];
    let out = aiops(&args, None);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let fixed = |resource: &str, rule: &str, file: &str| {
        let line = format!("fix: {resource} {rule} [web]: fixed by k8s-manifests in {file}");
        assert!(stderr.lines().any(|l| l == line), "{line}\n{stderr}");
    };
    fixed(
        "k8s/Deployment/prod/web",
        "k8s.resources.limit-below-request",
        "deploy/overlays/prod/patches/web.yaml",
    );
    fixed(
        "k8s/Deployment/staging/web",
        "k8s.resources.memory-limit-missing",
        "deploy/base/web.yaml",
    );
    // The patch's cpu limit is raised to the request, its comment kept; the base
    // gets the memory limit staging lacked, and its cpu request stays.
    let patch_after = std::fs::read_to_string(&patch).unwrap();
    assert_eq!(
        patch_after,
        patch_before.replace("cpu: 50m", "cpu: 100m"),
        "{patch_after}"
    );
    let base_after = std::fs::read_to_string(&base).unwrap();
    assert_eq!(
        base_after,
        format!("{base_before}          limits:\n            memory: 256Mi\n"),
        "{base_after}"
    );
    // Rendered again, prod's finding is gone.
    let out = aiops(&["scan", "--manifests", repo_arg], None);
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("limit-below-request"), "{stdout}");
    assert!(stdout.contains("cpu-limit-missing"), "{stdout}");
}

#[test]
fn without_kubectl_or_kustomize_the_raw_files_are_scanned_with_a_note() {
    let empty = tempfile::tempdir().unwrap();
    let out = aiops(
        &["scan", "--manifests", "tests/fixtures/repos/shop"],
        Some(empty.path()),
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let notes: Vec<_> = stderr
        .lines()
        .filter(|l| l.contains("neither kubectl nor kustomize is on PATH"))
        .collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(notes[0].contains("3 Kustomize root(s)"), "{stderr}");
    // The base's two objects and the prod patch, raw.
    assert!(stdout.contains(" in 3 resources\n"), "{stdout}");
    assert!(
        stdout.contains("skipped 8 non-Kubernetes documents\n"),
        "{stdout}"
    );
}
