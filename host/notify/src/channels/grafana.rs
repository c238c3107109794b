//! Grafana annotations, the audit trail on dashboards: `POST {url}/api/annotations` with
//! the message's time, its text and tags (`aiops`, the events, severity, rules,
//! resources, and `aiops-key:KEY` to find a retried one), a service account token as
//! bearer.

use std::path::Path;

use serde_json::json;

use super::http::{client, post_json};
use super::{Channel, Outgoing, SendError};
use crate::config::{ConfigError, read_secret};

/// Posts annotations.
pub struct GrafanaChannel {
    url: String,
    token: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for GrafanaChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrafanaChannel")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The annotation of a message.
pub fn annotation(message: Outgoing<'_>) -> serde_json::Value {
    let n = message.notification;
    let r = message.rendered;
    let mut tags = vec!["aiops".to_string()];
    let mut add = |t: String| {
        if !tags.contains(&t) && tags.len() < 20 {
            tags.push(t);
        }
    };
    for e in &r.events {
        add(format!("event:{}", e.kind));
        if let Some(s) = &e.severity {
            add(format!("severity:{s}"));
        }
        for rule in &e.rules {
            add(format!("rule:{rule}"));
        }
        if let Some(res) = &e.resource {
            add(format!("resource:{res}"));
        }
    }
    tags.push(format!("aiops-key:{}", n.idempotency_key));
    let time = n.events.first().map(|e| e.at).unwrap_or(n.created_at);
    json!({
        "time": time,
        "tags": tags,
        "text": r.text(),
    })
}

impl GrafanaChannel {
    /// The channel for Grafana at `url`, with the token in `token_env`/`token_file`.
    pub fn new(
        key: &str,
        url: &str,
        token_env: Option<&str>,
        token_file: Option<&Path>,
    ) -> Result<GrafanaChannel, ConfigError> {
        Ok(GrafanaChannel {
            url: format!("{}/api/annotations", url.trim_end_matches('/')),
            token: read_secret(key, token_env, token_file)?.unwrap_or_default(),
            client: client(),
        })
    }
}

impl Channel for GrafanaChannel {
    async fn send(&self, message: Outgoing<'_>) -> Result<(), SendError> {
        let bytes = serde_json::to_vec(&annotation(message)).unwrap_or_default();
        post_json(
            &self.client,
            "grafana",
            &self.url,
            bytes,
            &[("Authorization", format!("Bearer {}", self.token))],
        )
        .await
    }
}
