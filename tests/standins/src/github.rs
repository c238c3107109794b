//! A GitHub stand-in for tests, speaking the REST v3 and GraphQL wire formats as
//! GitHub documents them, laid out like GitHub Enterprise Server (`/api/v3/…` and
//! `/api/graphql`): pull requests (create, list by head, get, update, close, merge),
//! labels, requested reviewers, reviews, check runs and commit statuses, comments,
//! the `enablePullRequestAutoMerge` mutation with its "clean status" refusal, GitHub
//! App installation lookup and access tokens. Heads and merges are real: the server
//! reads branches from a bare repository on disk and merges into it with `git`.
//! Faults on demand (a 5xx, a 403 secondary rate limit with `retry-after`), and every
//! request is recorded.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::k8s_api::percent_decode;

/// The token the server accepts (and that must never show up in output).
pub const TOKEN: &str = "ghp_aiopsTestToken0123456789abcdef";
/// The installation token the server mints for the GitHub App.
pub const INSTALLATION_TOKEN: &str = "ghs_aiopsInstallationToken9876543210";
/// The GitHub App's installation id.
pub const INSTALLATION_ID: u64 = 4242;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The method.
    pub method: String,
    /// The path below `/api/v3` (or `/api/graphql`).
    pub path: String,
    /// The query string.
    pub query: String,
    /// The JSON body (`null` when none).
    pub body: Value,
    /// The `Authorization` header.
    pub authorization: Option<String>,
}

/// A review as GitHub lists it.
#[derive(Debug, Clone)]
pub struct Review {
    /// The reviewer.
    pub user: String,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`.
    pub state: String,
    /// What they wrote.
    pub body: String,
}

/// One pull request the server holds.
#[derive(Debug, Clone)]
pub struct Pull {
    /// Its number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Head branch.
    pub head: String,
    /// Base branch.
    pub base: String,
    /// `open` or `closed`.
    pub state: String,
    /// Merged.
    pub merged: bool,
    /// Who merged it.
    pub merged_by: Option<String>,
    /// The merge commit.
    pub merge_commit: Option<String>,
    /// Labels.
    pub labels: Vec<String>,
    /// Requested reviewers.
    pub reviewers: Vec<String>,
    /// Requested teams.
    pub teams: Vec<String>,
    /// Reviews, oldest first.
    pub reviews: Vec<Review>,
    /// Comments.
    pub comments: Vec<String>,
    /// Auto-merge enabled (with the merge method).
    pub auto_merge: Option<String>,
}

/// A canned answer for the next matching requests.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The method it applies to.
    pub method: String,
    /// A part of the path it applies to.
    pub path_contains: String,
    /// How many requests it answers.
    pub times: u32,
    /// The status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Value,
}

impl Fault {
    /// A 502 for the next `times` requests of `method` on paths containing `path`.
    pub fn bad_gateway(method: &str, path: &str, times: u32) -> Fault {
        Fault {
            method: method.into(),
            path_contains: path.into(),
            times,
            status: 502,
            headers: Vec::new(),
            body: json!({"message": "Server Error"}),
        }
    }

    /// GitHub's secondary rate limit (403 with `retry-after: SECS`).
    pub fn secondary_rate_limit(method: &str, path: &str, secs: u32) -> Fault {
        Fault {
            method: method.into(),
            path_contains: path.into(),
            times: 1,
            status: 403,
            headers: vec![("retry-after".into(), secs.to_string())],
            body: json!({
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ABCD:1234.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
            }),
        }
    }
}

/// What the server holds; tests change it at will.
#[derive(Debug, Default)]
pub struct GithubState {
    /// The repository's owner.
    pub owner: String,
    /// Its name.
    pub repo: String,
    /// The bare repository the branches live in.
    pub bare: PathBuf,
    /// Pull requests by number - 1.
    pub pulls: Vec<Pull>,
    /// Whether base has required checks (auto-merge can be enabled; else GitHub
    /// refuses with "clean status").
    pub required_checks: bool,
    /// Check runs answered for every commit: (name, status, conclusion).
    pub check_runs: Vec<(String, String, Option<String>)>,
    /// Commit statuses answered for every commit: (context, state).
    pub statuses: Vec<(String, String)>,
    /// Canned answers, used first.
    pub faults: Vec<Fault>,
    /// Requests received, in order.
    pub requests: Vec<Recorded>,
    /// The GitHub App's id (JWTs must name it); 0: no App.
    pub app_id: u64,
}

impl GithubState {
    /// Pull request `number`.
    pub fn pull(&self, number: u64) -> &Pull {
        &self.pulls[number as usize - 1]
    }

    /// Adds a review to pull request `number`.
    pub fn review(&mut self, number: u64, user: &str, state: &str, body: &str) {
        self.pulls[number as usize - 1].reviews.push(Review {
            user: user.into(),
            state: state.into(),
            body: body.into(),
        });
    }

    /// Closes pull request `number` as a user would (no merge).
    pub fn close(&mut self, number: u64) {
        self.pulls[number as usize - 1].state = "closed".into();
    }

    /// Re-opens pull request `number`.
    pub fn reopen(&mut self, number: u64) {
        self.pulls[number as usize - 1].state = "open".into();
    }

    /// The required checks pass: a pull request with auto-merge enabled is merged, as
    /// GitHub does. True when it merged.
    pub fn pass_checks(&mut self, number: u64) -> bool {
        let p = self.pull(number).clone();
        if p.auto_merge.is_none() || p.state != "open" {
            return false;
        }
        merge_into_base(self, number, "aiops-bot").is_ok()
    }

    /// Requests whose path contains `part`.
    pub fn requests_to(&self, method: &str, part: &str) -> Vec<Recorded> {
        self.requests
            .iter()
            .filter(|r| r.method == method && r.path.contains(part))
            .cloned()
            .collect()
    }
}

/// A running stand-in on a loopback port; stops when dropped.
pub struct GithubServer {
    /// The REST root, like GitHub Enterprise Server's: `http://127.0.0.1:PORT/api/v3`.
    pub api: String,
    state: Arc<Mutex<GithubState>>,
    _served: crate::serve::Served,
}

