//! `aiops cycle` with the GitHub provider, end to end: the real binary, a real bare
//! repository as the remote, and the GitHub stand-in (REST and GraphQL wire format) as
//! the API. Pull requests with labels and reviewers, reviews as approvals and
//! rejections, merges (direct on "clean status", auto-merge with required checks),
//! a closed and a re-opened pull request, retried 5xx, and a SIGKILL after a pull
//! request is opened but before it is recorded.

use std::collections::BTreeMap;

use aiops_standins::git_http::GitHttpServer;
use aiops_standins::github::{Fault, GithubServer, TOKEN};
use serde_json::Value;

use crate::remediate::{
    CART, GitWork, HPA, LOG_SHIPPER, NIGHTLY, SEARCH, assert_audit_consistent, git, groups, id_of,
    outcome,
};

/// A work tree whose config sends proposals to the stand-in as pull requests.
fn github_work() -> (GitWork, GithubServer) {
    let work = GitWork::new("");
    let server = GithubServer::start("acme", "iac", &work.remote());
    std::fs::write(work.path().join("github-token"), TOKEN).unwrap();
    let config = std::fs::read_to_string(work.path().join("aiops.yaml")).unwrap();
    let config = config.replace(
        "gitops:\n",
        &format!(
            "gitops:\n  provider: github\n  github:\n    api: {}\n    owner: acme\n    repo: iac\n    \
             token_file: github-token\n    reviewers: [alice]\n    team_reviewers: [platform]\n    \
             labels: [iac]\n    retry: {{backoff_ms: 10, max_wait_seconds: 5}}\n",
            server.api
        ),
    );
    std::fs::write(work.path().join("aiops.yaml"), config).unwrap();
    (work, server)
}

/// Group key → pull request number, from `remediations list`.
fn pulls_by_group(work: &GitWork) -> BTreeMap<String, u64> {
    work.remediations()
        .iter()
        .filter_map(|r| {
            Some((
                r["group_key"].as_str()?.to_string(),
                r["pr_number"].as_u64()?,
            ))
        })
        .collect()
}

fn remediation_of(work: &GitWork, id: i64) -> Value {
    work.remediation(id)["remediation"].clone()
}

