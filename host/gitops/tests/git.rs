//! aiops's clone against a real bare repository on disk: seeding, commits made in
//! memory, pushes with a lease, merges and conflicts.

use std::path::Path;

use aiops_gitops::git::{GitError, IacClone, Identity, Merged, seed_bare};

fn seeded(dir: &Path) -> std::path::PathBuf {
    let seed = dir.join("seed");
    std::fs::create_dir_all(seed.join("k8s")).unwrap();
    std::fs::write(seed.join("k8s/app.yaml"), "replicas: 1\n").unwrap();
    std::fs::write(seed.join("README.md"), "iac\n").unwrap();
    let remote = dir.join("remote.git");
    assert!(seed_bare(&remote, &seed, "main", &Identity::default()).unwrap());
    assert!(
        !seed_bare(&remote, &seed, "main", &Identity::default()).unwrap(),
        "seeding twice does nothing"
    );
    remote
}

fn file_at(clone: &IacClone, commit: git2::Oid, path: &str) -> String {
    let repo = git2::Repository::open(clone.workdir()).unwrap();
    let tree = repo.find_commit(commit).unwrap().tree().unwrap();
    let entry = tree.get_path(Path::new(path)).unwrap();
    String::from_utf8(repo.find_blob(entry.id()).unwrap().content().to_vec()).unwrap()
}

#[test]
fn commit_push_with_lease_and_merge() {
    let dir = tempfile::tempdir().unwrap();
    let remote = seeded(dir.path());
    let url = remote.to_str().unwrap();
    let clone = IacClone::open(url, &dir.path().join("clone"), "main").unwrap();
    clone.fetch().unwrap();
    let base = clone.base_tip().unwrap();
    clone.checkout(base).unwrap();
    assert_eq!(
        std::fs::read_to_string(clone.workdir().join("k8s/app.yaml")).unwrap(),
        "replicas: 1\n"
    );

    let who = Identity {
        name: "bot".into(),
        email: "bot@example.com".into(),
    };
    let files = vec![("k8s/app.yaml".to_string(), "replicas: 2\n".to_string())];
    let head = clone
        .commit_files(base, &files, "Fix\n\nAiops-Group: g\n", &who)
        .unwrap();
    assert_eq!(file_at(&clone, head, "k8s/app.yaml"), "replicas: 2\n");
    assert_eq!(
        file_at(&clone, head, "README.md"),
        "iac\n",
        "untouched files stay"
    );
    assert_eq!(clone.committer_email(head).unwrap(), "bot@example.com");
    // The working directory is not touched by a commit made in memory.
    assert_eq!(
        std::fs::read_to_string(clone.workdir().join("k8s/app.yaml")).unwrap(),
        "replicas: 1\n"
    );

    clone.push("aiops/abc", Some(head), None).unwrap();
    let bare = git2::Repository::open_bare(&remote).unwrap();
    assert_eq!(bare.refname_to_id("refs/heads/aiops/abc").unwrap(), head);

    // Pushing again expecting the branch absent breaks the lease: nothing changes.
    let other = clone
        .commit_files(
            base,
            &[("k8s/app.yaml".into(), "replicas: 3\n".into())],
            "Other",
            &who,
        )
        .unwrap();
    match clone.push("aiops/abc", Some(other), None) {
        Err(GitError::Lease {
            expected, actual, ..
        }) => {
            assert_eq!(expected, "absent");
            assert_eq!(actual, head.to_string());
        }
        other => panic!("expected a broken lease, got {other:?}"),
    }
    assert_eq!(bare.refname_to_id("refs/heads/aiops/abc").unwrap(), head);
    // With the right lease the branch moves.
    clone.push("aiops/abc", Some(other), Some(head)).unwrap();
    assert_eq!(bare.refname_to_id("refs/heads/aiops/abc").unwrap(), other);

    // Base unchanged: the branch fast-forwards.
    assert_eq!(
        clone.merge(base, other, "Merge", &who).unwrap(),
        Merged::FastForward(other)
    );

    // Base moves in the same line: the branch conflicts.
    let moved = clone
        .commit_files(
            base,
            &[("k8s/app.yaml".into(), "replicas: 5\n".into())],
            "Human",
            &who,
        )
        .unwrap();
    assert_eq!(
        clone.conflicts(moved, other).unwrap(),
        vec!["k8s/app.yaml".to_string()]
    );
    assert!(
        matches!(clone.merge(moved, other, "Merge", &who).unwrap(), Merged::Conflict(p) if p == ["k8s/app.yaml"])
    );
    // Base moves elsewhere: a merge commit joins both.
    let elsewhere = clone
        .commit_files(
            base,
            &[("README.md".into(), "iac v2\n".into())],
            "Docs",
            &who,
        )
        .unwrap();
    let Merged::MergeCommit(merge) = clone.merge(elsewhere, other, "Merge", &who).unwrap() else {
        panic!("expected a merge commit");
    };
    assert_eq!(file_at(&clone, merge, "k8s/app.yaml"), "replicas: 3\n");
    assert_eq!(file_at(&clone, merge, "README.md"), "iac v2\n");

    // Delete with a lease.
    clone.push("aiops/abc", None, Some(other)).unwrap();
    assert!(bare.refname_to_id("refs/heads/aiops/abc").is_err());
    clone.fetch().unwrap();
    assert_eq!(clone.remote_branch("aiops/abc"), None);
}
