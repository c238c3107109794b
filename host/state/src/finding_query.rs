//! Which findings to read: one filter (state, severities, rule, resource, source and
//! namespace globs) for `aiops findings list`, the API and the console, and pages of it
//! in fingerprint order after a cursor. State, severities, globs without wildcards, the
//! cursor and the page size run in SQL, served by the `findings_by_state_fingerprint`
//! and `findings_by_state_severity` indexes; the other globs are matched here on
//! bounded batches of rows, never the whole table at once.

use std::collections::BTreeMap;

use aiops_sdk::Severity;
use sqlx::Row as _;

use crate::error::StateError;
use crate::findings::{SELECT, StoredFinding};
use crate::store::{Backend, Store};

/// The most findings one page holds.
pub const MAX_PAGE: usize = 1000;
/// The most rows one batch reads when globs are matched here.
const MAX_BATCH: usize = 5000;
/// The longest cursor taken (fingerprints are 32 characters).
const MAX_CURSOR: usize = 256;

/// Which findings to list.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// `open` (stale included), `resolved`, `stale`, or all when unset.
    pub state: Option<String>,
    /// Only these severities.
    pub severities: Vec<Severity>,
    /// Rule glob.
    pub rule: Option<glob::Pattern>,
    /// Resource id glob.
    pub resource: Option<glob::Pattern>,
    /// Source glob (`k8s`, `manifests:*`).
    pub source: Option<glob::Pattern>,
    /// Namespace (region, resource group) glob; a finding without one never matches.
    pub namespace: Option<glob::Pattern>,
}

/// One page to read: the filter, where to start and how many.
#[derive(Debug, Clone)]
pub struct FindingQuery {
    /// Which findings.
    pub filter: FindingFilter,
    /// The `next` of the previous page: findings after this fingerprint.
    pub after: Option<String>,
    /// Page size, 1 to [`MAX_PAGE`].
    pub limit: usize,
}

/// One page of findings in fingerprint order.
#[derive(Debug, Clone)]
pub struct FindingPage {
    /// The findings.
    pub findings: Vec<StoredFinding>,
    /// Where the next page starts (its `after`), or `None` on the last page.
    pub next: Option<String>,
}

/// A findings query as text, as the API and the console take it; a blank value is unset.
#[derive(Debug, Clone, Copy, Default)]
pub struct FindingParams<'a> {
    /// `open` (when unset), `resolved`, `stale` or `all`.
    pub state: Option<&'a str>,
    /// Severities, comma-separated.
    pub severity: Option<&'a str>,
    /// Rule glob.
    pub rule: Option<&'a str>,
    /// Resource id glob.
    pub resource: Option<&'a str>,
    /// Source glob.
    pub source: Option<&'a str>,
    /// Namespace glob.
    pub namespace: Option<&'a str>,
    /// Cursor.
    pub after: Option<&'a str>,
    /// Page size (100 when unset).
    pub limit: Option<usize>,
}

fn invalid(param: &'static str, message: impl Into<String>) -> StateError {
    StateError::Invalid {
        param,
        message: message.into(),
    }
}

impl FindingParams<'_> {
    /// The query these parameters ask for; the error names the first bad parameter.
    pub fn parse(&self) -> Result<FindingQuery, StateError> {
        let given = |v: Option<&str>| v.filter(|x| !x.trim().is_empty()).map(str::to_string);
        let state = given(self.state).unwrap_or_else(|| "open".into());
        if !["open", "resolved", "stale", "all"].contains(&state.as_str()) {
            return Err(invalid(
                "state",
                format!("{state:?} is not open, resolved, stale or all"),
            ));
        }
        let severities = match given(self.severity) {
            Some(list) => list
                .split(',')
                .map(|x| {
                    x.parse::<Severity>()
                        .map_err(|_| invalid("severity", format!("{x:?}")))
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let glob = |param: &'static str, v: Option<&str>| {
            given(v)
                .map(|g| glob::Pattern::new(&g).map_err(|e| invalid(param, e.to_string())))
                .transpose()
        };
        let filter = FindingFilter {
            state: Some(state),
            severities,
            rule: glob("rule", self.rule)?,
            resource: glob("resource", self.resource)?,
            source: glob("source", self.source)?,
            namespace: glob("namespace", self.namespace)?,
        };
        let after = given(self.after);
        if let Some(after) = &after {
            check_cursor(after)?;
        }
        let limit = self.limit.unwrap_or(100);
        check_limit(limit)?;
        Ok(FindingQuery {
            filter,
            after,
            limit,
        })
    }
}

fn check_limit(limit: usize) -> Result<(), StateError> {
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(())
    } else {
        Err(invalid(
            "limit",
            format!("{limit} is not between 1 and {MAX_PAGE}"),
        ))
    }
}