#[test]
fn pull_requests_are_opened_reviewed_merged_and_rejected_on_github() {
    let (work, server) = github_work();
    // A 502 on the first pull request: retried, nothing lost.
    server
        .state()
        .faults
        .push(Fault::bad_gateway("POST", "/pulls", 1));
    let first = groups(&work.cycle(&[]));
    assert_eq!(outcome(&first, HPA), "auto_merged", "{first:?}");
    for key in [CART, SEARCH, LOG_SHIPPER, NIGHTLY] {
        assert_eq!(outcome(&first, key), "proposed", "{key}");
    }
    let pulls = pulls_by_group(&work);
    let opened = server.state().pulls.len();
    let creates = || {
        server
            .state()
            .requests_to("POST", "/pulls")
            .iter()
            .filter(|r| r.path == "/repos/acme/iac/pulls")
            .count()
    };
    let created_first = creates();
    assert_eq!(
        created_first,
        opened + 1,
        "one create per proposal, one retried 502"
    );
    assert_eq!(pulls.len(), opened, "every proposal has its pull request");
    {
        let state = server.state();
        let cart = state.pull(pulls[CART]);
        assert_eq!(cart.head, first[CART]["branch"].as_str().unwrap());
        assert_eq!(cart.base, "main");
        assert!(
            cart.labels.contains(&"aiops".to_string()),
            "{:?}",
            cart.labels
        );
        assert!(
            cart.labels.contains(&"severity:high".to_string()),
            "{:?}",
            cart.labels
        );
        assert!(cart.labels.contains(&"iac".to_string()));
        assert!(
            cart.labels.iter().any(|l| l.starts_with("rule:")),
            "{:?}",
            cart.labels
        );
        assert_eq!(cart.reviewers, ["alice"]);
        assert_eq!(cart.teams, ["platform"]);
        assert!(
            cart.body.contains("### Policy") && cart.body.contains("approval"),
            "{}",
            cart.body
        );
        // The low-severity fix: no required checks, so GitHub refused auto-merge
        // ("clean status") and aiops merged it directly.
        let hpa = state.pull(pulls[HPA]);
        assert!(hpa.merged, "the auto-merge group is merged on GitHub");
        assert_eq!(state.requests_to("PUT", "/merge").len(), 1);
    }
    let cart_r = remediation_of(&work, id_of(&first, CART));
    assert!(
        cart_r["pr_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/pull/{}", pulls[CART])),
        "{cart_r}"
    );

    // Nothing changed: no new pull request, no rewrite.
    let second = groups(&work.cycle(&[]));
    assert_eq!(outcome(&second, CART), "unchanged");
    assert_eq!(server.state().pulls.len(), opened);
    assert_eq!(creates(), created_first, "no create call");
    assert!(
        server.state().requests_to("PATCH", "/pulls/").is_empty(),
        "no pull request rewritten"
    );

    // Reviews on GitHub decide: alice approves cart, bob requests changes on search,
    // someone closes log-shipper's pull request.
    {
        let mut state = server.state();
        state.review(pulls[CART], "alice", "APPROVED", "looks right");
        state.review(pulls[SEARCH], "bob", "CHANGES_REQUESTED", "use 512Mi");
        state.close(pulls[LOG_SHIPPER]);
    }
    let third = groups(&work.cycle(&[]));
    assert_eq!(outcome(&third, CART), "merged", "{third:?}");
    assert_eq!(outcome(&third, SEARCH), "rejected_before");
    assert_eq!(outcome(&third, LOG_SHIPPER), "rejected_before");
    // Closed this cycle (what `aiops_pull_requests_total{action="closed"}` counts).
    assert_eq!(third[SEARCH]["closed"], true, "{third:?}");
    assert_eq!(third[LOG_SHIPPER]["closed"], true, "{third:?}");
    let cart_r = remediation_of(&work, id_of(&first, CART));
    assert_eq!(cart_r["state"], "merged");
    assert_eq!(cart_r["decided_by"], "alice");
    assert!(server.state().pull(pulls[CART]).merged);
    let merged_main = git(&work.remote(), &["rev-parse", "main"]);
    assert_eq!(cart_r["merge_commit"], merged_main.as_str());
    let search_r = remediation_of(&work, id_of(&first, SEARCH));
    assert_eq!(search_r["state"], "rejected");
    assert_eq!(search_r["decided_by"], "bob");
    assert_eq!(search_r["decision_reason"], "changes requested: use 512Mi");
    {
        let state = server.state();
        let search = state.pull(pulls[SEARCH]);
        assert_eq!(
            search.state, "closed",
            "aiops closes a rejected pull request"
        );
        assert!(
            search
                .comments
                .iter()
                .any(|c| c.contains("Rejected by bob")),
            "{:?}",
            search.comments
        );
    }
    let ship_r = remediation_of(&work, id_of(&first, LOG_SHIPPER));
    assert_eq!(ship_r["state"], "rejected");
    assert!(
        ship_r["decision_reason"]
            .as_str()
            .unwrap()
            .contains("closed without merging")
    );

    // Rejections are remembered; a re-opened pull request takes its rejection back.
    server.state().reopen(pulls[LOG_SHIPPER]);
    let fourth = groups(&work.cycle(&[]));
    assert_eq!(outcome(&fourth, SEARCH), "rejected_before");
    assert!(fourth[SEARCH].get("closed").is_none(), "{fourth:?}");
    assert_eq!(outcome(&fourth, LOG_SHIPPER), "reopened");
    assert_eq!(server.state().pulls.len(), opened, "no new pull request");
    assert_eq!(
        remediation_of(&work, id_of(&first, LOG_SHIPPER))["state"],
        "awaiting_approval"
    );

    // With required checks, an approval from the CLI enables auto-merge; GitHub merges
    // once the checks pass, and the next cycle records it.
    server.state().required_checks = true;
    let nightly = id_of(&first, NIGHTLY);
    let out = work.run(&[
        "remediations",
        "approve",
        &nightly.to_string(),
        "--by",
        "carol",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("auto-merge enabled"));
    assert_eq!(remediation_of(&work, nightly)["state"], "approved");
    assert!(!server.state().pull(pulls[NIGHTLY]).merged);
    let waiting = groups(&work.cycle(&[]));
    assert_eq!(outcome(&waiting, NIGHTLY), "merge_queued");
    assert!(server.state().pass_checks(pulls[NIGHTLY]));
    let fifth = groups(&work.cycle(&[]));
    assert_eq!(outcome(&fifth, NIGHTLY), "merged");
    let nightly_r = remediation_of(&work, nightly);
    assert_eq!(nightly_r["state"], "merged");
    assert_eq!(nightly_r["decided_by"], "carol");
    assert_audit_consistent(&work);

    // The token never shows up in what aiops prints or stores.
    let audit = work.run(&["audit", "--format", "json"]);
    assert!(!String::from_utf8_lossy(&audit.stdout).contains(TOKEN));
}

