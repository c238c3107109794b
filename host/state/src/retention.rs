//! Retention: resolved findings and their history are kept `state.retention_days`,
//! then pruned by the cycle in bounded batches (one transaction each, so a prune never
//! holds the store for long), each batch noted in the audit log.

use crate::audit::{AuditRecord, insert_audit};
use crate::batch::update_where_in;
use crate::error::StateError;
use crate::store::Store;
use crate::time::now_millis;

/// Findings pruned per transaction.
const BATCH: i64 = 1_000;
/// Batches per cycle at most; the rest waits for the next cycle.
const MAX_BATCHES: usize = 20;

impl Store {
    /// Prunes findings resolved more than `retention_days` ago; returns how many.
    pub async fn prune(&self, retention_days: u32, actor: &str) -> Result<usize, StateError> {
        let now = now_millis();
        let cutoff = now - i64::from(retention_days) * 86_400_000;
        let mut pruned = 0;
        for _ in 0..MAX_BATCHES {
            let mut tx = self.begin_write().await?;
            let doomed: Vec<String> = sqlx::query_scalar(
                "SELECT fingerprint FROM findings WHERE state = 'resolved' AND resolved_at < $1 \
                 ORDER BY resolved_at LIMIT $2",
            )
            .bind(cutoff)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| self.query_error(e))?;
            if doomed.is_empty() {
                break;
            }
            update_where_in(
                self,
                &mut tx,
                "DELETE FROM finding_history WHERE fingerprint IN (",
                &[],
                &doomed,
            )
            .await?;
            update_where_in(
                self,
                &mut tx,
                "DELETE FROM findings WHERE fingerprint IN (",
                &[],
                &doomed,
            )
            .await?;
            let record = AuditRecord {
                at: now,
                actor: actor.into(),
                action: "state.pruned".into(),
                subject: "findings".into(),
                reason: Some(format!(
                    "{} finding(s) resolved more than {retention_days} days ago removed with their history",
                    doomed.len()
                )),
                details: None,
            };
            insert_audit(self, &mut tx, &[record]).await?;
            tx.commit().await.map_err(|e| self.query_error(e))?;
            pruned += doomed.len();
        }
        Ok(pruned)
    }
}
