//! Reconciling a cycle with the store, in one transaction: what the cycle reported
//! against what is open, under the coverage rule. Only changes are written: a finding
//! reported again unchanged costs nothing (its last sighting is the coverage row of its
//! source and plugin), so the store grows by the changes, not by the findings.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::{Any, Row as _, Transaction};

use crate::audit::{AuditRecord, insert_audit};
use crate::batch::{Value, insert_many, update_where_in};
use crate::error::StateError;
use crate::model::{Coverage, CycleProblem, CycleSummary, ObservedFinding};
use crate::outbox::OutboxEvent;
use crate::store::Store;

/// What a reconcile did.
#[derive(Debug, Clone, Serialize)]
pub struct ReconcileOutcome {
    /// The cycle.
    pub cycle: i64,
    /// Its counts.
    pub summary: CycleSummary,
    /// Fingerprints of the findings it opened or reopened, for the stages after it.
    pub opened: Vec<String>,
    /// Fingerprints of the findings it resolved.
    pub resolved: Vec<String>,
}

/// An open finding as reconcile needs it.
struct OpenRow {
    content_hash: String,
    severity: String,
    stale: bool,
    stale_reason: Option<String>,
    source: String,
    file: Option<String>,
    plugin: String,
    last_seen: i64,
}

/// A history row and its audit entry about to be written.
struct Change {
    fingerprint: String,
    change: &'static str,
    from: Option<String>,
    to: Option<String>,
    reason: Option<String>,
}

const FINDING_COLUMNS: &[&str] = &[
    "fingerprint",
    "plugin",
    "rule",
    "resource_id",
    "resource_kind",
    "resource_namespace",
    "resource_name",
    "component",
    "source",
    "file",
    "line",
    "state",
    "stale",
    "stale_reason",
    "severity",
    "title",
    "message",
    "evidence",
    "remediation",
    "content_hash",
    "first_seen",
    "last_seen",
    "resolved_at",
    "times_reopened",
    "first_cycle",
    "last_cycle",
    "labels",
];

/// On conflict (an existing finding reported changed, or reopened): take the new
/// content, keep when it was first seen, count a reopening.
const UPSERT: &str = "ON CONFLICT (fingerprint) DO UPDATE SET \
    plugin = excluded.plugin, rule = excluded.rule, resource_id = excluded.resource_id, \
    resource_kind = excluded.resource_kind, resource_namespace = excluded.resource_namespace, \
    resource_name = excluded.resource_name, component = excluded.component, \
    source = excluded.source, file = excluded.file, line = excluded.line, \
    state = 'open', stale = 0, stale_reason = NULL, severity = excluded.severity, \
    title = excluded.title, message = excluded.message, evidence = excluded.evidence, \
    remediation = excluded.remediation, content_hash = excluded.content_hash, \
    last_seen = excluded.last_seen, resolved_at = NULL, \
    times_reopened = findings.times_reopened + excluded.times_reopened, \
    last_cycle = excluded.last_cycle, labels = excluded.labels";

/// Separates the columns of an open row read as one text value (ASCII unit separator).
const UNIT: char = '\u{1f}';

impl OpenRow {
    /// Reads a row packed by [`Store::open_rows`]: `fingerprint` first, then the fields
    /// in [`OpenRow`] order; `None` when a value held the separator itself.
    fn unpack(packed: &str) -> Option<(String, OpenRow)> {
        let parts: Vec<&str> = packed.split(UNIT).collect();
        let [
            fingerprint,
            hash,
            severity,
            stale,
            reason,
            source,
            file,
            plugin,
            seen,
        ] = parts.as_slice()
        else {
            return None;
        };
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Some((
            fingerprint.to_string(),
            OpenRow {
                content_hash: hash.to_string(),
                severity: severity.to_string(),
                stale: *stale != "0",
                stale_reason: optional(reason),
                source: source.to_string(),
                file: optional(file),
                plugin: plugin.to_string(),
                last_seen: seen.parse().ok()?,
            },
        ))
    }
}

