//! Fencing leader-only writes. With several replicas, the leader claims its token (the
//! Lease's transition count, raised by every takeover) in the one-row `leader_fence`
//! table and works through [`Store::fenced`]; every leader-only write (a cycle begun or
//! finished, a remediation recorded, a notification marked sent) checks its token
//! against the stored one inside its own transaction and fails with
//! [`StateError::Fenced`] when a newer leader has claimed a higher one.
//!
//! The check and the claim exclude each other: on SQLite every write transaction holds
//! the write lock (`BEGIN IMMEDIATE`); on PostgreSQL the check reads the row `FOR SHARE`,
//! which a claim's `UPDATE` waits for. So a write either commits before the takeover's
//! claim or is refused after it. A store that is not fenced (one replica) skips all of
//! this and writes as before.

use sqlx::{Any, Transaction};

use crate::error::StateError;
use crate::store::{Backend, Store};

impl Store {
    /// This store, its leader-only writes carrying `token` (see the module docs).
    pub fn fenced(&self, token: i64) -> Store {
        let mut store = self.clone();
        store.fence = Some(token);
        store
    }

    /// The token this handle's leader-only writes carry, if it is fenced.
    pub fn fence(&self) -> Option<i64> {
        self.fence
    }

    /// Claims `token` for a new leader: raises the stored token to it, or refuses with
    /// [`StateError::Fenced`] when a higher one is stored already.
    pub async fn claim_fence(&self, token: i64) -> Result<(), StateError> {
        let mut tx = self.begin_write().await?;
        let raised = sqlx::query("UPDATE leader_fence SET token = $1 WHERE id = 1 AND token <= $1")
            .bind(token)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.query_error(e))?;
        if raised.rows_affected() == 0 {
            let current = self.stored_fence(&mut tx).await?;
            return Err(StateError::Fenced { token, current });
        }
        tx.commit().await.map_err(|e| self.query_error(e))
    }

    /// The highest leader token claimed so far (0: none).
    pub async fn fence_token(&self) -> Result<i64, StateError> {
        sqlx::query_scalar("SELECT token FROM leader_fence WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.query_error(e))
    }

    /// Inside a leader-only write's transaction: refuses when this handle's token is
    /// older than the stored one; nothing when the handle is not fenced.
    pub(crate) async fn check_fence(
        &self,
        tx: &mut Transaction<'static, Any>,
    ) -> Result<(), StateError> {
        let Some(token) = self.fence else {
            return Ok(());
        };
        let current = self.stored_fence(tx).await?;
        if token < current {
            return Err(StateError::Fenced { token, current });
        }
        Ok(())
    }

    async fn stored_fence(&self, tx: &mut Transaction<'static, Any>) -> Result<i64, StateError> {
        let sql = match self.backend() {
            Backend::Sqlite => "SELECT token FROM leader_fence WHERE id = 1",
            Backend::Postgres => "SELECT token FROM leader_fence WHERE id = 1 FOR SHARE",
        };
        sqlx::query_scalar(sql)
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| self.query_error(e))
    }
}
