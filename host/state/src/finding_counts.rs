//! Open findings counted by state, severity and rule, for the `aiops_findings` gauge.

use sqlx::Row as _;

use crate::error::StateError;
use crate::store::Store;

/// How many open findings share a state, a severity and a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingCount {
    /// `open` (the last cycle covered it) or `stale` (it could not).
    pub state: String,
    /// Its severity.
    pub severity: String,
    /// Its rule.
    pub rule: String,
    /// How many.
    pub count: i64,
}

impl Store {
    /// Open findings counted by state (`open` or `stale`), severity and rule, sorted.
    pub async fn finding_counts(&self) -> Result<Vec<FindingCount>, StateError> {
        let rows = sqlx::query(
            "SELECT CASE WHEN stale = 1 THEN 'stale' ELSE 'open' END AS state, severity, rule, \
             COUNT(*) AS n FROM findings WHERE state = 'open' \
             GROUP BY CASE WHEN stale = 1 THEN 'stale' ELSE 'open' END, severity, rule \
             ORDER BY state, severity, rule",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.query_error(e))?;
        rows.iter()
            .map(|row| {
                Ok(FindingCount {
                    state: row.try_get("state").map_err(|e| self.query_error(e))?,
                    severity: row.try_get("severity").map_err(|e| self.query_error(e))?,
                    rule: row.try_get("rule").map_err(|e| self.query_error(e))?,
                    count: row.try_get("n").map_err(|e| self.query_error(e))?,
                })
            })
            .collect()
    }
}