/// A cursor is a fingerprint a page gave as `next`: never empty, long or holding a
/// control character (PostgreSQL refuses a NUL in text).
fn check_cursor(after: &str) -> Result<(), StateError> {
    if after.is_empty() || after.chars().count() > MAX_CURSOR || after.chars().any(char::is_control)
    {
        let shown: String = after.chars().take(40).collect();
        return Err(invalid(
            "after",
            format!("{shown:?} is not a cursor: pass the `next` of the previous page"),
        ));
    }
    Ok(())
}

/// A glob without wildcards, which SQL compares for equality.
fn literal(pattern: &glob::Pattern) -> Option<&str> {
    let text = pattern.as_str();
    (!text.contains(['*', '?', '['])).then_some(text)
}

/// The SQL part of a filter, and the globs left to match here.
struct Plan<'f> {
    backend: Backend,
    clauses: Vec<String>,
    binds: Vec<String>,
    rule: Option<&'f glob::Pattern>,
    resource: Option<&'f glob::Pattern>,
    source: Option<&'f glob::Pattern>,
    namespace: Option<&'f glob::Pattern>,
}

impl<'f> Plan<'f> {
    fn of(filter: &'f FindingFilter, backend: Backend) -> Plan<'f> {
        let mut plan = Plan {
            backend,
            clauses: Vec::new(),
            binds: Vec::new(),
            rule: None,
            resource: None,
            source: None,
            namespace: None,
        };
        match filter.state.as_deref() {
            Some("all") | None => {}
            Some("stale") => plan.clauses.push("f.state = 'open' AND f.stale = 1".into()),
            Some(state) => {
                let p = plan.bind(state);
                plan.clauses.push(format!("f.state = {p}"));
            }
        }
        if !filter.severities.is_empty() {
            let mut names: Vec<&str> = filter.severities.iter().map(|s| s.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            let list: Vec<String> = names.into_iter().map(|s| plan.bind(s)).collect();
            plan.clauses
                .push(format!("f.severity IN ({})", list.join(", ")));
        }
        plan.rule = plan.glob("f.rule", filter.rule.as_ref());
        plan.resource = plan.glob("f.resource_id", filter.resource.as_ref());
        plan.source = plan.glob("f.source", filter.source.as_ref());
        plan.namespace = plan.glob("f.resource_namespace", filter.namespace.as_ref());
        plan
    }

    fn bind(&mut self, value: &str) -> String {
        self.binds.push(value.to_string());
        self.backend.placeholder(self.binds.len())
    }

    /// Pushes a literal glob into SQL; returns the pattern when it must be matched here.
    fn glob(
        &mut self,
        column: &str,
        pattern: Option<&'f glob::Pattern>,
    ) -> Option<&'f glob::Pattern> {
        let pattern = pattern?;
        match literal(pattern) {
            Some(text) => {
                let p = self.bind(text);
                self.clauses.push(format!("{column} = {p}"));
                None
            }
            None => Some(pattern),
        }
    }

    /// True when every glob is in SQL.
    fn all_in_sql(&self) -> bool {
        self.rule.is_none()
            && self.resource.is_none()
            && self.source.is_none()
            && self.namespace.is_none()
    }

    fn matches(&self, f: &StoredFinding) -> bool {
        self.rule.is_none_or(|p| p.matches(&f.rule))
            && self.resource.is_none_or(|p| p.matches(&f.resource_id))
            && self.source.is_none_or(|p| p.matches(&f.source))
            && self.namespace.is_none_or(|p| {
                f.resource_namespace
                    .as_deref()
                    .is_some_and(|n| p.matches(n))
            })
    }

    /// `WHERE …` with the cursor, and the binds in order.
    fn where_clause(&self, after: Option<&str>) -> (String, Vec<String>) {
        let mut clauses = self.clauses.clone();
        let mut binds = self.binds.clone();
        if let Some(after) = after {
            binds.push(after.to_string());
            clauses.push(format!(
                "f.fingerprint > {}",
                self.backend.placeholder(binds.len())
            ));
        }
        if clauses.is_empty() {
            (String::new(), binds)
        } else {
            (format!(" WHERE {}", clauses.join(" AND ")), binds)
        }
    }
}

impl Store {
    /// The findings generation: a number raised by every change of the findings a page
    /// shows, in the writing transaction, by whichever process or replica writes
    /// (migration 6's triggers). Equal numbers mean equal pages.
    pub async fn findings_generation(&self) -> Result<i64, StateError> {
        sqlx::query_scalar("SELECT generation FROM findings_generation WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.query_error(e))
    }

    /// One page of the findings matching `query.filter`, in fingerprint order, after
    /// `query.after`, and where the next page starts.
    pub async fn find_findings(&self, query: &FindingQuery) -> Result<FindingPage, StateError> {
        check_limit(query.limit)?;
        if let Some(after) = &query.after {
            check_cursor(after)?;
        }
        let plan = Plan::of(&query.filter, self.backend());
        let want = query.limit + 1;
        let mut found = Vec::with_capacity(want);
        let mut batch = if plan.all_in_sql() {
            want
        } else {
            want.max(500)
        };
        let mut after = query.after.clone();
        'batches: loop {
            let rows = self.fetch_batch(&plan, after.as_deref(), batch).await?;
            let full = rows.len() == batch;
            after = rows.last().map(|f| f.fingerprint.clone());
            for f in rows {
                if plan.matches(&f) {
                    found.push(f);
                    if found.len() == want {
                        break 'batches;
                    }
                }
            }
            if !full {
                break;
            }
            batch = (batch * 2).min(MAX_BATCH);
        }
        let next = (found.len() > query.limit).then(|| found[query.limit - 1].fingerprint.clone());
        found.truncate(query.limit);
        Ok(FindingPage {
            findings: found,
            next,
        })
    }