impl GithubServer {
    /// Starts a server for `owner/repo` whose branches live in the bare repository `bare`.
    pub fn start(owner: &str, repo: &str, bare: &Path) -> Self {
        let state = Arc::new(Mutex::new(GithubState {
            owner: owner.into(),
            repo: repo.into(),
            bare: bare.to_path_buf(),
            ..Default::default()
        }));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let served = crate::serve::Served::start(app, 0);
        GithubServer {
            api: format!("{}/api/v3", served.url()),
            state,
            _served: served,
        }
    }

    /// The server's state.
    pub fn state(&self) -> MutexGuard<'_, GithubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn message(status: StatusCode, text: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "message": text,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.as_u16().to_string(),
        })),
    )
        .into_response()
}

fn git(bare: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(bare)
        .args([
            "-c",
            "user.name=GitHub",
            "-c",
            "user.email=noreply@github.com",
        ])
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr))
    }
}

fn branch_sha(bare: &Path, branch: &str) -> Option<String> {
    git(
        bare,
        &["rev-parse", "--verify", &format!("refs/heads/{branch}")],
    )
    .ok()
}

/// Merges pull request `number`'s head into its base in the bare repository.
fn merge_into_base(state: &mut GithubState, number: u64, by: &str) -> Result<String, String> {
    let p = state.pull(number).clone();
    let bare = state.bare.clone();
    let base = branch_sha(&bare, &p.base).ok_or("base is gone")?;
    let head = branch_sha(&bare, &p.head).ok_or("head is gone")?;
    let tree = git(&bare, &["merge-tree", "--write-tree", &base, &head])
        .map_err(|_| "Pull Request is not mergeable".to_string())?;
    let tree = tree.lines().next().unwrap_or_default().to_string();
    let msg = format!(
        "Merge pull request #{number} from {}/{}\n\n{}",
        state.owner, p.head, p.title
    );
    let commit = git(
        &bare,
        &["commit-tree", &tree, "-p", &base, "-p", &head, "-m", &msg],
    )?;
    git(
        &bare,
        &[
            "update-ref",
            &format!("refs/heads/{}", p.base),
            &commit,
            &base,
        ],
    )?;
    let pull = &mut state.pulls[number as usize - 1];
    pull.state = "closed".into();
    pull.merged = true;
    pull.merged_by = Some(by.into());
    pull.merge_commit = Some(commit.clone());
    Ok(commit)
}

