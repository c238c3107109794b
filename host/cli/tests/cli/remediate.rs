//! `aiops cycle` remediating through Git, end to end on the real binary and real
//! repositories: a bare "remote" made from `local-dev/iac-repo`, a "deploy" working copy
//! the cycle reads (as Argo CD would apply it), and a human's working copy that pushes to
//! base and to aiops's branches with the `git` command line. The proposals of the first
//! cycle are the golden file `host/cli/tests/golden/remediations/first-cycle.txt` (set
//! `AIOPS_UPDATE_GOLDEN=1` to rewrite it, then review the diff).

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Compiled components are cached once for all tests of this file.
pub(crate) fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("remediate-cli-cache")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `git` in `dir` with a fixed identity; panics with its output on failure.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Hu Man",
            "-c",
            "user.email=human@example.test",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "advice.detachedHead=false",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        text(&out.stderr)
    );
    text(&out.stdout).trim_end().to_string()
}

pub(crate) fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The remote, the human's and the deploy working copies, the config and data dir.
pub(crate) struct GitWork {
    dir: tempfile::TempDir,
}

pub(crate) const AUTHOR_EMAIL: &str = "aiops-bot@example.test";

impl GitWork {
    pub(crate) fn new(extra_config: &str) -> GitWork {
        let dir = tempfile::tempdir().unwrap();
        let work = GitWork { dir };
        let root = work.path();
        git(root, &["init", "-q", "--bare", "remote.git"]);
        git(root, &["clone", "-q", "remote.git", "human"]);
        copy_tree(
            &aiops_standins::repo_root().join("local-dev/iac-repo"),
            &work.human(),
        );
        git(&work.human(), &["add", "-A"]);
        git(&work.human(), &["commit", "-q", "-m", "IaC as it is"]);
        git(&work.human(), &["push", "-q", "origin", "HEAD:main"]);
        git(root, &["clone", "-q", "remote.git", "deploy"]);
        std::fs::write(
            root.join("aiops.yaml"),
            format!(
                "sources: ['manifests:deploy/k8s/base']\ndata_dir: data\n\
                 gitops:\n  repo: {{url: remote.git}}\n  author: {{name: aiops-bot, email: {AUTHOR_EMAIL}}}\n\
                 {extra_config}"
            ),
        )
        .unwrap();
        work
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn human(&self) -> PathBuf {
        self.path().join("human")
    }

    pub(crate) fn remote(&self) -> PathBuf {
        self.path().join("remote.git")
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_aiops"));
        command
            .arg("--config")
            .arg(self.path().join("aiops.yaml"))
            .args(args)
            .current_dir(self.path().join("deploy"))
            .env("AIOPS_CACHE_DIR", cache())
            .env_remove("AIOPS_DATA_DIR")
            .env_remove("AIOPS_CRASH_AT")
            .env_remove("RUST_LOG");
        command
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// `aiops cycle --format json` (exit 0: no `--fail-on`); the summary.
    pub(crate) fn cycle(&self, extra: &[&str]) -> Value {
        let mut args = vec!["cycle", "--format", "json"];
        args.extend(extra);
        let out = self.run(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Runs `args` with `AIOPS_CRASH_AT=point` and expects the process to die of SIGKILL.
    pub(crate) fn crash(&self, args: &[&str], point: &str) {
        let out = self
            .command(args)
            .env("AIOPS_CRASH_AT", point)
            .output()
            .unwrap();
        assert_eq!(
            out.status.signal(),
            Some(9),
            "{args:?} must be killed at {point}: {:?} {}",
            out.status,
            text(&out.stderr)
        );
    }

    pub(crate) fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let out = self.run(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub(crate) fn remediations(&self) -> Vec<Value> {
        self.json(&["remediations", "list"])
            .as_array()
            .unwrap()
            .clone()
    }

    pub(crate) fn remediation(&self, id: i64) -> Value {
        self.json(&["remediations", "show", &id.to_string()])
    }

    /// The remote's refs: name → commit.
    pub(crate) fn refs(&self) -> BTreeMap<String, String> {
        git(
            &self.remote(),
            &["for-each-ref", "--format=%(refname) %(objectname)"],
        )
        .lines()
        .map(|l| {
            let (name, oid) = l.split_once(' ').unwrap();
            (name.to_string(), oid.to_string())
        })
        .collect()
    }

    pub(crate) fn aiops_branches(&self) -> BTreeSet<String> {
        self.refs()
            .keys()
            .filter_map(|r| r.strip_prefix("refs/heads/"))
            .filter(|b| b.starts_with("aiops/"))
            .map(str::to_string)
            .collect()
    }

    /// A file as the remote's `rev` has it.
    pub(crate) fn show(&self, rev: &str, path: &str) -> String {
        git(&self.remote(), &["show", &format!("{rev}:{path}")])
    }
}

/// The groups of a cycle's summary: key → group.
pub(crate) fn groups(summary: &Value) -> BTreeMap<String, Value> {
    summary["remediation"]["groups"]
        .as_array()
        .unwrap_or_else(|| panic!("no remediation in {summary}"))
        .iter()
        .map(|g| (g["key"].as_str().unwrap().to_string(), g.clone()))
        .collect()
}

pub(crate) fn outcome(groups: &BTreeMap<String, Value>, key: &str) -> String {
    let group = groups
        .get(key)
        .unwrap_or_else(|| panic!("no group {key} in {:?}", groups.keys()));
    group["outcome"].as_str().unwrap().to_string()
}

pub(crate) fn id_of(groups: &BTreeMap<String, Value>, key: &str) -> i64 {
    groups[key]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{key}: {}", groups[key]))
}

pub(crate) const CART: &str = "k8s/Deployment/shop/cart";
pub(crate) const HPA: &str = "k8s/HorizontalPodAutoscaler/shop/cart";
pub(crate) const SEARCH: &str = "k8s/Deployment/shop/search";
pub(crate) const LOG_SHIPPER: &str = "k8s/DaemonSet/shop/log-shipper";
pub(crate) const NIGHTLY: &str = "k8s/CronJob/batch/nightly-export";
pub(crate) const REINDEX: &str = "k8s/Job/batch/reindex-catalog";

/// The proposals as the golden file lists them: branch, state, policy, title, diff.
fn proposals_text(work: &GitWork) -> String {
    let mut all = work.remediations();
    all.sort_by_key(|r| r["branch"].as_str().unwrap().to_string());
    let mut out = String::new();
    for r in all {
        out.push_str(&format!(
            "== {} {} {} ({})\n{}\nfiles: {}\n{}\n",
            r["branch"].as_str().unwrap(),
            r["state"].as_str().unwrap(),
            r["action"].as_str().unwrap(),
            r["policy"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect::<Vec<_>>()
                .join("; "),
            r["title"].as_str().unwrap(),
            r["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(", "),
            r["diff"].as_str().unwrap(),
        ));
    }
    out
}

fn assert_golden(name: &str, actual: &str) {
    let path = aiops_standins::repo_root()
        .join("host/cli/tests/golden/remediations")
        .join(name);
    if std::env::var_os("AIOPS_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (AIOPS_UPDATE_GOLDEN=1 writes it)", path.display()));
    assert!(
        expected == actual,
        "{} differs:\n{}",
        path.display(),
        similar::TextDiff::from_lines(&expected, actual)
            .unified_diff()
            .header("golden", "actual")
    );
}

/// Each remediation's audit history ends with the step that put it in its state, and
/// no group has two live proposals.
pub(crate) fn assert_audit_consistent(work: &GitWork) {
    let mut live = BTreeMap::<String, i64>::new();
    for r in work.remediations() {
        let id = r["id"].as_i64().unwrap();
        let state = r["state"].as_str().unwrap();
        let shown = work.remediation(id);
        let actions: Vec<&str> = shown["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["action"].as_str().unwrap())
            .collect();
        assert!(!actions.is_empty(), "remediation {id} has no history");
        let last = *actions.last().unwrap();
        let fits = match state {
            "awaiting_approval" => [
                "remediation.proposed",
                "remediation.updated",
                "remediation.rebased",
                "remediation.adopted",
                "remediation.left_alone",
                "remediation.pr_opened",
                "remediation.checks",
                "remediation.reopened",
            ]
            .contains(&last),
            "approved" => [
                "remediation.approved",
                "remediation.merge_held",
                "remediation.merge_queued",
            ]
            .contains(&last),
            other => last == format!("remediation.{other}"),
        };
        assert!(
            fits,
            "remediation {id} is {state} but its history ends with {last}: {actions:?}"
        );
        if ["awaiting_approval", "approved"].contains(&state) {
            let group = r["group_fingerprint"].as_str().unwrap().to_string();
            assert!(
                live.insert(group.clone(), id).is_none(),
                "two live remediations for group {group}"
            );
        }
    }
}

/// The fix commits on the remote's main that carry `group`'s trailer (merge commits
/// aside), after checking there is at most one merge of it.
fn commits_of_group_on_main(work: &GitWork, group: &str) -> usize {
    let count = |kind: &str| {
        let grep = format!("--grep=Aiops-Group: {group}");
        git(&work.remote(), &["log", "main", kind, "--format=%H", &grep])
            .lines()
            .count()
    };
    assert!(count("--merges") <= 1, "group {group} merged twice");
    count("--no-merges")
}

#[test]
fn fixes_become_branches_approvals_merge_rejections_are_remembered_and_humans_are_left_alone() {
    let work = GitWork::new("");
    let seeded_main = work.refs()["refs/heads/main"].clone();

    // First cycle: one branch per fixable resource, off base, the low one merged at once.
    let first = groups(&work.cycle(&[]));
    assert_golden("first-cycle.txt", &proposals_text(&work));
    assert_eq!(outcome(&first, HPA), "auto_merged", "{}", first[HPA]);
    for key in [CART, SEARCH, LOG_SHIPPER, NIGHTLY, REINDEX] {
        assert_eq!(outcome(&first, key), "proposed", "{key}: {}", first[key]);
    }
    let proposed: BTreeSet<String> = first
        .values()
        .filter(|g| g["outcome"] == "proposed")
        .map(|g| g["branch"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        work.aiops_branches(),
        proposed,
        "exactly the proposed branches"
    );
    let main = work.refs()["refs/heads/main"].clone();
    assert_ne!(main, seeded_main, "the auto-merged fix is on main");
    assert!(
        work.show("main", "k8s/base/autoscaling.yaml")
            != work.show(&seeded_main, "k8s/base/autoscaling.yaml")
    );
    for g in first.values().filter(|g| g["outcome"] == "proposed") {
        let branch = g["branch"].as_str().unwrap();
        // Off base as the cycle found it, or as the auto-merge left it.
        let parent = git(&work.remote(), &["rev-parse", &format!("{branch}^")]);
        assert!(
            parent == seeded_main || parent == main,
            "{branch}: {parent}"
        );
        let message = git(&work.remote(), &["log", "-1", "--format=%B", branch]);
        for fp in g["findings"].as_array().unwrap() {
            assert!(
                message.contains(&format!("Aiops-Fingerprint: {}", fp.as_str().unwrap())),
                "{branch}: {message}"
            );
        }
        assert_eq!(
            git(&work.remote(), &["log", "-1", "--format=%ae %ce", branch]),
            format!("{AUTHOR_EMAIL} {AUTHOR_EMAIL}")
        );
    }
    // What cannot be fixed in the source is said, not proposed.
    assert_eq!(outcome(&first, "k8s/Deployment/shop/reports"), "cannot_fix");

    // Second cycle: nothing changes anywhere.
    let refs = work.refs();
    let count = work.remediations().len();
    let second = groups(&work.cycle(&[]));
    for (key, g) in &second {
        assert!(
            ["unchanged", "fixed_in_source", "cannot_fix"]
                .contains(&g["outcome"].as_str().unwrap()),
            "{key}: {g}"
        );
    }
    assert_eq!(work.refs(), refs);
    assert_eq!(work.remediations().len(), count, "no new remediation");

    // Approve one: merged into main, its branch gone, who approved recorded.
    let cart = id_of(&first, CART);
    let cart_branch = first[CART]["branch"].as_str().unwrap().to_string();
    let cart_file = work.show(&cart_branch, "k8s/base/cart.yaml");
    let out = work.run(&[
        "remediations",
        "approve",
        &cart.to_string(),
        "--by",
        "alice",
        "--reason",
        "looks right",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(work.show("main", "k8s/base/cart.yaml"), cart_file);
    assert!(!work.aiops_branches().contains(&cart_branch));
    let shown = work.remediation(cart);
    assert_eq!(shown["remediation"]["state"], "merged");
    assert_eq!(shown["remediation"]["decided_by"], "alice");
    let history: Vec<(String, String)> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["action"].as_str().unwrap().to_string(),
                h["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(history.contains(&("remediation.approved".into(), "user:alice".into())));
    assert!(history.contains(&("remediation.merged".into(), "user:alice".into())));
    // Deciding twice is refused, naming the state.
    let again = work.run(&["remediations", "approve", &cart.to_string(), "--by", "bob"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("is merged"),
        "{}",
        text(&again.stderr)
    );

    // Reject one: its branch deleted, and the same change not proposed again.
    let search = id_of(&first, SEARCH);
    let search_branch = first[SEARCH]["branch"].as_str().unwrap().to_string();
    let out = work.run(&[
        "remediations",
        "reject",
        &search.to_string(),
        "--by",
        "bob",
        "--reason",
        "we pin images by digest in CI",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!work.aiops_branches().contains(&search_branch));
    assert_eq!(work.remediation(search)["remediation"]["state"], "rejected");

    // A human pushes to one of aiops's branches, and moves base under another.
    let human = work.human();
    git(&human, &["fetch", "-q", "origin"]);
    let shipper_branch = first[LOG_SHIPPER]["branch"].as_str().unwrap().to_string();
    git(
        &human,
        &[
            "checkout",
            "-q",
            "-B",
            "shipper",
            &format!("origin/{shipper_branch}"),
        ],
    );
    let path = human.join("k8s/base/log-shipper.yaml");
    let mut content = std::fs::read_to_string(&path).unwrap();
    content.push_str("# reviewed by a human\n");
    std::fs::write(&path, content).unwrap();
    git(&human, &["commit", "-q", "-am", "tune the probe by hand"]);
    git(
        &human,
        &["push", "-q", "origin", &format!("HEAD:{shipper_branch}")],
    );
    let human_tip = git(&human, &["rev-parse", "HEAD"]);
    let nightly_branch = first[NIGHTLY]["branch"].as_str().unwrap().to_string();
    let nightly_diff = first[NIGHTLY]["findings"].clone();
    git(&human, &["checkout", "-q", "-B", "work", "origin/main"]);
    let batch = human.join("k8s/base/batch.yaml");
    let before = std::fs::read_to_string(&batch).unwrap();
    let after = conflicting_edit(&before, &work.show(&nightly_branch, "k8s/base/batch.yaml"));
    std::fs::write(&batch, after).unwrap();
    git(&human, &["commit", "-q", "-am", "move the export job"]);
    git(&human, &["push", "-q", "origin", "HEAD:main"]);
    let new_main = git(&human, &["rev-parse", "HEAD"]);
    // The deploy applies main (the merged fixes among it).
    git(&work.path().join("deploy"), &["pull", "-q", "--ff-only"]);

    let third_summary = work.cycle(&[]);
    let third = groups(&third_summary);
    assert_eq!(
        outcome(&third, SEARCH),
        "rejected_before",
        "{}",
        third[SEARCH]
    );
    assert!(
        !work.aiops_branches().contains(&search_branch),
        "not proposed again"
    );
    assert_eq!(outcome(&third, LOG_SHIPPER), "human_pushed");
    assert_eq!(
        work.refs()[&format!("refs/heads/{shipper_branch}")],
        human_tip
    );
    assert_eq!(outcome(&third, NIGHTLY), "updated", "{}", third[NIGHTLY]);
    assert_eq!(third[NIGHTLY]["findings"], nightly_diff);
    assert_eq!(
        git(
            &work.remote(),
            &["rev-parse", &format!("{nightly_branch}^")]
        ),
        new_main,
        "recreated from the new base"
    );
    assert!(
        git(
            &work.remote(),
            &["merge-tree", "--write-tree", "main", &nightly_branch]
        )
        .lines()
        .count()
            == 1,
        "the recreated branch merges cleanly"
    );
    // The merged fixes are deployed: their findings resolved, their remediations verified.
    let verified: BTreeSet<i64> = third_summary["remediation"]["verified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(verified, BTreeSet::from([cart, id_of(&first, HPA)]));
    for f in first[CART]["findings"].as_array().unwrap() {
        let state = work.json(&["findings", "show", f.as_str().unwrap()]);
        assert_eq!(state["finding"]["state"], "resolved", "{state}");
    }
    assert_eq!(work.remediation(cart)["remediation"]["state"], "verified");
    assert_audit_consistent(&work);
}

/// `before` with a line the fix on the branch (`fixed`) also changes rewritten, so a
/// merge of the branch conflicts.
fn conflicting_edit(before: &str, fixed: &str) -> String {
    let fixed_lines: BTreeSet<&str> = fixed.lines().collect();
    let mut lines: Vec<String> = before.lines().map(str::to_string).collect();
    // The first line the fix removed or changed, else the line its insertion follows.
    let at = lines
        .iter()
        .position(|l| !fixed_lines.contains(l.as_str()))
        .or_else(|| {
            let ours: Vec<&str> = fixed.lines().collect();
            ours.iter()
                .zip(before.lines())
                .position(|(a, b)| a != &b)
                .map(|i| i.saturating_sub(1))
        })
        .expect("the fix changes the file");
    lines[at] = format!("{}  # moved by a human", lines[at]);
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

#[test]
fn a_dry_run_changes_nothing_and_protected_paths_are_not_edited() {
    let work = GitWork::new("policy:\n  never_edit: ['k8s/base/search.yaml']\n");
    let refs = work.refs();
    let dry = work.cycle(&["--dry-run"]);
    assert_eq!(dry["remediation"]["dry_run"], true);
    let dry_groups = groups(&dry);
    assert_eq!(outcome(&dry_groups, CART), "would_propose");
    assert!(
        dry_groups[CART]["diff"]
            .as_str()
            .unwrap()
            .contains("+++ b/k8s/base/cart.yaml")
    );
    assert_eq!(work.refs(), refs, "a dry run pushes nothing");
    assert!(
        work.remediations().is_empty(),
        "a dry run records no remediation"
    );

    let off = work.cycle(&["--no-remediate"]);
    assert!(off.get("remediation").is_none(), "{off}");
    assert_eq!(work.refs(), refs);

    let real = groups(&work.cycle(&[]));
    let protected = SEARCH;
    assert_eq!(
        outcome(&real, protected),
        "not_proposed",
        "{}",
        real[protected]
    );
    assert_eq!(real[protected]["action"], "never_edit");
    assert!(
        !work
            .aiops_branches()
            .contains(real[protected]["branch"].as_str().unwrap())
    );
    let states: Vec<String> = work
        .remediations()
        .iter()
        .filter(|r| r["group_key"] == protected)
        .map(|r| r["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(states, ["never_edit"]);
    // The next cycle does not record it again.
    work.cycle(&[]);
    assert_eq!(
        work.remediations()
            .iter()
            .filter(|r| r["group_key"] == protected)
            .count(),
        1
    );
}

/// What a finished run leaves: each group's state and the remote's aiops branches
/// (by group), independent of ids and commit times.
fn end_state(work: &GitWork) -> (BTreeMap<String, Vec<String>>, BTreeSet<String>) {
    let mut by_group = BTreeMap::<String, Vec<String>>::new();
    let mut all = work.remediations();
    all.sort_by_key(|r| r["id"].as_i64().unwrap());
    for r in all {
        by_group
            .entry(r["group_key"].as_str().unwrap().to_string())
            .or_default()
            .push(r["state"].as_str().unwrap().to_string());
    }
    (by_group, work.aiops_branches())
}

#[test]
fn a_cycle_killed_between_any_two_steps_leaves_no_duplicate_and_loses_nothing() {
    let reference = GitWork::new("");
    reference.cycle(&[]);
    let expected = end_state(&reference);
    let hpa_group = reference
        .remediations()
        .iter()
        .find(|r| r["group_key"] == HPA)
        .unwrap()["group_fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    for point in [
        "gitops.committed",
        "gitops.pushed",
        "gitops.recorded",
        "gitops.approved",
        "gitops.merged",
    ] {
        let work = GitWork::new("");
        work.crash(&["cycle"], point);
        work.cycle(&[]);
        assert_eq!(end_state(&work), expected, "after a kill at {point}");
        assert_eq!(
            commits_of_group_on_main(&work, &hpa_group),
            1,
            "the auto-merged fix is on main once (kill at {point})"
        );
        for r in work.remediations() {
            if r["state"] == "awaiting_approval" {
                let branch = r["branch"].as_str().unwrap();
                assert_eq!(
                    r["head_commit"].as_str().unwrap(),
                    work.refs()[&format!("refs/heads/{branch}")],
                    "the record names the branch's tip (kill at {point})"
                );
            }
        }
        assert_audit_consistent(&work);
    }
}

#[test]
fn an_approval_killed_before_it_is_recorded_as_merged_is_finished_by_the_next_cycle() {
    let work = GitWork::new("");
    let first = groups(&work.cycle(&[]));
    let cart = id_of(&first, CART);
    let group = work.remediation(cart)["remediation"]["group_fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    work.crash(
        &[
            "remediations",
            "approve",
            &cart.to_string(),
            "--by",
            "alice",
        ],
        "gitops.merged",
    );
    // The approval is not lost: it is stored before the merge.
    let shown = work.remediation(cart);
    assert_eq!(shown["remediation"]["state"], "approved");
    assert_eq!(shown["remediation"]["decided_by"], "alice");
    let next = groups(&work.cycle(&[]));
    assert_eq!(outcome(&next, CART), "merged", "{}", next[CART]);
    assert_eq!(work.remediation(cart)["remediation"]["state"], "merged");
    assert_eq!(commits_of_group_on_main(&work, &group), 1, "merged once");
    assert_audit_consistent(&work);

    // Killed right after the approval was stored: the next cycle merges it.
    let search = id_of(&first, SEARCH);
    work.crash(
        &[
            "remediations",
            "approve",
            &search.to_string(),
            "--by",
            "carol",
        ],
        "gitops.approved",
    );
    assert_eq!(work.remediation(search)["remediation"]["state"], "approved");
    work.cycle(&[]);
    let shown = work.remediation(search);
    assert_eq!(shown["remediation"]["state"], "merged");
    assert_eq!(shown["remediation"]["decided_by"], "carol");
    assert_audit_consistent(&work);
}

#[test]
fn a_fix_a_human_put_on_base_marks_its_findings_fixed_in_source_until_they_resolve() {
    let work = GitWork::new("");
    let first = groups(&work.cycle(&[]));
    let cart = id_of(&first, CART);
    let branch = first[CART]["branch"].as_str().unwrap().to_string();
    // A human merges aiops's branch by hand; the deployed copy is not updated yet.
    git(&work.human(), &["pull", "-q", "origin", "main"]);
    git(&work.human(), &["fetch", "-q", "origin"]);
    git(
        &work.human(),
        &["merge", "-q", "--no-edit", &format!("origin/{branch}")],
    );
    git(&work.human(), &["push", "-q", "origin", "HEAD:main"]);
    let second = groups(&work.cycle(&[]));
    assert_eq!(outcome(&second, CART), "fixed_in_source");
    assert_eq!(
        work.remediation(cart)["remediation"]["state"],
        "fixed_in_source"
    );
    let cart_findings: BTreeSet<String> = first[CART]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    let listed = work.json(&["findings", "list"]);
    let mut marked = BTreeSet::new();
    for f in listed.as_array().unwrap() {
        let fp = f["fingerprint"].as_str().unwrap().to_string();
        let in_cart = cart_findings.contains(&fp);
        assert_eq!(f["fixed_in_source"], in_cart, "{f}");
        if in_cart {
            assert_eq!(f["remediation"]["id"], cart);
            assert_eq!(f["remediation"]["state"], "fixed_in_source");
            marked.insert(fp);
        }
    }
    assert_eq!(
        marked, cart_findings,
        "every finding of the group is listed and marked"
    );
    let table = text(&work.run(&["findings", "list"]).stdout);
    assert_eq!(
        table
            .lines()
            .filter(|l| l.contains("fixed in source"))
            .count(),
        cart_findings.len(),
        "{table}"
    );
    // Deployed: the next cycle resolves them, and nothing is marked any more.
    git(
        &work.path().join("deploy"),
        &["pull", "-q", "origin", "main"],
    );
    work.cycle(&[]);
    let listed = work.json(&["findings", "list", "--state", "all"]);
    for f in listed.as_array().unwrap() {
        if cart_findings.contains(f["fingerprint"].as_str().unwrap()) {
            assert_eq!(f["state"], "resolved", "{f}");
            assert_eq!(f["fixed_in_source"], false);
        }
    }
    assert_audit_consistent(&work);
}

#[test]
fn limits_cap_new_proposals_per_cycle_and_open_at_once() {
    let work = GitWork::new("");
    let config_path = work.path().join("aiops.yaml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(
        &config_path,
        config.replace(
            "gitops:\n",
            "gitops:\n  limits: {max_new_per_cycle: 2, max_open: 3}\n",
        ),
    )
    .unwrap();
    let proposed = |summary: &BTreeMap<String, Value>| {
        summary
            .values()
            .filter(|g| ["proposed", "auto_merged"].contains(&g["outcome"].as_str().unwrap()))
            .count()
    };
    let deferred = |summary: &BTreeMap<String, Value>| -> Vec<String> {
        summary
            .values()
            .filter(|g| g["outcome"] == "deferred")
            .map(|g| g["reason"].as_str().unwrap().to_string())
            .collect()
    };
    let first = groups(&work.cycle(&[]));
    assert_eq!(proposed(&first), 2, "{first:?}");
    let reasons = deferred(&first);
    assert!(!reasons.is_empty());
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("gitops.limits.max_new_per_cycle: 2")),
        "{reasons:?}"
    );
    let second = groups(&work.cycle(&[]));
    let open = work
        .remediations()
        .iter()
        .filter(|r| ["awaiting_approval", "approved"].contains(&r["state"].as_str().unwrap()))
        .count();
    assert!(open <= 3, "{open} open over max_open 3");
    assert!(
        deferred(&second)
            .iter()
            .any(|r| r.contains("gitops.limits.max_open: 3")),
        "{second:?}"
    );
    assert_audit_consistent(&work);
}
