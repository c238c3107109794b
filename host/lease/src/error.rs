//! Why the Lease could not be read or written.

/// A Lease error, naming the Lease (never a credential).
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// `leader_election:` in the config is not usable.
    #[error("leader_election.{key}: {message}")]
    Config {
        /// The key under `leader_election:`.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The API server refused or could not be reached.
    #[error("Lease {namespace}/{name}: {message}")]
    Api {
        /// The Lease's namespace.
        namespace: String,
        /// The Lease's name.
        name: String,
        /// What went wrong (the server's Status message and code).
        message: String,
    },
}
