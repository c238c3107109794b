//! Collectors: where inventory comes from.
//!
//! Today: Kubernetes manifests on disk ([`manifests`]) and inventory snapshot files
//! ([`snapshot`]), the embedded default and the fixture format. Live collectors
//! (Kubernetes, AWS, Azure) join here behind one trait, each writing the same envelope.

pub mod manifests;
pub mod snapshot;

/// Why a file source could not be read at all (problems inside files are not errors:
/// they are kept in the inventory and the rest goes on).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The manifests directory is missing or not a directory.
    #[error("manifests directory {0} does not exist or is not a directory")]
    NotADirectory(std::path::PathBuf),
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A snapshot file is not valid JSON or not an aiops inventory snapshot.
    #[error("{path} is not an aiops inventory snapshot: {message}")]
    BadSnapshot {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        message: String,
    },
}