#[test]
fn a_cycle_killed_after_opening_a_pull_request_opens_no_duplicate() {
    let (work, server) = github_work();
    work.crash(&["cycle"], "gitops.pr_opened");
    assert_eq!(
        server.state().pulls.len(),
        1,
        "killed right after the first"
    );
    work.cycle(&[]);
    let pulls = pulls_by_group(&work);
    let state = server.state();
    let open_heads: Vec<&str> = state.pulls.iter().map(|p| p.head.as_str()).collect();
    let mut unique = open_heads.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        open_heads.len(),
        "a branch with two pull requests: {open_heads:?}"
    );
    assert_eq!(
        pulls.len(),
        state.pulls.len(),
        "every pull request is recorded"
    );
    drop(state);
    assert_audit_consistent(&work);
}

#[test]
fn the_repository_over_https_takes_the_github_token_and_never_shows_it() {
    let (work, server) = github_work();
    let git_server = GitHttpServer::start(work.path(), "x-access-token", TOKEN);
    let config = std::fs::read_to_string(work.path().join("aiops.yaml")).unwrap();
    let config = config.replace(
        "repo: {url: remote.git}",
        &format!("repo: {{url: '{}/remote.git'}}", git_server.url),
    );
    std::fs::write(work.path().join("aiops.yaml"), config).unwrap();
    let out = work.run(&["cycle", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = groups(&summary);
    assert_eq!(outcome(&first, CART), "proposed");
    assert_eq!(outcome(&first, HPA), "auto_merged");
    // Pushed over smart HTTP with the token, and the pull requests name those branches.
    let branches = work.aiops_branches();
    let state = server.state();
    assert!(!state.pulls.is_empty());
    assert!(
        state
            .pulls
            .iter()
            .all(|p| branches.contains(&p.head) || p.merged)
    );
    drop(state);
    let requests = git_server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path.contains("git-receive-pack") && r.authorized)
    );
    drop(requests);
    for text in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(text).contains(TOKEN));
    }
    let data = work.path().join("data");
    let config_of_clone = walk_for(&data, "config");
    assert!(
        !config_of_clone.is_empty(),
        "aiops's clone has a git config"
    );
    for file in config_of_clone {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(!text.contains(TOKEN), "{} holds the token", file.display());
    }
}

/// Files named `name` under `dir`.
fn walk_for(dir: &std::path::Path, name: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk_for(&path, name));
        } else if path.file_name().is_some_and(|n| n == name) {
            found.push(path);
        }
    }
    found
}

#[test]
fn an_approval_killed_before_or_after_the_merge_on_github_is_finished_by_the_next_cycle() {
    for point in ["gitops.approved", "gitops.merged"] {
        let (work, server) = github_work();
        let first = groups(&work.cycle(&[]));
        let cart = id_of(&first, CART);
        work.crash(
            &["remediations", "approve", &cart.to_string(), "--by", "dave"],
            point,
        );
        assert_eq!(
            remediation_of(&work, cart)["state"],
            "approved",
            "at {point}"
        );
        let next = groups(&work.cycle(&[]));
        assert_eq!(outcome(&next, CART), "merged", "at {point}: {next:?}");
        let r = remediation_of(&work, cart);
        assert_eq!(r["state"], "merged");
        assert_eq!(r["decided_by"], "dave", "the approval is kept");
        let pulls = pulls_by_group(&work);
        let state = server.state();
        assert!(state.pull(pulls[CART]).merged);
        let merges = state
            .requests_to("PUT", &format!("/pulls/{}/merge", pulls[CART]))
            .len();
        assert_eq!(merges, 1, "merged once at {point}");
        drop(state);
        assert_audit_consistent(&work);
    }
}