impl Store {
    /// Every open finding as reconcile needs it. Read packed into one text value per
    /// row: decoding values through sqlx's `Any` driver costs per value, and 100k open
    /// findings × 9 columns took 0.7 s on SQLite against 0.27 s packed. A value holding
    /// the separator (a file name could) makes the whole read fall back to columns.
    async fn open_rows(
        &self,
        tx: &mut Transaction<'static, Any>,
    ) -> Result<HashMap<String, OpenRow>, StateError> {
        let q = |e| self.query_error(e);
        let unit = match self.backend() {
            crate::store::Backend::Sqlite => "char(31)",
            crate::store::Backend::Postgres => "chr(31)",
        };
        let packed_sql = [
            "fingerprint",
            "content_hash",
            "severity",
            "CAST(stale AS TEXT)",
            "COALESCE(stale_reason, '')",
            "source",
            "COALESCE(file, '')",
            "plugin",
            "CAST(last_seen AS TEXT)",
        ]
        .join(&format!(" || {unit} || "));
        let packed: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {packed_sql} FROM findings WHERE state = 'open'"
        )))
        .fetch_all(&mut **tx)
        .await
        .map_err(q)?;
        let mut open: HashMap<String, OpenRow> = HashMap::with_capacity(packed.len());
        for row in &packed {
            match OpenRow::unpack(row) {
                Some((fingerprint, row)) => open.insert(fingerprint, row),
                None => return self.open_rows_by_column(tx).await,
            };
        }
        Ok(open)
    }

    /// [`Store::open_rows`] one column at a time.
    async fn open_rows_by_column(
        &self,
        tx: &mut Transaction<'static, Any>,
    ) -> Result<HashMap<String, OpenRow>, StateError> {
        let q = |e| self.query_error(e);
        let rows = sqlx::query(
            "SELECT fingerprint, content_hash, severity, stale, stale_reason, source, file, plugin, last_seen \
             FROM findings WHERE state = 'open'",
        )
        .fetch_all(&mut **tx)
        .await
        .map_err(q)?;
        let mut open: HashMap<String, OpenRow> = HashMap::with_capacity(rows.len());
        for row in &rows {
            open.insert(
                row.try_get("fingerprint").map_err(q)?,
                OpenRow {
                    content_hash: row.try_get("content_hash").map_err(q)?,
                    severity: row.try_get("severity").map_err(q)?,
                    stale: row.try_get::<i64, _>("stale").map_err(q)? != 0,
                    stale_reason: row.try_get("stale_reason").map_err(q)?,
                    source: row.try_get("source").map_err(q)?,
                    file: row.try_get("file").map_err(q)?,
                    plugin: row.try_get("plugin").map_err(q)?,
                    last_seen: row.try_get("last_seen").map_err(q)?,
                },
            );
        }
        drop(rows);
        Ok(open)
    }

    /// Reconciles cycle `cycle` (begun with [`Store::begin_cycle`]) with what it
    /// `observed` and `covered`, records the cycle as completed, and writes every
    /// change with its history and audit entries, all in one transaction.
    pub async fn reconcile(
        &self,
        cycle: i64,
        now: i64,
        observed: &[ObservedFinding],
        covered: &Coverage,
        problems: &[CycleProblem],
    ) -> Result<ReconcileOutcome, StateError> {
        let mut tx = self.begin_write().await?;
        self.check_fence(&mut tx).await?;
        let q = |e| self.query_error(e);

        let open = self.open_rows(&mut tx).await?;
        let seen_at: HashMap<(String, String), i64> =
            sqlx::query("SELECT source, plugin, at FROM coverage")
                .fetch_all(&mut *tx)
                .await
                .map_err(q)?
                .iter()
                .map(|r| Ok(((r.try_get(0)?, r.try_get(1)?), r.try_get(2)?)))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(q)?;

        let mut summary = CycleSummary::default();
        let mut changes: Vec<Change> = Vec::new();
        let mut upserts: Vec<(&ObservedFinding, String, i64)> = Vec::new();
        let mut freshened: Vec<String> = Vec::new();
        let mut reported: HashSet<&str> = HashSet::with_capacity(observed.len());
        let mut candidates: Vec<(&ObservedFinding, String)> = Vec::new();
        let mut opened = Vec::new();
        let mut reopened_set: HashSet<String> = HashSet::new();

        for finding in observed {
            if !reported.insert(finding.fingerprint.as_str()) {
                continue;
            }
            let hash = finding.content_hash();
            let severity = finding.severity.as_str();
            match open.get(&finding.fingerprint) {
                Some(row) => {
                    summary.count(severity, |c| c.open += 1);
                    if row.severity != severity {
                        changes.push(Change {
                            fingerprint: finding.fingerprint.clone(),
                            change: "severity",
                            from: Some(row.severity.clone()),
                            to: Some(severity.to_string()),
                            reason: None,
                        });
                    }
                    if row.stale {
                        changes.push(Change {
                            fingerprint: finding.fingerprint.clone(),
                            change: "fresh",
                            from: None,
                            to: None,
                            reason: Some("reported again".into()),
                        });
                    }
                    if row.content_hash != hash {
                        upserts.push((finding, hash, 0));
                    } else if row.stale {
                        freshened.push(finding.fingerprint.clone());
                    }
                }
                None => candidates.push((finding, hash)),
            }
        }

        // Findings not open: reopened when the store knows them, else new.
        let mut known: HashSet<String> = HashSet::new();
        for chunk in candidates.chunks(crate::batch::max_params(self).min(1_000)) {
            let mut sql = String::from("SELECT fingerprint FROM findings WHERE fingerprint IN (");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&self.backend().placeholder(i + 1));
            }
            sql.push(')');
            let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
            for (finding, _) in chunk {
                query = query.bind(finding.fingerprint.clone());
            }
            known.extend(query.fetch_all(&mut *tx).await.map_err(q)?);
        }
        for (finding, hash) in candidates {
            let severity = finding.severity.as_str();
            let reopened = known.contains(&finding.fingerprint);
            if reopened {
                summary.count(severity, |c| c.reopened += 1);
            } else {
                summary.count(severity, |c| c.new += 1);
            }
            changes.push(Change {
                fingerprint: finding.fingerprint.clone(),
                change: if reopened { "reopened" } else { "opened" },
                from: None,
                to: Some(severity.to_string()),
                reason: Some(if reopened {
                    format!("reported again by cycle {cycle} after it was resolved")
                } else {
                    format!("first reported by cycle {cycle}")
                }),
            });
            opened.push(finding.fingerprint.clone());
            if reopened {
                reopened_set.insert(finding.fingerprint.clone());
            }
            upserts.push((finding, hash, i64::from(reopened)));
        }

        // Open findings not reported: resolved when covered, else stale.
        let mut resolved_by_seen: HashMap<i64, Vec<String>> = HashMap::new();
        let mut stale_by: HashMap<(String, i64), Vec<String>> = HashMap::new();
        let mut resolved = Vec::new();
        for (fingerprint, row) in &open {
            if reported.contains(fingerprint.as_str()) {
                continue;
            }
            if covered.not_due.contains(&row.source) {
                // Left to its source's own schedule: counted as it stands.
                summary.count(&row.severity, |c| {
                    if row.stale {
                        c.stale += 1;
                    } else {
                        c.open += 1;
                    }
                });
                continue;
            }
            let last_seen = if row.stale {
                row.last_seen
            } else {
                seen_at
                    .get(&(row.source.clone(), row.plugin.clone()))
                    .copied()
                    .unwrap_or(row.last_seen)
                    .max(row.last_seen)
            };
            match covered.covers(&row.source, row.file.as_deref(), &row.plugin) {
                Ok(()) => {
                    summary.count(&row.severity, |c| c.resolved += 1);
                    changes.push(Change {
                        fingerprint: fingerprint.clone(),
                        change: "resolved",
                        from: None,
                        to: None,
                        reason: Some(format!(
                            "not reported by cycle {cycle}, which read {} and ran {}",
                            row.source, row.plugin
                        )),
                    });
                    resolved_by_seen
                        .entry(last_seen)
                        .or_default()
                        .push(fingerprint.clone());
                    resolved.push(fingerprint.clone());
                }
                Err(why) => {
                    summary.count(&row.severity, |c| c.stale += 1);
                    // Becoming stale is a transition; staying stale for another
                    // reason only updates the reason shown.
                    if !row.stale {
                        changes.push(Change {
                            fingerprint: fingerprint.clone(),
                            change: "stale",
                            from: None,
                            to: None,
                            reason: Some(why.clone()),
                        });
                    }
                    if !row.stale || row.stale_reason.as_deref() != Some(why.as_str()) {
                        stale_by
                            .entry((why, last_seen))
                            .or_default()
                            .push(fingerprint.clone());
                    }
                }
            }
        }

        // Writes.
        let rows: Vec<Vec<Value>> = upserts
            .iter()
            .map(|(f, hash, reopened)| finding_row(f, hash, *reopened, now, cycle))
            .collect();
        insert_many(self, &mut tx, "findings", FINDING_COLUMNS, rows, UPSERT).await?;
        update_where_in(
            self,
            &mut tx,
            "UPDATE findings SET stale = 0, stale_reason = NULL, last_seen = $1, last_cycle = $2 WHERE fingerprint IN (",
            &[now.into(), cycle.into()],
            &freshened,
        )
        .await?;
        for (last_seen, fingerprints) in &resolved_by_seen {
            update_where_in(
                self,
                &mut tx,
                "UPDATE findings SET state = 'resolved', stale = 0, stale_reason = NULL, resolved_at = $1, last_seen = $2, last_cycle = $3 WHERE fingerprint IN (",
                &[now.into(), (*last_seen).into(), cycle.into()],
                fingerprints,
            )
            .await?;
        }
        for ((why, last_seen), fingerprints) in &stale_by {
            update_where_in(
                self,
                &mut tx,
                "UPDATE findings SET stale = 1, stale_reason = $1, last_seen = $2, last_cycle = $3 WHERE fingerprint IN (",
                &[why.as_str().into(), (*last_seen).into(), cycle.into()],
                fingerprints,
            )
            .await?;
        }
        let actor = format!("cycle:{cycle}");
        let history = changes
            .iter()
            .map(|c| {
                vec![
                    c.fingerprint.as_str().into(),
                    cycle.into(),
                    now.into(),
                    c.change.into(),
                    c.from.clone().into(),
                    c.to.clone().into(),
                    c.reason.clone().into(),
                ]
            })
            .collect();
        insert_many(
            self,
            &mut tx,
            "finding_history",
            &[
                "fingerprint",
                "cycle_id",
                "at",
                "change",
                "from_value",
                "to_value",
                "reason",
            ],
            history,
            "",
        )
        .await?;
        let audit: Vec<AuditRecord> = changes
            .into_iter()
            .map(|c| AuditRecord {
                at: now,
                actor: actor.clone(),
                action: format!("finding.{}", c.change),
                subject: c.fingerprint,
                reason: c.reason,
                details: match (c.from, c.to) {
                    (None, None) => None,
                    (from, to) => Some(serde_json::json!({"from": from, "to": to})),
                },
            })
            .collect();
        insert_audit(self, &mut tx, &audit).await?;
        let events = self
            .finding_events(&mut tx, cycle, now, &opened, &reopened_set, &resolved)
            .await?;
        self.enqueue_events(&mut tx, &events).await?;
        let coverage: Vec<Vec<Value>> = covered
            .covered_pairs()
            .into_iter()
            .map(|(source, plugin)| vec![source.into(), plugin.into(), cycle.into(), now.into()])
            .collect();
        insert_many(
            self,
            &mut tx,
            "coverage",
            &["source", "plugin", "cycle_id", "at"],
            coverage,
            "ON CONFLICT (source, plugin) DO UPDATE SET cycle_id = excluded.cycle_id, at = excluded.at",
        )
        .await?;
        let json = |v: &dyn erased::Json| v.to_json();
        let updated = sqlx::query(
            "UPDATE cycles SET status = 'completed', finished_at = $1, sources = $2, summary = $3, problems = $4 \
             WHERE id = $5 AND status = 'running'",
        )
        .bind(now)
        .bind(json(&covered.sources))
        .bind(json(&summary))
        .bind(json(&problems.to_vec()))
        .bind(cycle)
        .execute(&mut *tx)
        .await
        .map_err(q)?;
        if updated.rows_affected() != 1 {
            return Err(StateError::Query {
                url: self.url().redacted(),
                message: format!("cycle {cycle} is not running (abandoned by another cycle?)"),
            });
        }
        tx.commit().await.map_err(q)?;
        Ok(ReconcileOutcome {
            cycle,
            summary,
            opened,
            resolved,
        })
    }
}

