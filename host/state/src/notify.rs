//! Notifications in the store: the routing cursor over the outbox, the messages each
//! channel is to get (events grouped, attempts, last error, dead letters), the
//! repeat-interval memory and silences. Routing a batch and moving the cursor is one
//! transaction, so an event is routed exactly once even when two processes drain.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row as _;

use crate::audit::{AuditRecord, insert_audit};
use crate::error::StateError;
use crate::outbox::OutboxEvent;
use crate::store::Store;
use crate::time::now_millis;

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// To send (taking more events of its group until it is due).
    Pending,
    /// Delivered.
    Sent,
    /// Given up after the channel's `max_attempts`: kept and listed, never dropped.
    Dead,
}

impl DeliveryState {
    /// Its name in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sent => "sent",
            DeliveryState::Dead => "dead",
        }
    }

    fn parse(s: &str) -> DeliveryState {
        match s {
            "sent" => DeliveryState::Sent,
            "dead" => DeliveryState::Dead,
            _ => DeliveryState::Pending,
        }
    }
}

/// One message for one channel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Notification {
    /// Its id.
    pub id: i64,
    /// The channel's name.
    pub channel: String,
    /// The route that sent it there (`routes[0].routes[1]`).
    pub route: String,
    /// What its events share (the route's `group_by` values).
    pub group_key: String,
    /// The same on every attempt (`Idempotency-Key`, `Message-ID`).
    pub idempotency_key: String,
    /// Its events, oldest first.
    pub events: Vec<OutboxEvent>,
    /// Where it stands.
    pub state: DeliveryState,
    /// When it was made.
    pub created_at: i64,
    /// When it may be sent (after the route's group wait or interval).
    pub due_at: i64,
    /// Attempts so far.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: i64,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub sent_at: Option<i64>,
}

/// An event a route sends to a channel.
#[derive(Debug, Clone)]
pub struct RoutedEvent {
    /// The channel.
    pub channel: String,
    /// The route.
    pub route: String,
    /// The group it joins.
    pub group_key: String,
    /// The event.
    pub event: OutboxEvent,
    /// A new group's first message waits this long for more events (ms).
    pub group_wait_ms: i64,
    /// A group's next message waits this long after its previous one (ms).
    pub group_interval_ms: i64,
    /// An event about the same subject and kind is not sent to the channel again
    /// within this long (ms; 0: always sent).
    pub repeat_interval_ms: i64,
}

/// A silence: events matching `matchers` are not sent until `ends_at`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Silence {
    /// Its id.
    pub id: i64,
    /// The matchers, as routes spell them (JSON object).
    pub matchers: serde_json::Value,
    /// Why.
    pub comment: String,
    /// Who.
    pub created_by: String,
    /// When.
    pub created_at: i64,
    /// Until when.
    pub ends_at: i64,
    /// When it was expired early.
    pub expired_at: Option<i64>,
}

/// The most events one message carries; a larger group becomes several messages.
pub const MAX_EVENTS_PER_MESSAGE: usize = 100;

const NOTIFICATION_COLUMNS: &str = "id, channel, route, group_key, idempotency_key, events, state, \
     created_at, due_at, attempts, next_attempt_at, last_error, sent_at";

