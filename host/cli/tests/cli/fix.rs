//! `aiops scan --fix` end to end: the local-dev fixtures through the real wasm detector
//! and the real `k8s-manifests` remediator, into a temporary copy of
//! `local-dev/iac-repo`. The expected files are the golden files under
//! `host/cli/tests/golden/iac-repo/` (set `AIOPS_UPDATE_GOLDEN=1` to rewrite them, then
//! review the diff).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    aiops_standins::repo_root()
}

/// Compiled components are cached once for all tests of this file.
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("fix-cli-cache")
}

fn aiops(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aiops"))
        .args(args)
        .current_dir(workspace())
        .env("AIOPS_CACHE_DIR", cache())
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `dir` by relative path (`/`-separated).
fn tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap();
                let rel: Vec<_> = rel
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect();
                out.insert(rel.join("/"), std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

fn iac_repo() -> PathBuf {
    workspace().join("local-dev/iac-repo")
}

/// A temporary copy of `local-dev/iac-repo`, in a directory of its own (so a file
/// written next to the copy would show up too).
fn repo_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("iac-repo");
    for (rel, content) in tree(&iac_repo()) {
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    (dir, root)
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/iac-repo")
}

/// `--fix` over the "cluster" fixture (`local-dev/manifests`) into `repo`.
fn fix_cluster(repo: &Path, dry_run: bool) -> Output {
    let repo = repo.to_str().unwrap();
    let mut args = vec![
        "scan",
        "--manifests",
        "local-dev/manifests",
        "--fix",
        "--repo",
        repo,
    ];
    if dry_run {
        args.push("--dry-run");
    }
    aiops(&args)
}

/// The unified diff part of stdout (after the report table).
fn diff_part(stdout: &str) -> &str {
    stdout.find("--- a/").map_or("", |i| &stdout[i..])
}

/// The lines of stderr that report a fix outcome for `resource` and `rule`.
fn outcome<'a>(stderr: &'a str, resource: &str, rule: &str) -> Vec<&'a str> {
    stderr
        .lines()
        .filter(|l| l.starts_with(&format!("fix: {resource} {rule}")))
        .collect()
}

#[test]
fn fix_writes_exactly_the_golden_files_and_a_second_run_changes_nothing() {
    let (_dir, repo) = repo_copy();
    let before = tree(&repo);
    let out = fix_cluster(&repo, false);
    let stderr = text(&out.stderr);
    // Findings exist at medium and above, but without --fail-on the exit code is 0.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let after = tree(&repo);
    let changed: BTreeMap<&String, &String> = after
        .iter()
        .filter(|(path, content)| before.get(*path) != Some(content))
        .collect();
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "no file is created or removed"
    );

    if std::env::var_os("AIOPS_UPDATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(golden_dir());
        for (path, content) in &changed {
            let file = golden_dir().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, content).unwrap();
        }
    }
    let golden = tree(&golden_dir());
    assert_eq!(
        changed.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
        golden.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
        "the changed files are exactly the golden ones"
    );
    for (path, content) in &changed {
        assert_eq!(
            *content,
            &golden[path.as_str()],
            "{path} differs from its golden file"
        );
    }
    assert!(
        stderr.contains("fix: 15 fixed, 0 already fixed, 17 not fixed; 6 file(s) written"),
        "{stderr}"
    );
    let diff = text(&out.stdout);
    for path in golden.keys() {
        assert!(
            diff.contains(&format!("--- a/{path}\n+++ b/{path}\n")),
            "{diff}"
        );
    }

    // Idempotence: the same findings again, the source already fixed: no edit at all.
    let again = fix_cluster(&repo, false);
    let stderr = text(&again.stderr);
    assert_eq!(diff_part(&text(&again.stdout)), "", "{stderr}");
    assert!(
        stderr.contains("fix: 0 fixed, 15 already fixed, 17 not fixed; 0 file(s) written"),
        "{stderr}"
    );
    assert_eq!(tree(&repo), after);

    // And the fixed base itself: what is left has no fix, nothing changes.
    let base = repo.join("k8s/base");
    let rescan = aiops(&[
        "scan",
        "--manifests",
        base.to_str().unwrap(),
        "--fix",
        "--repo",
        repo.to_str().unwrap(),
    ]);
    let stderr = text(&rescan.stderr);
    assert_eq!(diff_part(&text(&rescan.stdout)), "", "{stderr}");
    assert!(stderr.contains(" 0 fixed, 0 already fixed, "), "{stderr}");
    assert_eq!(tree(&repo), after);
}

