//! The outbox: events for the notifiers, written in the same transaction as the change
//! that causes them (a finding opened, a remediation proposed), read back in order by
//! whoever delivers them. A `dedup_key` per event makes writing it twice a no-op, so a
//! retried step never doubles a notification.

use serde::{Deserialize, Serialize};
use sqlx::{Any, Row as _, Transaction};

use crate::batch::{Value, insert_many};
use crate::error::StateError;
use crate::store::Store;

/// One event in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutboxEvent {
    /// Its position in the outbox (0 before it is written).
    pub id: i64,
    /// When it happened (Unix milliseconds).
    pub at: i64,
    /// What happened: `finding.new`, `finding.reopened`, `finding.resolved`, …
    pub kind: String,
    /// What it is about: a finding's fingerprint, a proposal, a source.
    pub subject: String,
    /// The severity concerned, if any.
    pub severity: Option<String>,
    /// The cycle that caused it, if any.
    pub cycle: Option<i64>,
    /// The event's details.
    pub payload: serde_json::Value,
    /// Unique per event: the same key written twice is one event.
    pub dedup_key: String,
}

const COLUMNS: &[&str] = &[
    "at",
    "kind",
    "subject",
    "severity",
    "cycle_id",
    "payload",
    "dedup_key",
];

impl Store {
    /// Writes `events` inside `tx` (the transaction of the change that causes them);
    /// an event whose `dedup_key` is already there is skipped.
    pub async fn enqueue_events(
        &self,
        tx: &mut Transaction<'static, Any>,
        events: &[OutboxEvent],
    ) -> Result<(), StateError> {
        let rows = events
            .iter()
            .map(|e| {
                vec![
                    e.at.into(),
                    e.kind.as_str().into(),
                    e.subject.as_str().into(),
                    e.severity.clone().into(),
                    e.cycle.into(),
                    e.payload.to_string().into(),
                    e.dedup_key.as_str().into(),
                ]
            })
            .collect::<Vec<Vec<Value>>>();
        insert_many(
            self,
            tx,
            "outbox",
            COLUMNS,
            rows,
            "ON CONFLICT (dedup_key) DO NOTHING",
        )
        .await
    }

    /// Up to `limit` events after position `after`, oldest first.
    pub async fn outbox_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<OutboxEvent>, StateError> {
        let rows = sqlx::query(
            "SELECT id, at, kind, subject, severity, cycle_id, payload, dedup_key \
             FROM outbox WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.query_error(e))?;
        rows.iter()
            .map(|row| {
                let get = |e: sqlx::Error| self.query_error(e);
                Ok(OutboxEvent {
                    id: row.try_get("id").map_err(get)?,
                    at: row.try_get("at").map_err(get)?,
                    kind: row.try_get("kind").map_err(get)?,
                    subject: row.try_get("subject").map_err(get)?,
                    severity: row.try_get("severity").map_err(get)?,
                    cycle: row.try_get("cycle_id").map_err(get)?,
                    payload: serde_json::from_str(
                        &row.try_get::<String, _>("payload").map_err(get)?,
                    )
                    .unwrap_or(serde_json::Value::Null),
                    dedup_key: row.try_get("dedup_key").map_err(get)?,
                })
            })
            .collect()
    }
}
