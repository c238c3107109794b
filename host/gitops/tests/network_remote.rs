//! aiops's clone of a network remote through the `git` program: smart HTTP with a token
//! (`git http-backend` behind the test server) — clone, fetch, push with a lease, a
//! broken lease, a wrong token — and ssh with a key file, through an `ssh` stand-in that
//! runs the remote side (`git-upload-pack` / `git-receive-pack`) as sshd would.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use aiops_gitops::git::{GitError, IacClone, Identity};
use aiops_gitops::git_cli::RemoteAuth;
use aiops_standins::git_http::GitHttpServer;

const TOKEN: &str = "ghs_networkRemoteTestToken42";

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

fn bare_with_main(dir: &Path) -> PathBuf {
    git(dir, &["init", "-q", "--bare", "remote.git"]);
    git(dir, &["clone", "-q", "remote.git", "seed"]);
    std::fs::write(dir.join("seed/app.yaml"), "replicas: 1\n").unwrap();
    git(&dir.join("seed"), &["add", "-A"]);
    git(&dir.join("seed"), &["commit", "-q", "-m", "base"]);
    git(&dir.join("seed"), &["push", "-q", "origin", "HEAD:main"]);
    dir.join("remote.git")
}

fn who() -> Identity {
    Identity {
        name: "aiops".into(),
        email: "aiops@example.test".into(),
    }
}

fn token(t: &str) -> RemoteAuth {
    RemoteAuth::Token {
        username: "x-access-token".into(),
        token: t.into(),
    }
}

#[test]
fn smart_http_with_a_token_clones_fetches_and_pushes_with_a_lease() {
    let dir = tempfile::tempdir().unwrap();
    let bare = bare_with_main(dir.path());
    let server = GitHttpServer::start(dir.path(), "x-access-token", TOKEN);
    let url = format!("{}/remote.git", server.url);

    let clone = IacClone::open_with(&url, &dir.path().join("clone"), "main", token(TOKEN)).unwrap();
    clone.fetch().unwrap();
    let base = clone.base_tip().unwrap();
    assert_eq!(base.to_string(), git(&bare, &["rev-parse", "main"]));
    let files = vec![("app.yaml".to_string(), "replicas: 2\n".to_string())];
    let commit = clone.commit_files(base, &files, "fix\n", &who()).unwrap();
    clone.push("aiops/abc", Some(commit), None).unwrap();
    assert_eq!(git(&bare, &["rev-parse", "aiops/abc"]), commit.to_string());
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path.contains("git-receive-pack") && r.authorized)
    );

    // Someone else moves the branch: the lease on where aiops left it refuses the push.
    git(
        &dir.path().join("seed"),
        &["push", "-q", "-f", "origin", "main:aiops/abc"],
    );
    let again = clone
        .commit_files(base, &files, "fix again\n", &who())
        .unwrap();
    let err = clone
        .push("aiops/abc", Some(again), Some(commit))
        .unwrap_err();
    assert!(matches!(err, GitError::Lease { .. }), "{err}");
    assert_eq!(
        git(&bare, &["rev-parse", "aiops/abc"]),
        git(&bare, &["rev-parse", "main"])
    );
    // And an absent-branch lease on an existing branch too.
    let err = clone.push("aiops/abc", Some(again), None).unwrap_err();
    assert!(matches!(err, GitError::Lease { .. }), "{err}");

    // With the right lease a push may rewrite the branch (not a fast-forward).
    let main_tip = git2::Oid::from_str(&git(&bare, &["rev-parse", "main"])).unwrap();
    clone
        .push("aiops/abc", Some(again), Some(main_tip))
        .unwrap();
    clone.push("aiops/abc", Some(commit), Some(again)).unwrap();
    assert_eq!(git(&bare, &["rev-parse", "aiops/abc"]), commit.to_string());

    // Deleting with the right lease works.
    clone.fetch().unwrap();
    let tip = clone.remote_branch("aiops/abc").unwrap();
    clone.push("aiops/abc", None, Some(tip)).unwrap();
    assert!(git(&bare, &["branch", "--list", "aiops/abc"]).is_empty());

    // A wrong token: a clear error that does not hold the token.
    let err = IacClone::open_with(&url, &dir.path().join("clone2"), "main", token("ghs_wrong"))
        .err()
        .expect("a wrong token is refused")
        .to_string();
    assert!(err.contains("clone") && err.contains(&url), "{err}");
    assert!(!err.contains("ghs_"), "{err}");
    assert!(!dir.path().join("clone2").exists(), "no half clone left");
}

#[test]
fn ssh_with_a_key_file_runs_ssh_with_that_key_and_the_known_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let bare = bare_with_main(dir.path());
    // An `ssh` that logs its arguments and runs the remote command here, as sshd would.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = dir.path().join("ssh.log");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\nfor last; do :; done\nexec sh -c \"$last\"\n",
        log.display()
    );
    std::fs::write(bin.join("ssh"), script).unwrap();
    std::fs::set_permissions(bin.join("ssh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let key = dir.path().join("id_ed25519");
    std::fs::write(&key, "not a real key: the stand-in does not check it\n").unwrap();
    let known = dir.path().join("known_hosts");
    std::fs::write(&known, "").unwrap();

    let auth = RemoteAuth::SshKey {
        key_file: key.clone(),
        known_hosts: Some(known.clone()),
        program: Some(bin.join("ssh")),
    };
    let url = format!("ssh://git@iac.example.test{}", bare.display());
    let clone = IacClone::open_with(&url, &dir.path().join("clone"), "main", auth).unwrap();
    clone.fetch().unwrap();
    let base = clone.base_tip().unwrap();
    let files = vec![("app.yaml".to_string(), "replicas: 3\n".to_string())];
    let commit = clone.commit_files(base, &files, "fix\n", &who()).unwrap();
    clone.push("aiops/ssh", Some(commit), None).unwrap();
    assert_eq!(git(&bare, &["rev-parse", "aiops/ssh"]), commit.to_string());
    let args = std::fs::read_to_string(&log).unwrap();
    for expected in [
        "-i",
        &key.display().to_string(),
        "IdentitiesOnly=yes",
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        &format!("UserKnownHostsFile={}", known.display()),
        "git@iac.example.test",
    ] {
        assert!(
            args.lines().any(|l| l == expected),
            "no {expected:?} in ssh's arguments:\n{args}"
        );
    }
    assert!(
        args.contains("git-upload-pack") && args.contains("git-receive-pack"),
        "{args}"
    );
}
