//! Microsoft Teams through a Workflows webhook ("When a Teams webhook request is
//! received"; the Office 365 connectors are retired): the payload Workflows expects, a
//! `message` with one Adaptive Card 1.4 attachment — title, facts, the events with their
//! evidence, and `Action.OpenUrl` buttons to the pull request and to aiops's approval
//! page. Kept under Teams' ~28 KB limit by truncating evidence, then dropping event
//! details; the links are never cut.

use std::path::Path;

use serde_json::{Value, json};

use super::http::{client, post_json};
use super::{Channel, Outgoing, SendError};
use crate::config::{ConfigError, read_secret};
use crate::render::Rendered;

/// The most a card may weigh.
pub const MAX_PAYLOAD_BYTES: usize = 28 * 1024 - 1024;

/// Posts Adaptive Cards to a Workflows webhook.
pub struct TeamsChannel {
    url: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for TeamsChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TeamsChannel { url: *** }")
    }
}

impl TeamsChannel {
    /// The channel at the URL in `url_env` or `url_file`.
    pub fn new(
        key: &str,
        url_env: Option<&str>,
        url_file: Option<&Path>,
    ) -> Result<TeamsChannel, ConfigError> {
        let url = read_secret(key, url_env, url_file)?.unwrap_or_default();
        if !(url.starts_with("https://") || url.starts_with("http://127.0.0.1")) {
            return Err(ConfigError {
                key: key.into(),
                message: "the Workflows URL is not an https URL".into(),
            });
        }
        Ok(TeamsChannel {
            url,
            client: client(),
        })
    }
}

fn color(severity: Option<&str>) -> &'static str {
    match severity {
        Some("critical" | "high") => "Attention",
        Some("medium") => "Warning",
        Some("low" | "info") => "Accent",
        _ => "Default",
    }
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// The Workflows payload for `r`, with evidence values cut to `evidence_chars` and at
/// most `detailed` events shown in detail.
fn payload(r: &Rendered, evidence_chars: usize, detailed: usize) -> Value {
    let mut body = vec![json!({
        "type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true,
        "color": color(r.severity.as_deref()), "text": r.title,
    })];
    for e in r.events.iter().take(detailed) {
        let mut facts =
            vec![json!({"title": "Severity", "value": e.severity.as_deref().unwrap_or("-")})];
        if let Some(res) = &e.resource {
            facts.push(json!({"title": "Resource", "value": res}));
        }
        if !e.rules.is_empty() {
            facts.push(json!({"title": "Rule", "value": e.rules.join(", ")}));
        }
        for (k, v) in &e.evidence {
            facts.push(json!({"title": k, "value": cut(v, evidence_chars)}));
        }
        body.push(json!({"type": "TextBlock", "wrap": true, "separator": true, "text": e.line}));
        body.push(json!({"type": "FactSet", "facts": facts}));
    }
    if r.events.len() > detailed {
        let rest: Vec<String> = r.events[detailed..]
            .iter()
            .take(50)
            .map(|e| format!("- {}", cut(&e.line, 160)))
            .collect();
        body.push(json!({"type": "TextBlock", "wrap": true, "separator": true,
            "text": format!("{}\n\n…and {} more", rest.join("\n"), r.events.len() - detailed)}));
    }
    let actions: Vec<Value> = r
        .links
        .iter()
        .map(|l| json!({"type": "Action.OpenUrl", "title": l.title, "url": l.url}))
        .collect();
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "msteams": {"width": "Full"},
                "body": body,
                "actions": actions,
            }
        }]
    })
}

/// The card for `r`, under [`MAX_PAYLOAD_BYTES`].
pub fn card(r: &Rendered) -> Vec<u8> {
    let mut detailed = r.events.len().min(20);
    for chars in [2_000, 300, 80] {
        let bytes = serde_json::to_vec(&payload(r, chars, detailed)).unwrap_or_default();
        if bytes.len() <= MAX_PAYLOAD_BYTES {
            return bytes;
        }
    }
    loop {
        let bytes = serde_json::to_vec(&payload(r, 80, detailed)).unwrap_or_default();
        if bytes.len() <= MAX_PAYLOAD_BYTES || detailed == 0 {
            return bytes;
        }
        detailed /= 2;
    }
}

impl Channel for TeamsChannel {
    async fn send(&self, message: Outgoing<'_>) -> Result<(), SendError> {
        post_json(
            &self.client,
            "teams",
            &self.url,
            card(message.rendered),
            &[(
                "Idempotency-Key",
                message.notification.idempotency_key.clone(),
            )],
        )
        .await
    }
}
