//! Channels behind one trait, each a small module: the log (the embedded default),
//! Microsoft Teams (Workflows webhook, Adaptive Card), email (SMTP), a webhook (JSON,
//! idempotency key, HMAC signature) and Grafana annotations.

pub mod email;
pub mod grafana;
mod http;
pub mod log;
pub mod teams;
pub mod webhook;

use std::time::Duration;

use aiops_state::Notification;

use crate::config::{ChannelConfig, ConfigError};
use crate::render::Rendered;

/// A message to send: the stored notification and how it reads.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The notification (its idempotency key, its events).
    pub notification: &'a Notification,
    /// Its rendering.
    pub rendered: &'a Rendered,
}

/// Why a send failed; never holds a secret (no URL with its signature, no password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// What happened.
    pub message: String,
    /// How long the receiver asked to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl SendError {
    /// A failure without a wait asked for.
    pub fn new(message: impl Into<String>) -> SendError {
        SendError {
            message: message.into(),
            retry_after: None,
        }
    }
}

/// What every channel does.
#[allow(async_fn_in_trait)]
pub trait Channel {
    /// Delivers `message` once; the same idempotency key on every attempt.
    async fn send(&self, message: Outgoing<'_>) -> Result<(), SendError>;
}

/// A configured channel.
#[derive(Debug)]
pub enum AnyChannel {
    /// `log`.
    Log(log::LogChannel),
    /// `teams`.
    Teams(teams::TeamsChannel),
    /// `email`.
    Email(Box<email::EmailChannel>),
    /// `webhook`.
    Webhook(webhook::WebhookChannel),
    /// `grafana`.
    Grafana(grafana::GrafanaChannel),
}

impl AnyChannel {
    /// Builds channel `name` from its config, reading its secrets now (an error names
    /// the key and where it looked).
    pub fn new(name: &str, config: &ChannelConfig) -> Result<AnyChannel, ConfigError> {
        let key = format!("channels.{name}");
        Ok(match config {
            ChannelConfig::Log {} => AnyChannel::Log(log::LogChannel::new(name)),
            ChannelConfig::Teams { url_env, url_file } => AnyChannel::Teams(
                teams::TeamsChannel::new(&key, url_env.as_deref(), url_file.as_deref())?,
            ),
            ChannelConfig::Email { smtp, from, to, cc } => AnyChannel::Email(Box::new(
                email::EmailChannel::new(&key, smtp, from, to, cc)?,
            )),
            ChannelConfig::Webhook {
                url,
                url_env,
                url_file,
                hmac_secret_env,
                hmac_secret_file,
            } => AnyChannel::Webhook(webhook::WebhookChannel::new(
                &key,
                url.as_deref(),
                url_env.as_deref(),
                url_file.as_deref(),
                hmac_secret_env.as_deref(),
                hmac_secret_file.as_deref(),
            )?),
            ChannelConfig::Grafana {
                url,
                token_env,
                token_file,
            } => AnyChannel::Grafana(grafana::GrafanaChannel::new(
                &key,
                url,
                token_env.as_deref(),
                token_file.as_deref(),
            )?),
        })
    }
}

impl AnyChannel {
    /// Its type, as the config spells it: `log`, `teams`, `email`, `webhook` or
    /// `grafana` (the `channel` label of the notification metrics).
    pub fn kind(&self) -> &'static str {
        match self {
            AnyChannel::Log(_) => "log",
            AnyChannel::Teams(_) => "teams",
            AnyChannel::Email(_) => "email",
            AnyChannel::Webhook(_) => "webhook",
            AnyChannel::Grafana(_) => "grafana",
        }
    }
}

impl Channel for AnyChannel {
    async fn send(&self, message: Outgoing<'_>) -> Result<(), SendError> {
        match self {
            AnyChannel::Log(c) => c.send(message).await,
            AnyChannel::Teams(c) => c.send(message).await,
            AnyChannel::Email(c) => c.send(message).await,
            AnyChannel::Webhook(c) => c.send(message).await,
            AnyChannel::Grafana(c) => c.send(message).await,
        }
    }
}
