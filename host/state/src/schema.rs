//! The schema: versioned migrations embedded in the binary, one list per backend with
//! the same versions, applied when the store opens. A store whose schema is newer than
//! the binary's is refused before anything runs.

use std::borrow::Cow;

use sqlx::SqlSafeStr as _;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::store::Backend;

/// The newest schema version this binary knows.
pub const SCHEMA_VERSION: i64 = 6;

/// `(version, description, SQLite script, PostgreSQL script)`, oldest first.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "state",
        include_str!("../migrations/sqlite/0001_state.sql"),
        include_str!("../migrations/postgres/0001_state.sql"),
    ),
    (
        2,
        "gitops",
        include_str!("../migrations/sqlite/0002_gitops.sql"),
        include_str!("../migrations/postgres/0002_gitops.sql"),
    ),
    (
        3,
        "notify",
        include_str!("../migrations/sqlite/0003_notify.sql"),
        include_str!("../migrations/postgres/0003_notify.sql"),
    ),
    (
        4,
        "leader",
        include_str!("../migrations/sqlite/0004_leader.sql"),
        include_str!("../migrations/postgres/0004_leader.sql"),
    ),
    (
        5,
        "finding_pages",
        include_str!("../migrations/sqlite/0005_finding_pages.sql"),
        include_str!("../migrations/postgres/0005_finding_pages.sql"),
    ),
    (
        6,
        "findings_generation",
        include_str!("../migrations/sqlite/0006_findings_generation.sql"),
        include_str!("../migrations/postgres/0006_findings_generation.sql"),
    ),
];

/// The table sqlx records applied migrations in.
pub(crate) const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// The migrator for `backend`, every migration embedded.
pub(crate) fn migrator(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, description, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_every_version_in_order_and_the_newest_is_schema_version() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        assert_eq!(versions.last(), Some(&SCHEMA_VERSION));
        for backend in [Backend::Sqlite, Backend::Postgres] {
            assert_eq!(migrator(backend).iter().count(), MIGRATIONS.len());
        }
        for (_, _, sqlite, postgres) in MIGRATIONS {
            let tables = |sql: &str| -> Vec<String> {
                sql.lines()
                    .filter_map(|l| l.strip_prefix("CREATE TABLE "))
                    .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
                    .collect()
            };
            assert_eq!(tables(sqlite), tables(postgres), "the same tables on both");
        }
    }
}
