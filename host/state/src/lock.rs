//! The cycle lock: one cycle at a time per store. SQLite: an exclusive `flock` on a file
//! beside the database; PostgreSQL: a session advisory lock on a connection of its own.
//! Both are released by the operating system or the server when the holder dies, so a
//! killed cycle never leaves the store locked.

use std::io::{Read as _, Seek as _, Write as _};
use std::time::{Duration, Instant};

use sqlx::{Connection as _, Row as _};

use crate::error::StateError;
use crate::store::Store;
use crate::time::{format_millis, now_millis};
use crate::url::StoreUrl;

/// The advisory lock key of the cycle lock ("aiops" in ASCII).
const ADVISORY_KEY: i64 = 0x61_69_6f_70_73;
/// How often a waiting cycle tries the lock again.
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// Held while a cycle runs; dropping it releases the lock.
pub struct CycleLock {
    _held: Held,
}

impl std::fmt::Debug for CycleLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self._held {
            Held::File { .. } => "lock file",
            Held::Postgres { .. } => "advisory lock",
        };
        f.debug_struct("CycleLock").field("held", &kind).finish()
    }
}

/// What keeps the lock: dropping it releases it.
enum Held {
    /// The flocked lock file (SQLite).
    File { _file: std::fs::File },
    /// The connection holding the advisory lock (PostgreSQL).
    Postgres { _conn: sqlx::AnyConnection },
}

impl Store {
    /// Takes the cycle lock, waiting up to `wait` for another cycle to finish, then
    /// refusing with [`StateError::Busy`]. `owner` is recorded for whoever waits.
    pub async fn lock_cycles(&self, owner: &str, wait: Duration) -> Result<CycleLock, StateError> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(held) = self.try_lock(owner).await? {
                return Ok(CycleLock { _held: held });
            }
            if Instant::now() >= deadline {
                return Err(StateError::Busy {
                    url: self.url().redacted(),
                    holder: self.holder().await,
                });
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
    }

    async fn try_lock(&self, owner: &str) -> Result<Option<Held>, StateError> {
        match self.url() {
            StoreUrl::Sqlite(path) => {
                let path = lock_path(path);
                let mut file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&path)
                    .map_err(|err| {
                        self.lock_error(format!("cannot open {}: {err}", path.display()))
                    })?;
                match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive)
                {
                    Ok(()) => {
                        let note = format!("{owner} since {}\n", format_millis(now_millis()));
                        let _ = file.set_len(0);
                        let _ = file.rewind();
                        let _ = file.write_all(note.as_bytes());
                        Ok(Some(Held::File { _file: file }))
                    }
                    Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
                    Err(err) => {
                        Err(self.lock_error(format!("cannot lock {}: {err}", path.display())))
                    }
                }
            }
            StoreUrl::Postgres(_) => {
                let mut conn = sqlx::AnyConnection::connect(&self.url().connect_url())
                    .await
                    .map_err(|err| self.query_error(err))?;
                let row = sqlx::query("SELECT pg_try_advisory_lock($1)")
                    .bind(ADVISORY_KEY)
                    .fetch_one(&mut conn)
                    .await
                    .map_err(|err| self.query_error(err))?;
                let locked: bool = row.try_get(0).map_err(|err| self.query_error(err))?;
                if !locked {
                    let _ = conn.close().await;
                    return Ok(None);
                }
                sqlx::query("SELECT set_config('application_name', $1, false)")
                    .bind(owner.chars().take(60).collect::<String>())
                    .execute(&mut conn)
                    .await
                    .map_err(|err| self.query_error(err))?;
                Ok(Some(Held::Postgres { _conn: conn }))
            }
        }
    }

    /// Who holds the lock, as far as the store tells (for the refusal's message).
    async fn holder(&self) -> String {
        match self.url() {
            StoreUrl::Sqlite(path) => {
                let mut note = String::new();
                let read = std::fs::File::open(lock_path(path))
                    .and_then(|mut f| f.read_to_string(&mut note));
                match read {
                    Ok(_) if !note.trim().is_empty() => format!(" ({})", note.trim()),
                    _ => String::new(),
                }
            }
            StoreUrl::Postgres(_) => {
                let query = "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                     WHERE l.locktype = 'advisory' AND l.granted AND l.objid::bigint = $1 LIMIT 1";
                let key = ADVISORY_KEY & 0xffff_ffff;
                match sqlx::query_scalar::<_, String>(query)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                {
                    Ok(Some(name)) if !name.is_empty() => format!(" ({name})"),
                    _ => String::new(),
                }
            }
        }
    }

    fn lock_error(&self, message: String) -> StateError {
        StateError::Query {
            url: self.url().redacted(),
            message,
        }
    }
}

fn lock_path(db: &std::path::Path) -> std::path::PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".cycle-lock");
    db.with_file_name(name)
}