impl Store {
    /// How far routing has read the outbox.
    pub async fn notify_cursor(&self) -> Result<i64, StateError> {
        sqlx::query("SELECT outbox_id FROM notify_cursor WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .and_then(|row| row.try_get::<i64, _>("outbox_id"))
            .map_err(|e| self.query_error(e))
    }

    /// Applies one routing batch at `now`: each event joins its group's message that is
    /// still open, or starts a message due after the group's wait (or interval, after
    /// an earlier message); `silenced` events only move the cursor. The cursor moves
    /// from `from` to `to`; false (and nothing written) when another process moved it.
    pub async fn route_events(
        &self,
        from: i64,
        to: i64,
        routed: &[RoutedEvent],
        now: i64,
    ) -> Result<bool, StateError> {
        let q = |e| self.query_error(e);
        let mut tx = self.begin_write().await?;
        self.check_fence(&mut tx).await?;
        let moved =
            sqlx::query("UPDATE notify_cursor SET outbox_id = $1 WHERE id = 1 AND outbox_id = $2")
                .bind(to)
                .bind(from)
                .execute(&mut *tx)
                .await
                .map_err(q)?
                .rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        // The batch's events by group, in order (one read and one write per group).
        let mut groups: Vec<(&RoutedEvent, Vec<serde_json::Value>)> = Vec::new();
        for r in routed {
            if r.repeat_interval_ms > 0 {
                let key = format!("{}:{}", r.event.kind, r.event.subject);
                let last: Option<i64> = sqlx::query(
                    "SELECT at FROM notify_repeats WHERE channel = $1 AND event_key = $2",
                )
                .bind(r.channel.as_str())
                .bind(key.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(q)?
                .map(|row| row.try_get("at"))
                .transpose()
                .map_err(q)?;
                if last.is_some_and(|at| now - at < r.repeat_interval_ms) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO notify_repeats (channel, event_key, at) VALUES ($1, $2, $3) \
                     ON CONFLICT (channel, event_key) DO UPDATE SET at = excluded.at",
                )
                .bind(r.channel.as_str())
                .bind(key.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(q)?;
            }
            let event = serde_json::to_value(&r.event).unwrap_or_default();
            match groups.iter_mut().find(|(g, _)| {
                g.channel == r.channel && g.route == r.route && g.group_key == r.group_key
            }) {
                Some((_, events)) => events.push(event),
                None => groups.push((r, vec![event])),
            }
        }
        for (r, mut new_events) in groups {
            let open = sqlx::query(
                "SELECT id, events FROM notifications WHERE channel = $1 AND route = $2 \
                 AND group_key = $3 AND state = 'pending' AND attempts = 0 AND due_at >= $4 \
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(r.channel.as_str())
            .bind(r.route.as_str())
            .bind(r.group_key.as_str())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(q)?;
            if let Some(row) = open {
                let id: i64 = row.try_get("id").map_err(q)?;
                let mut events: Vec<serde_json::Value> =
                    serde_json::from_str(&row.try_get::<String, _>("events").map_err(q)?)
                        .unwrap_or_default();
                let room = MAX_EVENTS_PER_MESSAGE.saturating_sub(events.len());
                let rest = new_events.split_off(room.min(new_events.len()));
                if !new_events.is_empty() {
                    events.extend(new_events);
                    sqlx::query("UPDATE notifications SET events = $1 WHERE id = $2")
                        .bind(serde_json::Value::Array(events).to_string())
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(q)?;
                }
                new_events = rest;
            }
            if new_events.is_empty() {
                continue;
            }
            let last: Option<i64> = sqlx::query(
                "SELECT MAX(due_at) AS last FROM notifications WHERE channel = $1 AND route = $2 \
                 AND group_key = $3",
            )
            .bind(r.channel.as_str())
            .bind(r.route.as_str())
            .bind(r.group_key.as_str())
            .fetch_one(&mut *tx)
            .await
            .and_then(|row| row.try_get::<Option<i64>, _>("last"))
            .map_err(q)?;
            let due = match last {
                Some(last) => (now + r.group_wait_ms).max(last + r.group_interval_ms),
                None => now + r.group_wait_ms,
            };
            // A large batch becomes several messages of at most MAX_EVENTS_PER_MESSAGE.
            for chunk in new_events.chunks(MAX_EVENTS_PER_MESSAGE) {
                let first = chunk[0]["dedup_key"].as_str().unwrap_or_default();
                let key = idempotency_key(
                    &r.channel,
                    &r.route,
                    &r.group_key,
                    &format!("{first}@{due}"),
                );
                sqlx::query(
                    "INSERT INTO notifications (channel, route, group_key, idempotency_key, events, \
                     state, created_at, due_at, attempts, next_attempt_at) \
                     VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, 0, $7) \
                     ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(r.channel.as_str())
                .bind(r.route.as_str())
                .bind(r.group_key.as_str())
                .bind(key.as_str())
                .bind(serde_json::Value::Array(chunk.to_vec()).to_string())
                .bind(now)
                .bind(due)
                .execute(&mut *tx)
                .await
                .map_err(q)?;
            }
        }
        tx.commit().await.map_err(q)?;
        Ok(true)
    }

    /// Messages due at `now` (their group's wait is over and their next attempt due),
    /// oldest first.
    pub async fn due_notifications(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, StateError> {
        let sql = format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE state = 'pending' \
             AND due_at <= $1 AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.query_error(e))?;
        rows.iter().map(|r| self.notification_of(r)).collect()
    }

    /// The earliest time a pending message is due, if any.
    pub async fn next_notification_due(&self) -> Result<Option<i64>, StateError> {
        sqlx::query(
            "SELECT MIN(CASE WHEN due_at > next_attempt_at THEN due_at ELSE next_attempt_at END) \
             AS next FROM notifications WHERE state = 'pending'",
        )
        .fetch_one(&self.pool)
        .await
        .and_then(|row| row.try_get::<Option<i64>, _>("next"))
        .map_err(|e| self.query_error(e))
    }

    /// Messages, newest first: all, or only the dead and the failing (`failed`).
    pub async fn list_notifications(
        &self,
        failed: bool,
        limit: i64,
    ) -> Result<Vec<Notification>, StateError> {
        let filter = if failed {
            "WHERE state = 'dead' OR (state = 'pending' AND attempts > 0)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications {filter} ORDER BY id DESC LIMIT $1"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.query_error(e))?;
        rows.iter().map(|r| self.notification_of(r)).collect()
    }

    /// Records message `id` delivered at `now`.
    /// A fenced store (a leader's) checks its token in the same transaction.
    pub async fn notification_sent(&self, id: i64, now: i64) -> Result<(), StateError> {
        let sql = "UPDATE notifications SET state = 'sent', sent_at = $1, attempts = attempts + 1, \
             last_error = NULL WHERE id = $2";
        if self.fence.is_none() {
            return sqlx::query(sql)
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(|e| self.query_error(e))
                .map(drop);
        }
        let mut tx = self.begin_write().await?;
        self.check_fence(&mut tx).await?;
        sqlx::query(sql)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.query_error(e))?;
        tx.commit().await.map_err(|e| self.query_error(e))
    }

    /// Records a failed attempt of message `id`: retried at `next_attempt_at`, or dead
    /// when `dead` (after the channel's last attempt).
    pub async fn notification_failed(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: i64,
        dead: bool,
    ) -> Result<(), StateError> {
        sqlx::query(
            "UPDATE notifications SET attempts = attempts + 1, last_error = $1, \
             next_attempt_at = $2, state = $3 WHERE id = $4",
        )
        .bind(error)
        .bind(next_attempt_at)
        .bind(if dead { "dead" } else { "pending" })
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(|e| self.query_error(e))
        .map(drop)
    }

    /// Puts a dead message back to be sent again at once; false when `id` is not dead.
    pub async fn retry_notification(&self, id: i64, by: &str) -> Result<bool, StateError> {
        let q = |e| self.query_error(e);
        let mut tx = self.begin_write().await?;
        let now = now_millis();
        let changed = sqlx::query(
            "UPDATE notifications SET state = 'pending', attempts = 0, next_attempt_at = $1 \
             WHERE id = $2 AND state = 'dead'",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(q)?
        .rows_affected();
        if changed == 1 {
            let subject = format!("notification:{id}");
            audit_one(
                self,
                &mut tx,
                by,
                "notification.retried",
                &subject,
                None,
                None,
            )
            .await?;
        }
        tx.commit().await.map_err(q)?;
        Ok(changed == 1)
    }

    fn notification_of(&self, row: &sqlx::any::AnyRow) -> Result<Notification, StateError> {
        let get = |e| self.query_error(e);
        Ok(Notification {
            id: row.try_get("id").map_err(get)?,
            channel: row.try_get("channel").map_err(get)?,
            route: row.try_get("route").map_err(get)?,
            group_key: row.try_get("group_key").map_err(get)?,
            idempotency_key: row.try_get("idempotency_key").map_err(get)?,
            events: events_of(&row.try_get::<String, _>("events").map_err(get)?),
            state: DeliveryState::parse(&row.try_get::<String, _>("state").map_err(get)?),
            created_at: row.try_get("created_at").map_err(get)?,
            due_at: row.try_get("due_at").map_err(get)?,
            attempts: row.try_get("attempts").map_err(get)?,
            next_attempt_at: row.try_get("next_attempt_at").map_err(get)?,
            last_error: row.try_get("last_error").map_err(get)?,
            sent_at: row.try_get("sent_at").map_err(get)?,
        })
    }

    /// Adds a silence by `by` until `ends_at`; audited. Its id.
    pub async fn add_silence(
        &self,
        matchers: &serde_json::Value,
        comment: &str,
        by: &str,
        ends_at: i64,
    ) -> Result<i64, StateError> {
        let q = |e| self.query_error(e);
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO silences (matchers, comment, created_by, created_at, ends_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(matchers.to_string())
        .bind(comment)
        .bind(by)
        .bind(now)
        .bind(ends_at)
        .fetch_one(&mut *tx)
        .await
        .and_then(|row| row.try_get("id"))
        .map_err(q)?;
        let details = serde_json::json!({"matchers": matchers, "ends_at": ends_at});
        let (actor, subject) = (format!("user:{by}"), format!("silence:{id}"));
        audit_one(
            self,
            &mut tx,
            &actor,
            "silence.added",
            &subject,
            Some(comment),
            Some(details),
        )
        .await?;
        tx.commit().await.map_err(q)?;
        Ok(id)
    }

    /// Silences, newest first: only those active at `at` when given.
    pub async fn silences(&self, active_at: Option<i64>) -> Result<Vec<Silence>, StateError> {
        let get = |e| self.query_error(e);
        let rows = sqlx::query(
            "SELECT id, matchers, comment, created_by, created_at, ends_at, expired_at \
             FROM silences ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(get)?;
        let mut all = Vec::new();
        for row in &rows {
            let s = Silence {
                id: row.try_get("id").map_err(get)?,
                matchers: serde_json::from_str(&row.try_get::<String, _>("matchers").map_err(get)?)
                    .unwrap_or_default(),
                comment: row.try_get("comment").map_err(get)?,
                created_by: row.try_get("created_by").map_err(get)?,
                created_at: row.try_get("created_at").map_err(get)?,
                ends_at: row.try_get("ends_at").map_err(get)?,
                expired_at: row.try_get("expired_at").map_err(get)?,
            };
            if active_at.is_none_or(|at| s.expired_at.is_none() && s.ends_at > at) {
                all.push(s);
            }
        }
        Ok(all)
    }

    /// Ends silence `id` now; audited. False when it is not active.
    pub async fn expire_silence(&self, id: i64, by: &str) -> Result<bool, StateError> {
        let q = |e| self.query_error(e);
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE silences SET expired_at = $1 WHERE id = $2 AND expired_at IS NULL AND ends_at > $1",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(q)?
        .rows_affected();
        if changed == 1 {
            let (actor, subject) = (format!("user:{by}"), format!("silence:{id}"));
            audit_one(
                self,
                &mut tx,
                &actor,
                "silence.expired",
                &subject,
                None,
                None,
            )
            .await?;
        }
        tx.commit().await.map_err(q)?;
        Ok(changed == 1)
    }
}

/// Appends one audit entry, now, inside `tx`.
async fn audit_one(
    store: &Store,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &str,
    action: &str,
    subject: &str,
    reason: Option<&str>,
    details: Option<serde_json::Value>,
) -> Result<(), StateError> {
    let record = AuditRecord {
        at: now_millis(),
        actor: actor.into(),
        action: action.into(),
        subject: subject.into(),
        reason: reason.map(str::to_string),
        details,
    };
    insert_audit(store, tx, &[record]).await
}

fn events_of(text: &str) -> Vec<OutboxEvent> {
    serde_json::from_str::<Vec<serde_json::Value>>(text)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect()
}

/// The stable key of a message: its channel, route, group, first event and due time.
fn idempotency_key(channel: &str, route: &str, group: &str, first_event: &str) -> String {
    let mut h = Sha256::new();
    for part in [channel, route, group, first_event] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..16])
}
