//! Why the store could not do what was asked. Every message names the store by its
//! redacted URL; no error ever carries a password.

/// A state store error.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// `state:` in the config is not usable.
    #[error("state.{key}: {message}")]
    Config {
        /// The key under `state:`.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The store could not be opened (unreachable server, unreadable or corrupt file).
    #[error("cannot open the state store {url}: {message}")]
    Open {
        /// The store's URL, password redacted.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The store's schema is newer than this binary knows: refusing, never downgrading.
    #[error(
        "the state store {url} has schema version {found}, newer than this aiops knows ({known}): upgrade aiops; refusing to use it"
    )]
    SchemaTooNew {
        /// The store's URL, password redacted.
        url: String,
        /// The schema version found in the store.
        found: i64,
        /// The newest schema version this binary has.
        known: i64,
    },
    /// Another cycle holds the store's cycle lock.
    #[error(
        "another aiops cycle is running against the state store {url}{holder}; try again when it has finished"
    )]
    Busy {
        /// The store's URL, password redacted.
        url: String,
        /// Who holds it, when known (` (pid 42 on host, since …)`).
        holder: String,
    },
    /// A finding asked for by fingerprint does not exist (or the prefix is ambiguous).
    #[error("{0}")]
    NotFound(String),
    /// A parameter of a findings query is not usable (the API answers 400 naming it).
    #[error("{param}: {message}")]
    Invalid {
        /// The parameter (`state`, `severity`, `after`, …).
        param: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// A query failed.
    #[error("state store {url}: {message}")]
    Query {
        /// The store's URL, password redacted.
        url: String,
        /// What failed.
        message: String,
    },
    /// A leader-only write carried a leader token older than the store's: another
    /// replica has taken the Lease over since, so this one must stop leader work.
    #[error(
        "fenced: this replica's leader token {token} is older than the store's {current}; another replica has taken over leadership"
    )]
    Fenced {
        /// The token the write carried.
        token: i64,
        /// The highest token the store has seen.
        current: i64,
    },
}