fn pull_json(state: &GithubState, p: &Pull, api: &str) -> Value {
    let head_sha = branch_sha(&state.bare, &p.head).unwrap_or_default();
    let base_sha = branch_sha(&state.bare, &p.base).unwrap_or_default();
    let full = format!("{}/{}", state.owner, state.repo);
    json!({
        "url": format!("{api}/repos/{full}/pulls/{}", p.number),
        "id": 1000 + p.number,
        "node_id": format!("PR_kwDO{}", p.number),
        "html_url": format!("https://github.example.test/{full}/pull/{}", p.number),
        "number": p.number,
        "state": p.state,
        "locked": false,
        "title": p.title,
        "user": {"login": "aiops-bot", "id": 1, "type": "User"},
        "body": p.body,
        "labels": p.labels.iter().map(|l| json!({"name": l, "color": "ededed", "default": false})).collect::<Vec<_>>(),
        "created_at": "2026-12-07T00:00:00Z",
        "updated_at": "2026-12-07T00:00:00Z",
        "closed_at": if p.state == "closed" { json!("2026-12-07T01:00:00Z") } else { Value::Null },
        "merged_at": if p.merged { json!("2026-12-07T01:00:00Z") } else { Value::Null },
        "merge_commit_sha": p.merge_commit,
        "requested_reviewers": p.reviewers.iter().map(|r| json!({"login": r})).collect::<Vec<_>>(),
        "requested_teams": p.teams.iter().map(|t| json!({"slug": t, "name": t})).collect::<Vec<_>>(),
        "head": {"label": format!("{}:{}", state.owner, p.head), "ref": p.head, "sha": head_sha, "repo": {"full_name": full}},
        "base": {"label": format!("{}:{}", state.owner, p.base), "ref": p.base, "sha": base_sha, "repo": {"full_name": full}},
        "draft": false,
        "merged": p.merged,
        "mergeable": true,
        "mergeable_state": if state.required_checks { "blocked" } else { "clean" },
        "merged_by": p.merged_by.as_ref().map(|l| json!({"login": l})),
        "auto_merge": p.auto_merge.as_ref().map(|m| json!({"enabled_by": {"login": "aiops-bot"}, "merge_method": m, "commit_title": null, "commit_message": null})),
    })
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("token "))
        })
        .map(str::to_string)
}

/// The `iss` of a JWT (the App id), unverified: the stand-in checks its shape and issuer.
fn jwt_issuer(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64url(payload)?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    claims["iss"]
        .as_u64()
        .or_else(|| claims["iss"].as_str()?.parse().ok())
}

fn base64url(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .ok()
}

