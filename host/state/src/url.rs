//! The store's URL: which backend, where, and how to print it without its password.

use std::path::{Path, PathBuf};

use crate::error::StateError;

/// Where the store is: a SQLite file or a PostgreSQL database.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// A SQLite database file (created on first use).
    Sqlite(PathBuf),
    /// A PostgreSQL database; the URL may carry a password read from env or file.
    Postgres(url::Url),
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl StoreUrl {
    /// Parses `state.url`: `sqlite://PATH`, `sqlite:PATH`, `postgres://…` or
    /// `postgresql://…`. A password in the URL is refused (secrets never live in the
    /// config).
    pub fn parse(text: &str) -> Result<StoreUrl, StateError> {
        let bad = |message: String| StateError::Config {
            key: "url",
            message,
        };
        if let Some(rest) = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or("");
            if path.is_empty() || path == ":memory:" {
                return Err(bad(format!(
                    "`{text}` names no database file (expected sqlite://PATH)"
                )));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            let url = url::Url::parse(text)
                .map_err(|err| bad(format!("not a valid PostgreSQL URL ({err})")))?;
            if url.password().is_some() {
                return Err(bad(
                    "must not hold a password: give it in state.password_env or state.password_file"
                        .into(),
                ));
            }
            if url.host_str().is_none_or(str::is_empty) {
                return Err(bad(format!("`{}` names no host", redact(&url))));
            }
            return Ok(StoreUrl::Postgres(url));
        }
        let scheme = text.split(':').next().unwrap_or(text);
        Err(bad(format!(
            "unsupported scheme `{scheme}` (expected sqlite://PATH or postgres://USER@HOST/DB)"
        )))
    }

    /// The SQLite file `path`.
    pub fn sqlite(path: impl Into<PathBuf>) -> StoreUrl {
        StoreUrl::Sqlite(path.into())
    }

    /// The same store, authenticating with `password` (PostgreSQL only).
    pub fn with_password(self, password: &str) -> Result<StoreUrl, StateError> {
        match self {
            StoreUrl::Postgres(mut url) => {
                url.set_password(Some(password))
                    .map_err(|()| StateError::Config {
                        key: "url",
                        message: "cannot carry a password".into(),
                    })?;
                Ok(StoreUrl::Postgres(url))
            }
            StoreUrl::Sqlite(_) => Err(StateError::Config {
                key: "password_env",
                message: "a SQLite store takes no password".into(),
            }),
        }
    }

    /// The URL as errors and logs show it: any password replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            StoreUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            StoreUrl::Postgres(url) => redact(url),
        }
    }

    /// The SQLite file, when this is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            StoreUrl::Sqlite(path) => Some(path),
            StoreUrl::Postgres(_) => None,
        }
    }

    /// The URL sqlx connects with (it may hold the password: never print it).
    pub(crate) fn connect_url(&self) -> String {
        match self {
            StoreUrl::Sqlite(path) => {
                let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                let encoded: String = path
                    .to_string_lossy()
                    .chars()
                    .map(|c| match c {
                        '%' => "%25".to_string(),
                        '?' => "%3F".to_string(),
                        '#' => "%23".to_string(),
                        c => c.to_string(),
                    })
                    .collect();
                format!("sqlite://{encoded}?mode=rwc")
            }
            StoreUrl::Postgres(url) => url.to_string(),
        }
    }
}

fn redact(url: &url::Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_print_without_passwords() {
        assert_eq!(
            StoreUrl::parse("sqlite://data/state.db").unwrap(),
            StoreUrl::Sqlite("data/state.db".into())
        );
        assert_eq!(
            StoreUrl::parse("sqlite:/abs/state.db").unwrap(),
            StoreUrl::Sqlite("/abs/state.db".into())
        );
        let pg = StoreUrl::parse("postgres://aiops@db.internal:5432/aiops").unwrap();
        let with = pg.with_password("s3cret").unwrap();
        assert!(with.connect_url().contains("s3cret"));
        assert_eq!(
            with.redacted(),
            "postgres://aiops:***@db.internal:5432/aiops"
        );
        assert!(!format!("{with:?}").contains("s3cret"));
        let err = StoreUrl::parse("mysql://x/y").unwrap_err().to_string();
        assert_eq!(
            err,
            "state.url: unsupported scheme `mysql` (expected sqlite://PATH or postgres://USER@HOST/DB)"
        );
        assert!(StoreUrl::parse("sqlite://").is_err());
    }
}