#[test]
fn dry_run_prints_the_diff_and_writes_nothing() {
    let (dir, repo) = repo_copy();
    let before = tree(dir.path());
    let out = fix_cluster(&repo, true);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(tree(dir.path()), before, "a dry run writes nothing");
    assert!(
        stderr.contains("dry run, 6 file(s) would change"),
        "{stderr}"
    );
    // The diff is exactly the one between the fixture and the golden files.
    let golden = tree(&golden_dir());
    let original = tree(&iac_repo());
    let expected: String = golden
        .iter()
        .map(|(path, after)| {
            similar::TextDiff::from_lines(&original[path], after)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string()
        })
        .collect();
    assert_eq!(diff_part(&stdout), expected);
    // The report comes first, as without --fix.
    assert!(
        stdout.find("k8s.resources.limit-below-request").unwrap() < stdout.find("--- a/").unwrap()
    );
}

#[test]
fn findings_without_a_fix_are_listed_with_the_reason() {
    let (_dir, repo) = repo_copy();
    let out = fix_cluster(&repo, true);
    let stderr = text(&out.stderr);
    let one = |resource: &str, rule: &str| {
        let lines = outcome(&stderr, resource, rule);
        assert_eq!(lines.len(), 1, "{resource} {rule}: {stderr}");
        lines[0].to_string()
    };
    let reports = one(
        "k8s/Deployment/shop/reports",
        "k8s.resources.limit-below-request",
    );
    assert!(
        reports.contains("not fixed (k8s-manifests)")
            && reports.contains("k8s/base/reports.json")
            && reports.contains("JSON"),
        "{reports}"
    );
    let debug = one(
        "k8s/Pod/shop/debug-shell",
        "k8s.resources.cpu-request-missing",
    );
    assert!(
        debug.contains("no YAML document in the IaC repository defines Pod shop/debug-shell"),
        "{debug}"
    );
    let postgres = one(
        "k8s/StatefulSet/shop/postgres",
        "k8s.resources.cpu-limit-missing",
    );
    assert!(
        postgres.contains("carries no remediation hint"),
        "{postgres}"
    );
    let log = one(
        "k8s/DaemonSet/shop/log-shipper",
        "k8s.resources.limit-request-ratio",
    );
    assert!(
        log.contains("fixed by k8s-manifests in k8s/overlays/prod/patches/log-shipper.yaml"),
        "{log}"
    );
}

/// Splits a YAML line into (text before the value, text from a trailing comment on).
fn around_value(line: &str) -> (&str, &str) {
    let start = line.find(": ").map_or(line.len(), |i| i + 2);
    let end = line[start..].find(" #").map_or(line.len(), |i| start + i);
    (&line[..start], &line[end..])
}

