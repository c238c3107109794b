//! Network remotes (`https://`, `ssh://`, `user@host:path`) through the `git` command
//! line: clone, fetch and push with a lease. libgit2 would need OpenSSL and libssh2 for
//! these (a second TLS stack in the build); the `git` program is what Argo CD and
//! Renovate drive too, and its transports are the ones users' hosts are tested with.
//!
//! Credentials never reach the command line, the repository's config or a log: an
//! https token goes in an `http.extraHeader` given through `GIT_CONFIG_*` environment
//! variables of the child, an ssh key through `GIT_SSH_COMMAND`. Neither the user's nor
//! the system's git config is read (no credential helper, no URL rewrite), and git
//! never prompts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use git2::Oid;

use crate::git::GitError;

/// How aiops authenticates to a network remote.
#[derive(Clone, Default)]
pub enum RemoteAuth {
    /// Nothing (a public https remote, or ssh with the agent/default keys).
    #[default]
    None,
    /// HTTP basic auth with a token (GitHub: user `x-access-token`).
    Token {
        /// The user name.
        username: String,
        /// The token.
        token: String,
    },
    /// An ssh key file, and the known hosts to check the server against.
    SshKey {
        /// The private key.
        key_file: PathBuf,
        /// A known_hosts file; absent: the user's.
        known_hosts: Option<PathBuf>,
        /// The ssh program (default `ssh` from PATH).
        program: Option<PathBuf>,
    },
}

impl std::fmt::Debug for RemoteAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemoteAuth::None => f.write_str("None"),
            RemoteAuth::Token { username, .. } => write!(f, "Token({username}, ***)"),
            RemoteAuth::SshKey { key_file, .. } => write!(f, "SshKey({})", key_file.display()),
        }
    }
}

/// True for an address the `git` program's transports serve.
pub fn is_network_url(url: &str) -> bool {
    url.starts_with("https://")
        || url.starts_with("http://")
        || url.starts_with("ssh://")
        || (!url.contains("://") && url.contains('@') && url.contains(':'))
}

/// A network remote and its credentials.
#[derive(Debug, Clone)]
pub struct NetworkRemote {
    url: String,
    auth: RemoteAuth,
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl NetworkRemote {
    /// The remote at `url`, reached with `auth`.
    pub fn new(url: &str, auth: RemoteAuth) -> NetworkRemote {
        NetworkRemote {
            url: url.into(),
            auth,
        }
    }

    fn fail(&self, what: &str, message: String) -> GitError {
        GitError::Git {
            what: what.into(),
            url: self.url.clone(),
            message,
        }
    }

    /// `git` with the hermetic environment and the credentials.
    fn git(&self, dir: &Path) -> Command {
        let mut command = Command::new("git");
        command
            .current_dir(dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_ASKPASS")
            .env_remove("SSH_ASKPASS")
            .stdin(Stdio::null());
        let mut config: Vec<(String, String)> = vec![("credential.helper".into(), String::new())];
        match &self.auth {
            RemoteAuth::None => {}
            RemoteAuth::Token { username, token } => {
                let basic = base64(format!("{username}:{token}").as_bytes());
                config.push((
                    "http.extraHeader".into(),
                    format!("Authorization: Basic {basic}"),
                ));
            }
            RemoteAuth::SshKey {
                key_file,
                known_hosts,
                program,
            } => {
                let program = program
                    .as_ref()
                    .map_or("ssh".to_string(), |p| shell_quote(&p.to_string_lossy()));
                let mut ssh = format!(
                    "{program} -i {} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes",
                    shell_quote(&key_file.to_string_lossy())
                );
                if let Some(known) = known_hosts {
                    ssh.push_str(&format!(
                        " -o UserKnownHostsFile={}",
                        shell_quote(&known.to_string_lossy())
                    ));
                }
                command.env("GIT_SSH_COMMAND", ssh);
            }
        }
        command.env("GIT_CONFIG_COUNT", config.len().to_string());
        for (i, (key, value)) in config.into_iter().enumerate() {
            command
                .env(format!("GIT_CONFIG_KEY_{i}"), key)
                .env(format!("GIT_CONFIG_VALUE_{i}"), value);
        }
        command
    }

    fn run(&self, what: &str, mut command: Command) -> Result<String, GitError> {
        let out = command
            .output()
            .map_err(|e| self.fail(what, format!("cannot run git: {e}")))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            return Ok(stdout);
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let message = format!("{}{}", stdout.trim(), stderr.trim());
        Err(self.fail(what, message.trim().to_string()))
    }

    /// Clones into `dir` (no checkout).
    pub fn clone_into(&self, dir: &Path) -> Result<(), GitError> {
        let parent = dir.parent().unwrap_or(Path::new("/"));
        let mut command = self.git(parent);
        command
            .args([
                "clone",
                "--quiet",
                "--no-checkout",
                "--origin",
                "origin",
                "--",
            ])
            .arg(&self.url)
            .arg(dir);
        self.run("clone", command).map(drop)
    }

    /// Fetches every branch into `refs/remotes/origin/*`, pruning deleted ones.
    pub fn fetch(&self, dir: &Path) -> Result<(), GitError> {
        let mut command = self.git(dir);
        command.args([
            "fetch",
            "--quiet",
            "--prune",
            "origin",
            "+refs/heads/*:refs/remotes/origin/*",
        ]);
        self.run("fetch", command).map(drop)
    }

    /// Sets the remote `refname` to the local ref `local` (delete when `None`), only if
    /// it is at `expected` there (`None`: absent).
    pub fn push(
        &self,
        dir: &Path,
        refname: &str,
        local: Option<&str>,
        expected: Option<Oid>,
    ) -> Result<(), GitError> {
        let lease = format!(
            "--force-with-lease={refname}:{}",
            expected.map(|o| o.to_string()).unwrap_or_default()
        );
        // No `+` on the refspec: it would force past the lease. The lease alone allows
        // the non-fast-forward update when the remote ref is where aiops expects it.
        let spec = match local {
            Some(local) => format!("{local}:{refname}"),
            None => format!(":{refname}"),
        };
        let mut command = self.git(dir);
        command.args(["push", "--porcelain", &lease, "origin", &spec]);
        match self.run(&format!("push of {refname}"), command) {
            Ok(_) => Ok(()),
            Err(GitError::Git { message, .. }) if message.contains("stale info") => {
                Err(GitError::Lease {
                    url: self.url.clone(),
                    refname: refname.into(),
                    expected: expected.map_or("absent".into(), |o| o.to_string()),
                    actual: "elsewhere".into(),
                })
            }
            Err(GitError::Git { message, .. }) if message.contains("[remote rejected]") => {
                Err(GitError::Refused {
                    url: self.url.clone(),
                    refname: refname.into(),
                    message,
                })
            }
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_urls_and_encoding() {
        for url in [
            "https://github.com/a/b.git",
            "ssh://git@github.com/a/b.git",
            "git@github.com:a/b.git",
        ] {
            assert!(is_network_url(url), "{url}");
        }
        for url in ["/srv/iac.git", "../iac.git", "file:///srv/iac.git"] {
            assert!(!is_network_url(url), "{url}");
        }
        assert_eq!(base64(b"x-access-token:abc"), "eC1hY2Nlc3MtdG9rZW46YWJj");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        let token = RemoteAuth::Token {
            username: "u".into(),
            token: "secret".into(),
        };
        assert!(!format!("{token:?}").contains("secret"));
    }
}
