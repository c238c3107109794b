//! Reading findings back: `aiops findings list` and `aiops findings show`.

use serde::Serialize;
use sqlx::Row as _;

use crate::error::StateError;
use crate::model::FindingState;
use crate::store::Store;

/// A finding as the store keeps it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredFinding {
    /// Its fingerprint.
    pub fingerprint: String,
    /// The plugin that reported it.
    pub plugin: String,
    /// Its rule.
    pub rule: String,
    /// The resource's id.
    pub resource_id: String,
    /// The resource's kind.
    pub resource_kind: String,
    /// Namespace, region or resource group.
    pub resource_namespace: Option<String>,
    /// The resource's name.
    pub resource_name: String,
    /// The part concerned.
    pub component: Option<String>,
    /// The cycle source it came from.
    pub source: String,
    /// Its file, if from one.
    pub file: Option<String>,
    /// Its line there.
    pub line: Option<i64>,
    /// `open` or `resolved`.
    pub state: FindingState,
    /// True when the last cycle could not cover it.
    pub stale: bool,
    /// Why it is stale.
    pub stale_reason: Option<String>,
    /// Current severity.
    pub severity: String,
    /// Title.
    pub title: String,
    /// Message.
    pub message: String,
    /// Evidence.
    #[schema(value_type = Vec<Vec<String>>)]
    pub evidence: Vec<(String, String)>,
    /// Remediation hint (JSON), if any.
    pub remediation: Option<serde_json::Value>,
    /// First seen (Unix ms).
    pub first_seen: i64,
    /// Last seen (Unix ms).
    pub last_seen: i64,
    /// Resolved at (Unix ms).
    pub resolved_at: Option<i64>,
    /// Times it was reopened.
    pub times_reopened: i64,
}

/// One transition of a finding.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// The cycle that made it.
    pub cycle: i64,
    /// When (Unix ms).
    pub at: i64,
    /// `opened`, `resolved`, `reopened`, `severity`, `stale`, `fresh`.
    pub change: String,
    /// The previous value (severity changes).
    pub from: Option<String>,
    /// The new value.
    pub to: Option<String>,
    /// Why.
    pub reason: Option<String>,
}

pub(crate) const SELECT: &str = "SELECT f.fingerprint, f.plugin, f.rule, f.resource_id, f.resource_kind, \
    f.resource_namespace, f.resource_name, f.component, f.source, f.file, f.line, f.state, f.stale, \
    f.stale_reason, f.severity, f.title, f.message, f.evidence, f.remediation, f.first_seen, \
    f.last_seen, f.resolved_at, f.times_reopened, c.at AS covered_at \
    FROM findings f LEFT JOIN coverage c ON c.source = f.source AND c.plugin = f.plugin";

impl Store {
    /// The finding whose fingerprint is or starts with `fingerprint`, and its history.
    pub async fn show_finding(
        &self,
        fingerprint: &str,
    ) -> Result<(StoredFinding, Vec<HistoryEntry>), StateError> {
        let pattern = format!("{}%", fingerprint.replace(['%', '_'], ""));
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE f.fingerprint LIKE $1 LIMIT 2"
        )))
        .bind(pattern)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.query_error(e))?;
        let finding = match rows.as_slice() {
            [one] => self.finding_of(one)?,
            [] => {
                return Err(StateError::NotFound(format!(
                    "no finding with fingerprint {fingerprint}"
                )));
            }
            _ => {
                return Err(StateError::NotFound(format!(
                    "fingerprint prefix {fingerprint} matches several findings: give more of it"
                )));
            }
        };
        let history = sqlx::query(
            "SELECT cycle_id, at, change, from_value, to_value, reason FROM finding_history \
             WHERE fingerprint = $1 ORDER BY id",
        )
        .bind(finding.fingerprint.clone())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.query_error(e))?
        .iter()
        .map(|r| {
            Ok(HistoryEntry {
                cycle: r.try_get(0)?,
                at: r.try_get(1)?,
                change: r.try_get(2)?,
                from: r.try_get(3)?,
                to: r.try_get(4)?,
                reason: r.try_get(5)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(|e| self.query_error(e))?;
        Ok((finding, history))
    }

    pub(crate) fn finding_of(&self, row: &sqlx::any::AnyRow) -> Result<StoredFinding, StateError> {
        let read = || -> Result<StoredFinding, sqlx::Error> {
            let state = FindingState::parse(&row.try_get::<String, _>("state")?);
            let stale = row.try_get::<i64, _>("stale")? != 0;
            let stored_seen: i64 = row.try_get("last_seen")?;
            let covered_at: Option<i64> = row.try_get("covered_at")?;
            // An open finding that is not stale was seen by the last cycle that
            // covered its source and plugin: that is its last sighting.
            let last_seen = match (state, stale, covered_at) {
                (FindingState::Open, false, Some(at)) => at.max(stored_seen),
                _ => stored_seen,
            };
            let evidence: String = row.try_get("evidence")?;
            let remediation: Option<String> = row.try_get("remediation")?;
            Ok(StoredFinding {
                fingerprint: row.try_get("fingerprint")?,
                plugin: row.try_get("plugin")?,
                rule: row.try_get("rule")?,
                resource_id: row.try_get("resource_id")?,
                resource_kind: row.try_get("resource_kind")?,
                resource_namespace: row.try_get("resource_namespace")?,
                resource_name: row.try_get("resource_name")?,
                component: row.try_get("component")?,
                source: row.try_get("source")?,
                file: row.try_get("file")?,
                line: row.try_get("line")?,
                state,
                stale,
                stale_reason: row.try_get("stale_reason")?,
                severity: row.try_get("severity")?,
                title: row.try_get("title")?,
                message: row.try_get("message")?,
                evidence: serde_json::from_str(&evidence).unwrap_or_default(),
                remediation: remediation.and_then(|r| serde_json::from_str(&r).ok()),
                first_seen: row.try_get("first_seen")?,
                last_seen,
                resolved_at: row.try_get("resolved_at")?,
                times_reopened: row.try_get("times_reopened")?,
            })
        };
        read().map_err(|e| self.query_error(e))
    }
}