    /// How many findings match `filter` (after the cursor `after`, when given), by severity.
    pub async fn count_findings(
        &self,
        filter: &FindingFilter,
        after: Option<&str>,
    ) -> Result<BTreeMap<String, u64>, StateError> {
        if let Some(after) = after {
            check_cursor(after)?;
        }
        let plan = Plan::of(filter, self.backend());
        let mut counts = BTreeMap::new();
        if plan.all_in_sql() {
            let (clause, binds) = plan.where_clause(after);
            let sql =
                format!("SELECT f.severity, COUNT(*) FROM findings f{clause} GROUP BY f.severity");
            for row in self.fetch_rows(sql, binds).await? {
                let severity: String = row.try_get(0).map_err(|e| self.query_error(e))?;
                let n: i64 = row.try_get(1).map_err(|e| self.query_error(e))?;
                counts.insert(severity, n.max(0) as u64);
            }
            return Ok(counts);
        }
        let mut after = after.map(str::to_string);
        loop {
            let rows = self.fetch_batch(&plan, after.as_deref(), MAX_BATCH).await?;
            let full = rows.len() == MAX_BATCH;
            after = rows.last().map(|f| f.fingerprint.clone());
            for f in rows.iter().filter(|f| plan.matches(f)) {
                *counts.entry(f.severity.clone()).or_default() += 1;
            }
            if !full {
                return Ok(counts);
            }
        }
    }

    /// Findings matching `filter`, most severe first, then by resource and rule.
    pub async fn list_findings(
        &self,
        filter: &FindingFilter,
    ) -> Result<Vec<StoredFinding>, StateError> {
        let plan = Plan::of(filter, self.backend());
        let (clause, binds) = plan.where_clause(None);
        let rows = self.fetch_rows(format!("{SELECT}{clause}"), binds).await?;
        let mut found = Vec::new();
        for row in &rows {
            let finding = self.finding_of(row)?;
            if plan.matches(&finding) {
                found.push(finding);
            }
        }
        let rank = |s: &str| s.parse::<Severity>().map_or(0, |s| s as i32);
        found.sort_by(|a, b| {
            rank(&b.severity)
                .cmp(&rank(&a.severity))
                .then_with(|| a.resource_id.cmp(&b.resource_id))
                .then_with(|| a.rule.cmp(&b.rule))
        });
        Ok(found)
    }

    /// Up to `size` findings passing the SQL part of `plan`, after `after`.
    async fn fetch_batch(
        &self,
        plan: &Plan<'_>,
        after: Option<&str>,
        size: usize,
    ) -> Result<Vec<StoredFinding>, StateError> {
        let (clause, binds) = plan.where_clause(after);
        let sql = format!("{SELECT}{clause} ORDER BY f.fingerprint LIMIT {size}");
        let rows = self.fetch_rows(sql, binds).await?;
        rows.iter().map(|row| self.finding_of(row)).collect()
    }

    /// The rows of `sql` (built by a [`Plan`]) with its text `binds` in order.
    async fn fetch_rows(
        &self,
        sql: String,
        binds: Vec<String>,
    ) -> Result<Vec<sqlx::any::AnyRow>, StateError> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            query = query.bind(b);
        }
        query
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.query_error(e))
    }
}