async fn handle(
    State(state): State<Arc<Mutex<GithubState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let full_path = uri.path().to_string();
    let query = uri.query().unwrap_or_default().to_string();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    let path = full_path
        .strip_prefix("/api/v3")
        .unwrap_or(&full_path)
        .to_string();
    state.requests.push(Recorded {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        body: body.clone(),
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    });
    if let Some(i) = state
        .faults
        .iter()
        .position(|f| f.method == method.as_str() && path.contains(&f.path_contains) && f.times > 0)
    {
        let fault = &mut state.faults[i];
        fault.times -= 1;
        let mut response = (
            StatusCode::from_u16(fault.status).unwrap(),
            axum::Json(fault.body.clone()),
        )
            .into_response();
        for (k, v) in &fault.headers {
            response.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        return response;
    }
    let token = bearer(&headers);
    let api = format!(
        "http://{}/api/v3",
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
    );
    // GitHub App endpoints take the App's JWT; everything else a token.
    let app_call = path.starts_with("/app/") || path.ends_with("/installation");
    let authorized = match &token {
        Some(t) if app_call => state.app_id != 0 && jwt_issuer(t) == Some(state.app_id),
        Some(t) => t == TOKEN || (state.app_id != 0 && t == INSTALLATION_TOKEN),
        None => false,
    };
    if !authorized {
        return message(StatusCode::UNAUTHORIZED, "Bad credentials");
    }
    if full_path == "/api/graphql" {
        return graphql(&mut state, &body);
    }
    let (owner, repo) = (state.owner.clone(), state.repo.clone());
    if path == format!("/app/installations/{INSTALLATION_ID}/access_tokens")
        && method == Method::POST
    {
        return (
            StatusCode::CREATED,
            axum::Json(json!({"token": INSTALLATION_TOKEN, "expires_at": "2099-01-01T00:00:00Z", "permissions": {"pull_requests": "write", "contents": "write"}, "repository_selection": "selected"})),
        )
            .into_response();
    }
    let Some(rest) = path.strip_prefix(&format!("/repos/{owner}/{repo}")) else {
        return message(StatusCode::NOT_FOUND, "Not Found");
    };
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let number = |i: usize| parts.get(i).and_then(|n| n.parse::<u64>().ok());
    let exists = |state: &GithubState, n: Option<u64>| {
        n.filter(|&n| n >= 1 && n as usize <= state.pulls.len())
    };
    match (method.clone(), parts.as_slice()) {
        (Method::GET, ["installation"]) => axum::Json(
            json!({"id": INSTALLATION_ID, "app_id": state.app_id, "account": {"login": owner}}),
        )
        .into_response(),
        (Method::GET, ["pulls"]) => {
            let q: Vec<(String, String)> = query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), percent_decode(v)))
                .collect();
            let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
            let head =
                get("head").map(|h| h.split_once(':').map(|(_, b)| b.to_string()).unwrap_or(h));
            let wanted = get("state").unwrap_or_else(|| "open".into());
            let mut list: Vec<Value> = state
                .pulls
                .iter()
                .rev()
                .filter(|p| head.as_ref().is_none_or(|h| &p.head == h))
                .filter(|p| wanted == "all" || p.state == wanted)
                .map(|p| pull_json(&state, p, &api))
                .collect();
            list.truncate(100);
            axum::Json(Value::Array(list)).into_response()
        }
        (Method::POST, ["pulls"]) => {
            let field = |k: &str| body[k].as_str().unwrap_or_default().to_string();
            let (head, base) = (field("head"), field("base"));
            let head = head
                .split_once(':')
                .map(|(_, b)| b.to_string())
                .unwrap_or(head);
            if field("title").is_empty() {
                return validation("PullRequest", "title", "missing_field", None);
            }
            if branch_sha(&state.bare, &head).is_none() {
                return validation("PullRequest", "head", "invalid", None);
            }
            if state
                .pulls
                .iter()
                .any(|p| p.head == head && p.state == "open")
            {
                return validation(
                    "PullRequest",
                    "",
                    "custom",
                    Some(format!("A pull request already exists for {owner}:{head}.")),
                );
            }
            let number = state.pulls.len() as u64 + 1;
            state.pulls.push(Pull {
                number,
                title: field("title"),
                body: field("body"),
                head,
                base,
                state: "open".into(),
                merged: false,
                merged_by: None,
                merge_commit: None,
                labels: Vec::new(),
                reviewers: Vec::new(),
                teams: Vec::new(),
                reviews: Vec::new(),
                comments: Vec::new(),
                auto_merge: None,
            });
            let p = state.pull(number).clone();
            (StatusCode::CREATED, axum::Json(pull_json(&state, &p, &api))).into_response()
        }
        (Method::GET, ["pulls", _]) => match exists(&state, number(1)) {
            Some(n) => axum::Json(pull_json(&state, state.pull(n), &api)).into_response(),
            None => message(StatusCode::NOT_FOUND, "Not Found"),
        },
        (Method::PATCH, ["pulls", _]) => {
            let Some(n) = exists(&state, number(1)) else {
                return message(StatusCode::NOT_FOUND, "Not Found");
            };
            let p = &mut state.pulls[n as usize - 1];
            if let Some(t) = body["title"].as_str() {
                p.title = t.into();
            }
            if let Some(b) = body["body"].as_str() {
                p.body = b.into();
            }
            if let Some(s) = body["state"].as_str()
                && !p.merged
            {
                p.state = s.into();
            }
            axum::Json(pull_json(&state, state.pull(n), &api)).into_response()
        }
        (Method::POST, ["issues", _, "labels"]) => {
            let Some(n) = exists(&state, number(1)) else {
                return message(StatusCode::NOT_FOUND, "Not Found");
            };
            let p = &mut state.pulls[n as usize - 1];
            for l in body["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !p.labels.iter().any(|x| x == l) {
                    p.labels.push(l.into());
                }
            }
            let labels: Vec<Value> = p
                .labels
                .iter()
                .map(|l| json!({"name": l, "color": "ededed"}))
                .collect();
            axum::Json(Value::Array(labels)).into_response()
        }
        (Method::POST, ["issues", _, "comments"]) => {
            let Some(n) = exists(&state, number(1)) else {
                return message(StatusCode::NOT_FOUND, "Not Found");
            };
            let text = body["body"].as_str().unwrap_or_default().to_string();
            state.pulls[n as usize - 1].comments.push(text.clone());
            (
                StatusCode::CREATED,
                axum::Json(json!({"id": 1, "body": text})),
            )
                .into_response()
        }
        (Method::POST, ["pulls", _, "requested_reviewers"]) => {
            let Some(n) = exists(&state, number(1)) else {
                return message(StatusCode::NOT_FOUND, "Not Found");
            };
            let p = &mut state.pulls[n as usize - 1];
            let list = |k: &str| -> Vec<String> {
                body[k]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            };
            p.reviewers.extend(list("reviewers"));
            p.teams.extend(list("team_reviewers"));
            (
                StatusCode::CREATED,
                axum::Json(pull_json(&state, state.pull(n), &api)),
            )
                .into_response()
        }
        (Method::GET, ["pulls", _, "reviews"]) => {
            let Some(n) = exists(&state, number(1)) else {
                return message(StatusCode::NOT_FOUND, "Not Found");
            };
            let head = branch_sha(&state.bare, &state.pull(n).head).unwrap_or_default();
            let reviews: Vec<Value> = state
                .pull(n)
                .reviews
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    json!({
                        "id": i + 1, "node_id": format!("PRR_{i}"), "user": {"login": r.user},
                        "body": r.body, "state": r.state, "commit_id": head,
                        "submitted_at": "2026-12-07T00:30:00Z", "author_association": "MEMBER"
                    })
                })
                .collect();
            axum::Json(Value::Array(reviews)).into_response()
        }
        (Method::GET, ["commits", sha, "check-runs"]) => {
            let runs: Vec<Value> = state
                .check_runs
                .iter()
                .enumerate()
                .map(|(i, (name, status, conclusion))| json!({
                    "id": i + 1, "head_sha": sha, "name": name, "status": status, "conclusion": conclusion
                }))
                .collect();
            axum::Json(json!({"total_count": runs.len(), "check_runs": runs})).into_response()
        }
        (Method::GET, ["commits", sha, "status"]) => {
            let statuses: Vec<Value> = state
                .statuses
                .iter()
                .map(|(context, s)| json!({"context": context, "state": s, "description": null}))
                .collect();
            let overall = if state
                .statuses
                .iter()
                .any(|(_, s)| s == "failure" || s == "error")
            {
                "failure"
            } else if state.statuses.iter().any(|(_, s)| s == "pending") {
                "pending"
            } else {
                "success"
            };
            axum::Json(json!({"state": overall, "sha": sha, "total_count": statuses.len(), "statuses": statuses})).into_response()
        }
        (Method::PUT, ["pulls", _, "merge"]) => {
            let Some(n) = exists(&state, number(1)) else {
                return message(StatusCode::NOT_FOUND, "Not Found");
            };
            let p = state.pull(n).clone();
            if p.merged || p.state != "open" {
                return message(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Pull Request is not mergeable",
                );
            }
            let head = branch_sha(&state.bare, &p.head).unwrap_or_default();
            if let Some(sha) = body["sha"].as_str()
                && sha != head
            {
                return message(
                    StatusCode::CONFLICT,
                    "Head branch was modified. Review and try the merge again.",
                );
            }
            match merge_into_base(&mut state, n, "aiops-bot") {
                Ok(sha) => axum::Json(json!({"sha": sha, "merged": true, "message": "Pull Request successfully merged"})).into_response(),
                Err(m) => message(StatusCode::METHOD_NOT_ALLOWED, &m),
            }
        }
        _ => message(StatusCode::NOT_FOUND, "Not Found"),
    }
}

