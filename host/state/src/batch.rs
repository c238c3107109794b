//! Multi-row statements: many rows per `INSERT` and many keys per `IN (…)`, so a cycle
//! that changes thousands of findings makes tens of round trips, not thousands.

use sqlx::{Any, AssertSqlSafe, Transaction};

use crate::error::StateError;
use crate::store::Store;

/// Most bound parameters in one statement on PostgreSQL (it allows 65,535).
const MAX_PARAMS_POSTGRES: usize = 30_000;
/// Most bound parameters in one statement on SQLite. It allows 32,766, but sqlx looks
/// each parameter's name up with `sqlite3_bind_parameter_name`, a linear walk: binding
/// is quadratic in the parameters of a statement, and 30,000 of them took 1 s each.
const MAX_PARAMS_SQLITE: usize = 512;
/// Most rows in one statement.
const MAX_ROWS: usize = 1_000;

/// A bound value, typed even when null (PostgreSQL types every parameter).
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// An integer column.
    Int(Option<i64>),
    /// A text column.
    Text(Option<String>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_string()))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}

/// Most bound parameters in one statement on `store`'s backend.
pub(crate) fn max_params(store: &Store) -> usize {
    match store.backend() {
        crate::store::Backend::Sqlite => MAX_PARAMS_SQLITE,
        crate::store::Backend::Postgres => MAX_PARAMS_POSTGRES,
    }
}

/// Inserts `rows` into `table` (`columns` in order), `suffix` appended to each
/// statement (e.g. an `ON CONFLICT` clause).
pub(crate) async fn insert_many(
    store: &Store,
    tx: &mut Transaction<'static, Any>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    suffix: &str,
) -> Result<(), StateError> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_statement = (max_params(store) / columns.len()).clamp(1, MAX_ROWS);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            debug_assert_eq!(row.len(), columns.len());
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for j in 0..row.len() {
                n += 1;
                if j > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&store.backend().placeholder(n));
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(suffix);
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in chunk.into_iter().flatten() {
            query = match value {
                Value::Int(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
            };
        }
        query
            .execute(&mut **tx)
            .await
            .map_err(|e| store.query_error(e))?;
    }
    Ok(())
}

/// Runs `UPDATE … WHERE key IN (…)` for `keys`, in chunks: `head` is the statement up
/// to `IN (`, with its own `$1..$k` parameters bound from `params`.
pub(crate) async fn update_where_in(
    store: &Store,
    tx: &mut Transaction<'static, Any>,
    head: &str,
    params: &[Value],
    keys: &[String],
) -> Result<(), StateError> {
    let per_statement = (max_params(store) - params.len()).clamp(1, MAX_ROWS);
    for chunk in keys.chunks(per_statement) {
        let mut sql = head.to_string();
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&store.backend().placeholder(params.len() + i + 1));
        }
        sql.push(')');
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for value in params.iter().cloned() {
            query = match value {
                Value::Int(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
            };
        }
        for key in chunk {
            query = query.bind(key.clone());
        }
        query
            .execute(&mut **tx)
            .await
            .map_err(|e| store.query_error(e))?;
    }
    Ok(())
}
