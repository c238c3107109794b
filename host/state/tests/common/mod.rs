//! What the store's test binaries share: the two backends a test runs on.

use aiops_standins::postgres;
use aiops_state::StoreUrl;

/// The two stores a test runs on, freshly made: (label, URL with password, temp dir).
pub(crate) fn backends(label: &str) -> Vec<(&'static str, StoreUrl, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = StoreUrl::sqlite(dir.path().join("state.db"));
    let pg = StoreUrl::parse(&postgres::server().fresh_database(label))
        .unwrap()
        .with_password(postgres::PASSWORD)
        .unwrap();
    vec![
        ("sqlite", sqlite, dir),
        ("postgres", pg, tempfile::tempdir().unwrap()),
    ]
}