fn validation(resource: &str, field: &str, code: &str, text: Option<String>) -> Response {
    let mut error = json!({"resource": resource, "code": code});
    if !field.is_empty() {
        error["field"] = json!(field);
    }
    if let Some(t) = text {
        error["message"] = json!(t);
    }
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::Json(json!({
            "message": "Validation Failed",
            "errors": [error],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
            "status": "422"
        })),
    )
        .into_response()
}

fn graphql(state: &mut GithubState, body: &Value) -> Response {
    let query = body["query"].as_str().unwrap_or_default();
    if !query.contains("enablePullRequestAutoMerge") {
        return axum::Json(json!({"errors": [{"message": "the stand-in answers enablePullRequestAutoMerge only"}]})).into_response();
    }
    let id = body["variables"]["id"].as_str().unwrap_or_default();
    let method = body["variables"]["method"]
        .as_str()
        .unwrap_or("MERGE")
        .to_string();
    let Some(n) = id
        .strip_prefix("PR_kwDO")
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|&n| n >= 1 && n as usize <= state.pulls.len())
    else {
        return axum::Json(
            json!({"data": {"enablePullRequestAutoMerge": null}, "errors": [{
                "type": "NOT_FOUND", "path": ["enablePullRequestAutoMerge"],
                "message": format!("Could not resolve to a node with the global id of '{id}'")
            }]}),
        )
        .into_response();
    };
    if !state.required_checks {
        return axum::Json(
            json!({"data": {"enablePullRequestAutoMerge": null}, "errors": [{
                "type": "UNPROCESSABLE", "path": ["enablePullRequestAutoMerge"],
                "locations": [{"line": 1, "column": 58}],
                "message": "Pull request Pull request is in clean status"
            }]}),
        )
        .into_response();
    }
    state.pulls[n as usize - 1].auto_merge = Some(method.to_lowercase());
    axum::Json(
        json!({"data": {"enablePullRequestAutoMerge": {"pullRequest": {
            "number": n, "autoMergeRequest": {"enabledAt": "2026-12-07T00:40:00Z"}
        }}}}),
    )
    .into_response()
}