impl Store {
    /// The outbox events of a reconcile (`finding.new`, `finding.reopened`,
    /// `finding.resolved`), each carrying the finding as the store now holds it.
    async fn finding_events(
        &self,
        tx: &mut Transaction<'static, Any>,
        cycle: i64,
        now: i64,
        opened: &[String],
        reopened: &HashSet<String>,
        resolved: &[String],
    ) -> Result<Vec<OutboxEvent>, StateError> {
        let q = |e| self.query_error(e);
        let mut events = Vec::with_capacity(opened.len() + resolved.len());
        let wanted: Vec<&String> = opened.iter().chain(resolved).collect();
        for chunk in wanted.chunks(crate::batch::max_params(self).min(1_000)) {
            let placeholders: Vec<String> = (1..=chunk.len())
                .map(|i| self.backend().placeholder(i))
                .collect();
            let sql = format!(
                "SELECT fingerprint, plugin, rule, resource_id, resource_kind, resource_namespace, \
                 resource_name, component, source, file, line, state, severity, title, message, \
                 evidence, remediation, times_reopened, labels FROM findings WHERE fingerprint IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for fingerprint in chunk {
                query = query.bind(fingerprint.as_str());
            }
            for row in query.fetch_all(&mut **tx).await.map_err(q)? {
                let fingerprint: String = row.try_get("fingerprint").map_err(q)?;
                let state: String = row.try_get("state").map_err(q)?;
                let kind = if state == "resolved" {
                    "finding.resolved"
                } else if reopened.contains(&fingerprint) {
                    "finding.reopened"
                } else {
                    "finding.new"
                };
                let severity: String = row.try_get("severity").map_err(q)?;
                let evidence: String = row.try_get("evidence").map_err(q)?;
                let remediation: Option<String> = row.try_get("remediation").map_err(q)?;
                let payload = serde_json::json!({
                    "fingerprint": fingerprint,
                    "plugin": row.try_get::<String, _>("plugin").map_err(q)?,
                    "rule": row.try_get::<String, _>("rule").map_err(q)?,
                    "resource": {
                        "id": row.try_get::<String, _>("resource_id").map_err(q)?,
                        "kind": row.try_get::<String, _>("resource_kind").map_err(q)?,
                        "namespace": row.try_get::<Option<String>, _>("resource_namespace").map_err(q)?,
                        "name": row.try_get::<String, _>("resource_name").map_err(q)?,
                    },
                    "component": row.try_get::<Option<String>, _>("component").map_err(q)?,
                    "source": row.try_get::<String, _>("source").map_err(q)?,
                    "file": row.try_get::<Option<String>, _>("file").map_err(q)?,
                    "line": row.try_get::<Option<i64>, _>("line").map_err(q)?,
                    "severity": severity,
                    "title": row.try_get::<String, _>("title").map_err(q)?,
                    "message": row.try_get::<String, _>("message").map_err(q)?,
                    "evidence": serde_json::from_str::<serde_json::Value>(&evidence).unwrap_or_default(),
                    "remediation": remediation.and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok()),
                    "times_reopened": row.try_get::<i64, _>("times_reopened").map_err(q)?,
                    "labels": serde_json::from_str::<serde_json::Value>(&row.try_get::<String, _>("labels").map_err(q)?).unwrap_or_default(),
                    "cycle": cycle,
                });
                events.push(OutboxEvent {
                    id: 0,
                    at: now,
                    kind: kind.to_string(),
                    dedup_key: format!("{kind}:{fingerprint}:{cycle}"),
                    subject: fingerprint,
                    severity: Some(severity),
                    cycle: Some(cycle),
                    payload,
                });
            }
        }
        events.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.subject.cmp(&b.subject)));
        Ok(events)
    }
}

fn finding_row(f: &ObservedFinding, hash: &str, reopened: i64, now: i64, cycle: i64) -> Vec<Value> {
    vec![
        f.fingerprint.as_str().into(),
        f.plugin.as_str().into(),
        f.rule.as_str().into(),
        f.resource_id.as_str().into(),
        f.resource_kind.as_str().into(),
        f.resource_namespace.clone().into(),
        f.resource_name.as_str().into(),
        f.component.clone().into(),
        f.source.as_str().into(),
        f.file.clone().into(),
        f.line.into(),
        "open".into(),
        0i64.into(),
        Value::Text(None),
        f.severity.as_str().into(),
        f.title.as_str().into(),
        f.message.as_str().into(),
        serde_json::to_string(&f.evidence)
            .unwrap_or_default()
            .into(),
        f.remediation.clone().into(),
        hash.into(),
        now.into(),
        now.into(),
        Value::Int(None),
        reopened.into(),
        cycle.into(),
        cycle.into(),
        crate::model::labels_json(&f.labels).into(),
    ]
}

/// Serialising the cycle's JSON columns through one function.
mod erased {
    /// A value stored as a JSON column.
    pub(super) trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).unwrap_or_else(|_| "null".into())
        }
    }
}
