//! Opening the store: connect, set SQLite up (WAL, created on first use), refuse a
//! schema newer than this binary, then migrate.

use std::sync::Once;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _};
use sqlx::{Executor as _, Row as _};

use crate::error::StateError;
use crate::schema::{MIGRATIONS_TABLE, SCHEMA_VERSION, migrator};
use crate::url::StoreUrl;

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Bound parameter `n` (1-based) in generated statements: `$n` on PostgreSQL, `?n`
    /// on SQLite, where `$n` is a *named* parameter that SQLite looks up by a linear
    /// scan — quadratic in a multi-row insert of thousands of parameters.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Backend::Sqlite => format!("?{n}"),
            Backend::Postgres => format!("${n}"),
        }
    }
}

/// An open, migrated state store.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    url: StoreUrl,
    /// The leader token leader-only writes carry (`None`: a single replica, unfenced).
    pub(crate) fence: Option<i64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.url.redacted())
            .field("fence", &self.fence)
            .finish()
    }
}

static DRIVERS: Once = Once::new();

impl Store {
    /// Opens (creating a SQLite file on first use) and migrates the store at `url`.
    pub async fn open(url: &StoreUrl) -> Result<Store, StateError> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let open_error = |message: String| StateError::Open {
            url: url.redacted(),
            message,
        };
        let backend = match url {
            StoreUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|err| {
                        open_error(format!("cannot create {}: {err}", dir.display()))
                    })?;
                }
                Backend::Sqlite
            }
            StoreUrl::Postgres(_) => Backend::Postgres,
        };
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 8,
            })
            .acquire_timeout(Duration::from_secs(15))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL stays durable across a crash of the process at NORMAL.
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            });
        let connect = connect_options(url).map_err(|err| open_error(describe(&err)))?;
        // One connection first: the pool retries a failing connection until its acquire
        // timeout, and an unreachable server or a corrupt file should fail at once.
        let mut probe = connect
            .connect()
            .await
            .map_err(|err| open_error(describe(&err)))?;
        if backend == Backend::Sqlite {
            probe
                .execute("SELECT count(*) FROM sqlite_master")
                .await
                .map_err(|err| open_error(describe(&err)))?;
        }
        let _ = probe.close().await;
        let pool = options
            .connect_with(connect)
            .await
            .map_err(|err| open_error(describe(&err)))?;
        let store = Store {
            pool,
            backend,
            url: url.clone(),
            fence: None,
        };
        if backend == Backend::Sqlite {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
                .fetch_one(&store.pool)
                .await
                .map_err(|err| open_error(describe(&err)))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(open_error(format!(
                    "cannot switch to WAL mode (got {mode})"
                )));
            }
        }
        store.refuse_newer_schema().await?;
        migrator(backend)
            .run(&store.pool)
            .await
            .map_err(|err| open_error(format!("migrating the schema: {err}")))?;
        Ok(store)
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where the store is (print it with [`StoreUrl::redacted`]).
    pub fn url(&self) -> &StoreUrl {
        &self.url
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The schema version recorded in the store (0 when it was never migrated).
    pub async fn schema_version(&self) -> Result<i64, StateError> {
        let exists = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let count: i64 = sqlx::query_scalar(exists)
            .fetch_one(&self.pool)
            .await
            .map_err(|err| self.open_error(&err))?;
        if count == 0 {
            return Ok(0);
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT MAX(version) FROM {MIGRATIONS_TABLE} WHERE success"
        )))
        .fetch_one(&self.pool)
        .await
        .map_err(|err| self.open_error(&err))?;
        Ok(row.try_get::<Option<i64>, _>(0).ok().flatten().unwrap_or(0))
    }

    async fn refuse_newer_schema(&self) -> Result<(), StateError> {
        let found = self.schema_version().await?;
        if found > SCHEMA_VERSION {
            return Err(StateError::SchemaTooNew {
                url: self.url.redacted(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    fn open_error(&self, err: &sqlx::Error) -> StateError {
        StateError::Open {
            url: self.url.redacted(),
            message: describe(err),
        }
    }

    /// A failed query as a store error naming the store (never its password).
    pub fn query_error(&self, err: sqlx::Error) -> StateError {
        StateError::Query {
            url: self.url.redacted(),
            message: describe(&err),
        }
    }

    /// The connection pool, for crates that keep tables of their own in this store
    /// (their migrations are registered in this crate's schema list).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction; on SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`) so it never fails half-way on a snapshot conflict.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StateError> {
        let begun = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        begun.map_err(|err| self.query_error(err))
    }
}

/// One line for a sqlx error, without the URL (sqlx never prints passwords, and the
/// caller names the store by its redacted URL).
fn describe(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".into(),
        other => other.to_string(),
    }
    .lines()
    .next()
    .unwrap_or("")
    .to_string()
}

/// The connection options of `url`: statements are logged at trace level and slow ones
/// at debug, never as warnings (a slow multi-row insert would print every placeholder).
fn connect_options(url: &StoreUrl) -> Result<AnyConnectOptions, sqlx::Error> {
    Ok(url
        .connect_url()
        .parse::<AnyConnectOptions>()?
        .log_statements(log::LevelFilter::Trace)
        .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(5)))
}