#[test]
fn golden_files_differ_from_the_fixture_only_in_edited_values_and_added_keys() {
    let original = tree(&iac_repo());
    let golden = tree(&golden_dir());
    assert!(!golden.is_empty());
    for (path, after) in &golden {
        let before = &original[path];
        let diff = similar::TextDiff::from_lines(before, after);
        for op in diff.ops() {
            let old: Vec<&str> = before
                .lines()
                .skip(op.old_range().start)
                .take(op.old_range().len())
                .collect();
            let new: Vec<&str> = after
                .lines()
                .skip(op.new_range().start)
                .take(op.new_range().len())
                .collect();
            match op.tag() {
                similar::DiffTag::Equal => {}
                similar::DiffTag::Insert => {
                    for line in new {
                        assert!(
                            line.trim_end().ends_with(':') || line.contains(": "),
                            "{path}: inserted `{line}` is not a key"
                        );
                    }
                }
                similar::DiffTag::Delete => panic!("{path}: lines deleted: {old:?}"),
                similar::DiffTag::Replace => {
                    // Changed values, possibly followed by added keys.
                    assert!(
                        old.len() <= new.len(),
                        "{path}: lines deleted: {old:?} -> {new:?}"
                    );
                    for (o, n) in old.iter().zip(&new) {
                        assert_eq!(
                            around_value(o),
                            around_value(n),
                            "{path}: only the value may change: `{o}` -> `{n}`"
                        );
                        assert_ne!(o, n);
                    }
                    for line in &new[old.len()..] {
                        assert!(
                            line.trim_end().ends_with(':') || line.contains(": "),
                            "{path}: inserted `{line}` is not a key"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn hostile_remediator_edits_are_refused() {
    let remediator: Vec<_> =
        aiops_build::crates_in(&workspace().join("tests").join("fixtures").join("plugins"))
            .into_iter()
            .filter(|c| c.name == "hostile-remediator")
            .collect();
    let built = aiops_build::build_components(
        &workspace(),
        &remediator,
        &workspace().join("target").join("wasm"),
    );
    let plugins = tempfile::tempdir().unwrap();
    std::fs::copy(&built[0].1, plugins.path().join("hostile-remediator.wasm")).unwrap();
    let config = plugins.path().join("aiops.yaml");
    std::fs::write(
        &config,
        "plugins:\n  settings:\n    k8s-manifests:\n      enabled: false\n",
    )
    .unwrap();
    let (dir, repo) = repo_copy();
    let before = tree(dir.path());
    let out = aiops(&[
        "--config",
        config.to_str().unwrap(),
        "scan",
        "--manifests",
        "local-dev/manifests",
        "--plugins",
        plugins.path().to_str().unwrap(),
        "--fix",
        "--repo",
        repo.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "refused edits make the run incomplete: {stderr}"
    );
    assert_eq!(
        tree(dir.path()),
        before,
        "nothing written, inside or next to the repository"
    );
    assert_eq!(diff_part(&text(&out.stdout)), "");
    let outside = outcome(
        &stderr,
        "k8s/Deployment/shop/cart",
        "k8s.resources.cpu-request-missing",
    );
    assert!(
        outside[0].contains("the edits of hostile-remediator were refused: it returned an edit for `../outside.yaml`, a file it was not given"),
        "{stderr}"
    );
    let other = outcome(
        &stderr,
        "k8s/Deployment/shop/cart",
        "k8s.resources.limit-below-request",
    );
    assert!(
        other[0].contains("`k8s/base/frontend.yaml`, a file it was not given"),
        "{stderr}"
    );
}

#[test]
fn fix_usage_errors() {
    let out = aiops(&["scan", "--manifests", "local-dev/manifests", "--fix"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--repo"),
        "{}",
        text(&out.stderr)
    );
    let out = aiops(&["scan", "--manifests", "local-dev/manifests", "--dry-run"]);
    assert_eq!(out.status.code(), Some(2));
    let out = aiops(&[
        "scan",
        "--manifests",
        "local-dev/manifests",
        "--fix",
        "--repo",
        "local-dev/iac-repo",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--output"),
        "{}",
        text(&out.stderr)
    );
    let out = aiops(&[
        "scan",
        "--manifests",
        "local-dev/manifests",
        "--fix",
        "--repo",
        "no/such/dir",
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no/such/dir"),
        "{}",
        text(&out.stderr)
    );
}

/// `(rule, resource id, container)` of a JSON report, sorted, without `skip_resource`.
fn finding_rows(report: &[u8], skip_resource: &str) -> Vec<(String, String, String)> {
    let findings: Vec<serde_json::Value> = serde_json::from_slice(report).unwrap();
    let mut rows: Vec<_> = findings
        .iter()
        .map(|f| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_string();
            (
                s(&f["rule"]),
                s(&f["resource"]["id"]),
                s(&f["resource"]["container"]),
            )
        })
        .filter(|(_, id, _)| id != skip_resource)
        .collect();
    rows.sort();
    rows
}

/// The fixture's promise: `kubectl kustomize k8s/overlays/prod` renders what the
/// "cluster" fixture runs (less the hand-started `debug-shell` Pod), so fixing the
/// cluster's findings in this repository is meaningful.
#[test]
fn prod_overlay_renders_the_cluster_fixture() {
    let rendered = Command::new("kubectl")
        .args(["kustomize", "local-dev/iac-repo/k8s/overlays/prod"])
        .current_dir(workspace())
        .output()
        .expect("kubectl (for kustomize) must be installed: it is on the machine image");
    assert!(rendered.status.success(), "{}", text(&rendered.stderr));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("prod.yaml"), &rendered.stdout).unwrap();
    let prod = aiops(&[
        "scan",
        "--manifests",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    let cluster = aiops(&[
        "scan",
        "--manifests",
        "local-dev/manifests",
        "--format",
        "json",
    ]);
    let prod_rows = finding_rows(&prod.stdout, "");
    assert_eq!(prod_rows.len(), 25);
    assert_eq!(
        prod_rows,
        finding_rows(&cluster.stdout, "k8s/Pod/shop/debug-shell")
    );
}

/// Detector settings the terraform goldens were made with (a fixed "today" for the
/// end-of-support dates, the retention policy, the default action group).
const CLOUD_CONFIG: &str = r#"plugins:
  settings:
    aws-rds-mysql:
      config: {today: "2026-11-25"}
    aws-kinesis-shards:
      config: {min_retention_hours: 48}
    azure-monitor:
      config: {default_action_group_id: "/subscriptions/6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f/resourceGroups/monitoring/providers/microsoft.insights/actionGroups/ops-oncall"}
"#;

/// The AWS and Azure snapshot fixtures through their wasm detectors and the `terraform`
/// remediator (located by resource type and cloud name in `terraform/*.tf`): the files
/// written are the terraform goldens (`tests/golden/terraform/`), nothing else changes,
/// and a second run edits nothing.
#[test]
fn terraform_fixes_through_the_cli_match_the_terraform_goldens() {
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("aiops.yaml");
    std::fs::write(&config, CLOUD_CONFIG).unwrap();
    let (_dir, repo) = repo_copy();
    let before = tree(&repo);
    let run = || {
        aiops(&[
            "--config",
            config.to_str().unwrap(),
            "scan",
            "--source",
            "snapshot:local-dev/inventory/aws.json",
            "--source",
            "snapshot:local-dev/inventory/azure.json",
            "--fix",
            "--repo",
            repo.to_str().unwrap(),
        ])
    };
    let out = run();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("fix: 17 fixed, 0 already fixed, 9 not fixed; 4 file(s) written"),
        "{stderr}"
    );
    let golden: BTreeMap<String, String> = tree(&workspace().join("tests/golden/terraform"))
        .into_iter()
        .filter(|(path, _)| path.ends_with(".tf"))
        .map(|(path, content)| (format!("terraform/{path}"), content))
        .collect();
    assert_eq!(golden.len(), 4);
    let after = tree(&repo);
    for (path, content) in &after {
        match golden.get(path) {
            Some(want) => assert_eq!(content, want, "{path} differs from its golden file"),
            None => assert_eq!(Some(content), before.get(path), "{path} must not change"),
        }
    }
    let payments = outcome(
        &stderr,
        "aws/rds/eu-west-1/payments-db",
        "aws.rds.over-used",
    );
    assert!(
        payments[0].contains("not fixed (terraform)")
            && payments[0].contains("var.payments_instance_class"),
        "{stderr}"
    );

    let again = run();
    let stderr = text(&again.stderr);
    assert_eq!(diff_part(&text(&again.stdout)), "", "{stderr}");
    assert!(stderr.contains("fix: 0 fixed, "), "{stderr}");
    assert_eq!(tree(&repo), after);
}
