//! The `state:` config section.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::StateError;
use crate::url::StoreUrl;

/// Days resolved findings and their history are kept by default.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

/// The `state:` section: where aiops keeps its memory.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StateConfig {
    /// `sqlite://PATH` or `postgres://USER@HOST[:PORT]/DB`; unset: `sqlite://` on
    /// `state.db` under the data directory. Never a password: see `password_env` and
    /// `password_file`.
    pub url: Option<String>,
    /// Environment variable holding the PostgreSQL password.
    pub password_env: Option<String>,
    /// File holding the PostgreSQL password (its first line).
    pub password_file: Option<PathBuf>,
    /// Days resolved findings and their history are kept before a cycle prunes them.
    pub retention_days: u32,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            url: None,
            password_env: None,
            password_file: None,
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

impl StateConfig {
    /// Checks the section without touching the store or reading secrets.
    pub fn validate(&self) -> Result<(), StateError> {
        if self.retention_days == 0 {
            return Err(StateError::Config {
                key: "retention_days",
                message: "must be at least 1".into(),
            });
        }
        if let Some(url) = &self.url {
            StoreUrl::parse(url)?;
        }
        if self.password_env.is_some() && self.password_file.is_some() {
            return Err(StateError::Config {
                key: "password_env",
                message: "give the password in password_env or in password_file, not both".into(),
            });
        }
        Ok(())
    }

    /// The store's URL: `url`, or the embedded default under `data_dir`; with the
    /// password read from the environment or file when one is configured.
    pub fn store_url(&self, data_dir: &Path) -> Result<StoreUrl, StateError> {
        let url = match &self.url {
            Some(url) => StoreUrl::parse(url)?,
            None => StoreUrl::sqlite(data_dir.join("state.db")),
        };
        match self.password()? {
            Some(password) => url.with_password(&password),
            None => Ok(url),
        }
    }

    fn password(&self) -> Result<Option<String>, StateError> {
        if let Some(var) = &self.password_env {
            return match std::env::var(var) {
                Ok(value) if !value.is_empty() => Ok(Some(value)),
                _ => Err(StateError::Config {
                    key: "password_env",
                    message: format!("the environment variable {var} is not set"),
                }),
            };
        }
        if let Some(file) = &self.password_file {
            let text = std::fs::read_to_string(file).map_err(|err| StateError::Config {
                key: "password_file",
                message: format!("cannot read {}: {err}", file.display()),
            })?;
            let line = text.lines().next().unwrap_or("").trim_end().to_string();
            if line.is_empty() {
                return Err(StateError::Config {
                    key: "password_file",
                    message: format!("{} is empty", file.display()),
                });
            }
            return Ok(Some(line));
        }
        Ok(None)
    }
}

/// The data directory when the config names none: `$AIOPS_DATA_DIR`, else
/// `$XDG_DATA_HOME/aiops`, else `~/.local/share/aiops`.
pub fn default_data_dir() -> PathBuf {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = env("AIOPS_DATA_DIR") {
        return dir.into();
    }
    if let Some(dir) = env("XDG_DATA_HOME") {
        return PathBuf::from(dir).join("aiops");
    }
    match env("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/aiops"),
        None => PathBuf::from(".aiops"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_is_refused_without_echoing_it() {
        let config = StateConfig {
            url: Some("postgres://aiops:hunter2@db:5432/aiops".into()),
            ..StateConfig::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(err.starts_with("state.url: "), "{err}");
        assert!(err.contains("password_env"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn the_default_is_sqlite_under_the_data_dir_and_bad_values_name_the_key() {
        let url = StateConfig::default()
            .store_url(Path::new("/var/lib/aiops"))
            .unwrap();
        assert_eq!(url.redacted(), "sqlite:///var/lib/aiops/state.db");
        let zero = StateConfig {
            retention_days: 0,
            ..StateConfig::default()
        };
        assert_eq!(
            zero.validate().unwrap_err().to_string(),
            "state.retention_days: must be at least 1"
        );
        let missing = StateConfig {
            url: Some("postgres://aiops@db/aiops".into()),
            password_env: Some("AIOPS_TEST_NO_SUCH_VARIABLE".into()),
            ..StateConfig::default()
        };
        assert_eq!(
            missing.store_url(Path::new("/d")).unwrap_err().to_string(),
            "state.password_env: the environment variable AIOPS_TEST_NO_SUCH_VARIABLE is not set"
        );
    }
}
