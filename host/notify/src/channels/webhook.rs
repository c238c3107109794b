//! A webhook: the message as JSON (documented in the README), with an `Idempotency-Key`
//! header that is the same on every attempt and, when a key is configured, an
//! `X-Aiops-Signature-256: sha256=HEX` header, the HMAC-SHA256 of the exact body.

use std::path::Path;

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::http::{client, post_json};
use super::{Channel, Outgoing, SendError};
use crate::config::{ConfigError, read_secret};

/// POSTs messages as JSON.
pub struct WebhookChannel {
    url: String,
    secret: Option<String>,
    client: reqwest::Client,
}

impl std::fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookChannel { url: ***, secret: *** }")
    }
}

/// The JSON body of a message.
pub fn body(message: Outgoing<'_>) -> serde_json::Value {
    let n = message.notification;
    let r = message.rendered;
    json!({
        "version": 1,
        "idempotency_key": n.idempotency_key,
        "channel": n.channel,
        "route": n.route,
        "group_key": n.group_key,
        "title": r.title,
        "severity": r.severity,
        "text": r.text(),
        "links": r.links,
        "events": n.events,
    })
}

/// `sha256=HEX` of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl WebhookChannel {
    /// The channel at `url` (or the URL in `url_env`/`url_file`), signing with the key in
    /// `secret_env`/`secret_file` when given.
    pub fn new(
        key: &str,
        url: Option<&str>,
        url_env: Option<&str>,
        url_file: Option<&Path>,
        secret_env: Option<&str>,
        secret_file: Option<&Path>,
    ) -> Result<WebhookChannel, ConfigError> {
        let url = match url {
            Some(u) => u.to_string(),
            None => read_secret(key, url_env, url_file)?.unwrap_or_default(),
        };
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ConfigError {
                key: key.into(),
                message: "the webhook URL is not an http(s) URL".into(),
            });
        }
        Ok(WebhookChannel {
            url,
            secret: read_secret(key, secret_env, secret_file)?,
            client: client(),
        })
    }
}

impl Channel for WebhookChannel {
    async fn send(&self, message: Outgoing<'_>) -> Result<(), SendError> {
        let bytes = serde_json::to_vec(&body(message)).unwrap_or_default();
        let mut headers = vec![(
            "Idempotency-Key",
            message.notification.idempotency_key.clone(),
        )];
        if let Some(secret) = &self.secret {
            headers.push(("X-Aiops-Signature-256", signature(secret, &bytes)));
        }
        post_json(&self.client, "webhook", &self.url, bytes, &headers).await
    }
}
