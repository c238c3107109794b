//! The audit log: append-only (the schema refuses updates and deletes), one row per
//! change, written in the same transaction as the change it records.

use serde::Serialize;
use sqlx::{Any, Row as _, Transaction};

use crate::batch::{Value, insert_many};
use crate::error::StateError;
use crate::store::Store;
use crate::time::now_millis;

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Its sequence number.
    pub id: i64,
    /// When (Unix ms).
    pub at: i64,
    /// Who: `cycle:ID`, a user, a token's name.
    pub actor: String,
    /// What (`finding.opened`, `finding.resolved`, …).
    pub action: String,
    /// What it was done to (a fingerprint, `cycle:ID`).
    pub subject: String,
    /// Why.
    pub reason: Option<String>,
    /// More, as a JSON object.
    pub details: Option<serde_json::Value>,
}

/// Which entries `aiops audit` shows.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only entries at or after this time (Unix ms).
    pub since: Option<i64>,
    /// Only entries about this subject.
    pub subject: Option<String>,
    /// At most this many, the newest (all when unset).
    pub limit: Option<i64>,
}

/// An entry about to be written.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    /// When (Unix milliseconds).
    pub at: i64,
    /// Who: `cycle:42`, `user:alice`, `token:ci`.
    pub actor: String,
    /// What: `finding.resolved`, `remediation.approved`, …
    pub action: String,
    /// What it was done to: a fingerprint, a proposal id.
    pub subject: String,
    /// Why, in words.
    pub reason: Option<String>,
    /// Anything else, as a JSON object (never a secret).
    pub details: Option<serde_json::Value>,
}

const COLUMNS: &[&str] = &["at", "actor", "action", "subject", "reason", "details"];

/// Appends `records` inside `tx`.
pub(crate) async fn insert_audit(
    store: &Store,
    tx: &mut Transaction<'static, Any>,
    records: &[AuditRecord],
) -> Result<(), StateError> {
    let rows = records
        .iter()
        .map(|r| {
            vec![
                Value::from(r.at),
                r.actor.as_str().into(),
                r.action.as_str().into(),
                r.subject.as_str().into(),
                r.reason.clone().into(),
                r.details.as_ref().map(|d| d.to_string()).into(),
            ]
        })
        .collect();
    insert_many(store, tx, "audit_log", COLUMNS, rows, "").await
}

impl Store {
    /// Appends `records` inside `tx`, the transaction of the change they record.
    pub async fn audit_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        records: &[AuditRecord],
    ) -> Result<(), StateError> {
        insert_audit(self, tx, records).await
    }

    /// Appends one entry on its own (a user's or a token's action).
    pub async fn record_audit(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        reason: Option<&str>,
    ) -> Result<(), StateError> {
        let mut tx = self.begin_write().await?;
        let record = AuditRecord {
            at: now_millis(),
            actor: actor.into(),
            action: action.into(),
            subject: subject.into(),
            reason: reason.map(str::to_string),
            details: None,
        };
        insert_audit(self, &mut tx, &[record]).await?;
        tx.commit().await.map_err(|e| self.query_error(e))
    }

    /// Entries matching `query`, oldest first.
    pub async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StateError> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, subject, reason, details FROM audit_log \
             WHERE at >= $1 AND ($2 IS NULL OR subject = $2) ORDER BY id DESC LIMIT $3",
        )
        .bind(query.since.unwrap_or(i64::MIN))
        .bind(query.subject.clone())
        .bind(query.limit.unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.query_error(e))?;
        let mut entries = rows
            .iter()
            .map(|row| {
                let get = |e: sqlx::Error| self.query_error(e);
                Ok(AuditEntry {
                    id: row.try_get("id").map_err(get)?,
                    at: row.try_get("at").map_err(get)?,
                    actor: row.try_get("actor").map_err(get)?,
                    action: row.try_get("action").map_err(get)?,
                    subject: row.try_get("subject").map_err(get)?,
                    reason: row.try_get("reason").map_err(get)?,
                    details: row
                        .try_get::<Option<String>, _>("details")
                        .map_err(get)?
                        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok()),
                })
            })
            .collect::<Result<Vec<_>, StateError>>()?;
        entries.reverse();
        Ok(entries)
    }
}
