//! The GitHub client against the GitHub stand-in (REST and GraphQL wire format, heads
//! and merges in a real bare repository): pull requests, the 422 for an existing one,
//! labels, reviewers, reviews, checks, merges, auto-merge and its "clean status"
//! fallback, 5xx and secondary rate limits retried, token and GitHub App auth.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aiops_gitops::github::{AppConfig, GithubApi, GithubConfig, MergeResult, RetryConfig};
use aiops_standins::github::{Fault, GithubServer, INSTALLATION_TOKEN, TOKEN};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=T", "-c", "user.email=t@example.test"])
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A bare repository with `main` and the branch `aiops/abc` one commit ahead.
fn repository(dir: &Path) -> PathBuf {
    git(dir, &["init", "-q", "--bare", "remote.git"]);
    git(dir, &["clone", "-q", "remote.git", "work"]);
    let work = dir.join("work");
    std::fs::write(work.join("app.yaml"), "replicas: 1\n").unwrap();
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "base"]);
    git(&work, &["push", "-q", "origin", "HEAD:main"]);
    std::fs::write(work.join("app.yaml"), "replicas: 2\n").unwrap();
    git(&work, &["commit", "-q", "-am", "fix"]);
    git(&work, &["push", "-q", "origin", "HEAD:aiops/abc"]);
    dir.join("remote.git")
}

