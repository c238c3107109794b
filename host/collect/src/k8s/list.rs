//! Listing one kind completely, page by page (`limit` and `continue`, never one
//! unbounded list): a `410 Gone` on an expired continue token restarts the list from
//! the beginning once. Items come back as full objects (`kind`/`apiVersion` set, as
//! List items lack them) without the bulky `managedFields` and last-applied annotation.

use serde_json::{Map, Value};

use super::api::{ApiError, KubeApi};
use super::config::Namespaces;
use super::kinds::KindSpec;
use aiops_core::CollectorProgress;

/// The annotation `kubectl apply` stores the whole previous manifest in.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Why a kind could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ListError {
    /// The API error (after the retries and the one restart).
    pub error: ApiError,
}

/// Lists kinds with one page size, keeping what the namespace filter allows.
pub struct Lister<'a> {
    /// The API server.
    pub api: &'a KubeApi,
    /// `limit` of every call.
    pub page_size: u32,
    /// Which namespaces to keep.
    pub namespaces: &'a Namespaces,
    /// Where counts go (`None`: kinds read only for lookups, e.g. ReplicaSets).
    pub progress: Option<&'a dyn CollectorProgress>,
}

impl Lister<'_> {
    /// Every object of `kind` (in `namespace`, or cluster-wide) that passes the filter.
    pub async fn list(
        &self,
        kind: &KindSpec,
        namespace: Option<&str>,
    ) -> Result<Vec<Value>, ListError> {
        let path = kind.url_path(namespace);
        let mut restarted = false;
        let mut reported = 0usize;
        'restart: loop {
            let mut items = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let page = match self
                    .api
                    .list_page(&path, self.page_size, token.as_deref())
                    .await
                {
                    Ok(page) => page,
                    Err(error) if error.code() == Some(410) && token.is_some() && !restarted => {
                        tracing::warn!(
                            path = %path,
                            "k8s: continue token expired (410 Gone); listing {} again from the start",
                            kind.kind()
                        );
                        restarted = true;
                        continue 'restart;
                    }
                    Err(error) => return Err(ListError { error }),
                };
                items.extend(
                    page.items
                        .into_iter()
                        .filter(|item| self.keeps(kind, item))
                        .map(|item| complete_object(item, kind)),
                );
                if let Some(progress) = self.progress
                    && items.len() > reported
                {
                    progress.found(kind.kind(), items.len() - reported);
                    reported = items.len();
                }
                match page.continue_token {
                    Some(next) => token = Some(next),
                    None => return Ok(items),
                }
            }
        }
    }

    fn keeps(&self, kind: &KindSpec, item: &Value) -> bool {
        let pointer = if kind.namespaced {
            "/metadata/namespace"
        } else if kind.kind() == aiops_sdk::kinds::NAMESPACE {
            "/metadata/name"
        } else {
            return true;
        };
        item.pointer(pointer)
            .and_then(Value::as_str)
            .is_none_or(|ns| self.namespaces.allows(ns))
    }
}

/// Sets `kind` and `apiVersion` (List items lack them) and drops `managedFields` and
/// the last-applied annotation.
pub fn complete_object(item: Value, kind: &KindSpec) -> Value {
    let Value::Object(fields) = item else {
        return item;
    };
    let mut object = Map::with_capacity(fields.len() + 2);
    object.insert(
        "apiVersion".into(),
        Value::String(kind.resource.api_version.clone()),
    );
    object.insert("kind".into(), Value::String(kind.kind().to_string()));
    for (key, value) in fields {
        if key != "apiVersion" && key != "kind" {
            object.insert(key, value);
        }
    }
    if let Some(Value::Object(meta)) = object.get_mut("metadata") {
        meta.remove("managedFields");
        if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
            annotations.remove(LAST_APPLIED);
            if annotations.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::kinds;
    use serde_json::json;

    #[test]
    fn list_items_become_whole_objects_without_bulk() {
        let item = json!({
            "metadata": {
                "name": "cart", "namespace": "shop",
                "annotations": {LAST_APPLIED: "{\"big\":true}"},
                "managedFields": [{"manager": "kubectl"}]
            },
            "spec": {"replicas": 2}
        });
        let object = complete_object(item, &kinds::namespaced()[0]);
        assert_eq!(
            object,
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "cart", "namespace": "shop"},
                "spec": {"replicas": 2}
            })
        );
        let kept = complete_object(
            json!({"metadata": {"name": "p", "annotations": {"team": "a", LAST_APPLIED: "{}"}}}),
            &kinds::namespaced()[5],
        );
        assert_eq!(kept["metadata"]["annotations"], json!({"team": "a"}));
        assert_eq!(kept["kind"], "Pod");
        assert_eq!(kept["apiVersion"], "v1");
    }
}
