//! Events about what keeps failing: a source or a plugin that failed in each of the
//! last N completed cycles gets one `source.failing` / `plugin.failing` event when its
//! streak reaches N (not again for the same streak: its dedup key names where the
//! streak began).

use std::collections::BTreeMap;

use aiops_state::{CycleRecord, CycleStatus, OutboxEvent, StateError, Store, now_millis};
use serde_json::json;

/// What failed in one cycle: (kind, name) → the first problem's message.
fn failures(cycle: &CycleRecord) -> BTreeMap<(&'static str, String), String> {
    let mut out = BTreeMap::new();
    for s in &cycle.sources {
        if s.failed || (!s.problems.is_empty() && !s.file_source) {
            let message = s
                .problems
                .first()
                .map(|p| p.message.clone())
                .unwrap_or_else(|| "nothing could be read".into());
            out.entry(("source", s.source.clone())).or_insert(message);
        }
    }
    for p in &cycle.problems {
        if let Some(plugin) = &p.plugin {
            out.entry(("plugin", plugin.clone()))
                .or_insert_with(|| p.message.clone());
        }
    }
    out
}

/// Writes the failing events the last completed cycles call for (streaks of
/// `after_cycles`); how many it wrote (a repeated call writes nothing new).
pub async fn record_failing(store: &Store, after_cycles: usize) -> Result<usize, StateError> {
    if after_cycles == 0 {
        return Ok(0);
    }
    let cycles: Vec<CycleRecord> = store
        .list_cycles(after_cycles as i64 * 4 + 8)
        .await?
        .into_iter()
        .filter(|c| c.status == CycleStatus::Completed)
        .collect();
    let Some(newest) = cycles.first() else {
        return Ok(0);
    };
    let mut events = Vec::new();
    for ((kind, name), message) in failures(newest) {
        let streak: Vec<i64> = cycles
            .iter()
            .take_while(|c| failures(c).contains_key(&(kind, name.clone())))
            .map(|c| c.id)
            .collect();
        if streak.len() != after_cycles {
            continue;
        }
        let first = *streak.last().unwrap_or(&newest.id);
        events.push(OutboxEvent {
            id: 0,
            at: now_millis(),
            kind: format!("{kind}.failing"),
            subject: format!("{kind}:{name}"),
            severity: Some("high".into()),
            cycle: Some(newest.id),
            payload: json!({
                "title": format!("{kind} {name} failed in each of the last {after_cycles} cycles"),
                "reason": message,
                kind: name,
                "cycles": streak,
            }),
            dedup_key: format!("{kind}.failing:{name}:{first}"),
        });
    }
    if events.is_empty() {
        return Ok(0);
    }
    let mut tx = store.begin_write().await?;
    store.enqueue_events(&mut tx, &events).await?;
    tx.commit().await.map_err(|e| store.query_error(e))?;
    Ok(events.len())
}