fn config(server: &GithubServer, dir: &Path) -> GithubConfig {
    let token = dir.join("token");
    std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
    let mut c = GithubConfig {
        api: server.api.clone(),
        owner: Some("acme".into()),
        repo: Some("iac".into()),
        token_file: Some(token),
        reviewers: vec!["alice".into()],
        team_reviewers: vec!["sre".into()],
        retry: RetryConfig {
            max_attempts: 4,
            backoff_ms: 10,
            max_wait_seconds: 5,
        },
        ..GithubConfig::default()
    };
    c.complete("file:///unused").unwrap();
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_requests_reviews_checks_and_merges_over_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let bare = repository(dir.path());
    let server = GithubServer::start("acme", "iac", &bare);
    let api = GithubApi::connect(&config(&server, dir.path()))
        .await
        .unwrap();

    // Two 502s, then the pull request.
    server
        .state()
        .faults
        .push(Fault::bad_gateway("POST", "/pulls", 2));
    let pull = api
        .create_pull("aiops/abc", "main", "Fix app", "body")
        .await
        .unwrap();
    assert_eq!(pull.number, 1);
    assert!(pull.is_open());
    assert_eq!(pull.head_sha, git(&bare, &["rev-parse", "aiops/abc"]));
    assert_eq!(
        server
            .state()
            .requests_to("POST", "/repos/acme/iac/pulls")
            .len(),
        3
    );
    let auth = server.state().requests[0].authorization.clone();
    assert_eq!(auth.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));

    // GitHub's 422 "A pull request already exists": the open one is found and rewritten.
    let again = api
        .create_pull("aiops/abc", "main", "Fix app, v2", "body 2")
        .await
        .unwrap();
    assert_eq!(again.number, 1);
    assert_eq!(server.state().pulls.len(), 1, "no second pull request");
    assert_eq!(server.state().pull(1).title, "Fix app, v2");

    api.add_labels(1, &["aiops".into(), "severity:low".into()])
        .await
        .unwrap();
    api.request_reviewers(1).await.unwrap();
    {
        let state = server.state();
        assert_eq!(state.pull(1).labels, ["aiops", "severity:low"]);
        assert_eq!(state.pull(1).reviewers, ["alice"]);
        assert_eq!(state.pull(1).teams, ["sre"]);
    }

    // A secondary rate limit: aiops waits as long as `retry-after` says, then goes on.
    server
        .state()
        .faults
        .push(Fault::secondary_rate_limit("GET", "/pulls/1/reviews", 1));
    server
        .state()
        .review(1, "bob", "CHANGES_REQUESTED", "not on a Friday");
    server.state().review(1, "bob", "APPROVED", "fine");
    let started = Instant::now();
    let reviews = api.reviews(1).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retry-after was not waited for"
    );
    assert_eq!(reviews.len(), 2);
    assert_eq!(
        (reviews[1].user.as_str(), reviews[1].state.as_str()),
        ("bob", "APPROVED")
    );
    assert_eq!(reviews[1].commit, pull.head_sha);

    server.state().check_runs = vec![
        ("build".into(), "completed".into(), Some("success".into())),
        ("lint".into(), "completed".into(), Some("failure".into())),
        ("e2e".into(), "in_progress".into(), None),
    ];
    server.state().statuses = vec![("ci/legacy".into(), "success".into())];
    let checks = api.checks(&pull.head_sha).await.unwrap();
    assert_eq!(
        checks.summary(),
        "checks: 2 passed, 1 failed (lint), 1 pending"
    );

    // A head that moved since aiops read it: GitHub's 409, a refusal, not an error.
    let mut stale = api.pull(1).await.unwrap();
    stale.head_sha = "0".repeat(40);
    let no_auto = GithubApi::connect(&GithubConfig {
        auto_merge: false,
        ..config(&server, dir.path())
    })
    .await
    .unwrap();
    match no_auto.merge(&stale, "Fix app").await.unwrap() {
        MergeResult::Refused(m) => assert!(m.contains("Head branch was modified"), "{m}"),
        other => panic!("{other:?}"),
    }

    // No required checks: GitHub refuses auto-merge ("clean status") and aiops merges.
    let fresh = api.pull(1).await.unwrap();
    let merged = api.merge(&fresh, "Fix app").await.unwrap();
    let MergeResult::Merged(sha) = merged else {
        panic!("{merged:?}");
    };
    assert_eq!(git(&bare, &["rev-parse", "main"]), sha);
    assert_eq!(git(&bare, &["show", "main:app.yaml"]), "replicas: 2");
    let state = server.state();
    assert_eq!(state.requests_to("POST", "/api/graphql").len(), 1);
    let put = state.requests_to("PUT", "/pulls/1/merge");
    assert_eq!(put.len(), 2, "the refused merge and this one");
    assert_eq!(put[1].body["merge_method"], "merge");
    assert_eq!(put[1].body["sha"], fresh.head_sha.as_str());
    assert!(state.pull(1).merged);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_merge_waits_for_required_checks() {
    let dir = tempfile::tempdir().unwrap();
    let bare = repository(dir.path());
    let server = GithubServer::start("acme", "iac", &bare);
    server.state().required_checks = true;
    let api = GithubApi::connect(&config(&server, dir.path()))
        .await
        .unwrap();
    let pull = api
        .create_pull("aiops/abc", "main", "Fix", "b")
        .await
        .unwrap();
    assert_eq!(
        api.merge(&pull, "Fix").await.unwrap(),
        MergeResult::AutoMergeEnabled
    );
    assert!(
        server.state().requests_to("PUT", "/merge").is_empty(),
        "no direct merge"
    );
    let gql = server.state().requests_to("POST", "/api/graphql");
    assert!(
        gql[0].body["query"]
            .as_str()
            .unwrap()
            .contains("enablePullRequestAutoMerge")
    );
    assert_eq!(gql[0].body["variables"]["id"], pull.node_id.as_str());
    assert_eq!(gql[0].body["variables"]["method"], "MERGE");
    assert!(api.pull(1).await.unwrap().auto_merge);
    assert!(server.state().pass_checks(1));
    let after = api.pull(1).await.unwrap();
    assert!(after.merged);
    assert_eq!(after.merged_by.as_deref(), Some("aiops-bot"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_name_the_call_and_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let bare = repository(dir.path());
    let server = GithubServer::start("acme", "iac", &bare);
    let mut c = config(&server, dir.path());
    std::fs::write(c.token_file.as_ref().unwrap(), "ghp_wrongWrongWrong").unwrap();
    let api = GithubApi::connect(&c).await.unwrap();
    let err = api.pull(1).await.unwrap_err().to_string();
    assert!(
        err.contains("GET /repos/acme/iac/pulls/1: 401 Bad credentials"),
        "{err}"
    );
    assert!(!err.contains("ghp_"), "{err}");

    // Server errors past the attempts: the last one is reported.
    std::fs::write(c.token_file.as_ref().unwrap(), TOKEN).unwrap();
    let api = GithubApi::connect(&c).await.unwrap();
    server
        .state()
        .faults
        .push(Fault::bad_gateway("GET", "/pulls/7", 10));
    let err = api.pull(7).await.unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(server.state().requests_to("GET", "/pulls/7").len(), 4);

    // No credentials at all: a config error naming where they come from.
    c.token_file = None;
    c.token_env = Some("AIOPS_TEST_NO_SUCH_TOKEN".into());
    let err = GithubApi::connect(&c).await.unwrap_err().to_string();
    assert!(err.contains("$AIOPS_TEST_NO_SUCH_TOKEN"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_app_finds_its_installation_and_uses_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let bare = repository(dir.path());
    let server = GithubServer::start("acme", "iac", &bare);
    server.state().app_id = 77;
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .unwrap();
    let pem = dir.path().join("app.pem");
    std::fs::write(&pem, key.serialize_pem()).unwrap();
    let mut c = config(&server, dir.path());
    c.token_file = None;
    c.app = Some(AppConfig {
        id: 77,
        installation_id: None,
        private_key_file: Some(pem),
        private_key_env: None,
    });
    let api = GithubApi::connect(&c).await.unwrap();
    let pull = api
        .create_pull("aiops/abc", "main", "Fix", "b")
        .await
        .unwrap();
    assert_eq!(pull.number, 1);
    assert_eq!(api.git_token().await.unwrap(), INSTALLATION_TOKEN);
    let state = server.state();
    let lookup = state.requests_to("GET", "/repos/acme/iac/installation");
    assert_eq!(lookup.len(), 1);
    let jwt = lookup[0].authorization.clone().unwrap();
    assert!(jwt.starts_with("Bearer ey"), "a JWT: {jwt}");
    let minted = state.requests_to("POST", "/app/installations/4242/access_tokens");
    assert!(!minted.is_empty());
    assert!(
        minted
            .iter()
            .all(|m| m.authorization.as_deref() == Some(jwt.as_str()))
    );
    let create = state.requests_to("POST", "/repos/acme/iac/pulls");
    assert_eq!(
        create[0].authorization.as_deref(),
        Some(format!("Bearer {INSTALLATION_TOKEN}").as_str())
    );
}
