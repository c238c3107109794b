//! The log channel (the embedded default): each message is one `info` record of target
//! `aiops::notify`, with a line per event.

use super::{Channel, Outgoing, SendError};

/// Writes messages to the log.
#[derive(Debug)]
pub struct LogChannel {
    name: String,
}

impl LogChannel {
    /// The log channel `name`.
    pub fn new(name: &str) -> LogChannel {
        LogChannel { name: name.into() }
    }
}

impl Channel for LogChannel {
    async fn send(&self, message: Outgoing<'_>) -> Result<(), SendError> {
        let r = message.rendered;
        tracing::info!(
            target: "aiops::notify",
            channel = %self.name,
            key = %message.notification.idempotency_key,
            events = r.events.len(),
            "{}", r.title
        );
        for e in &r.events {
            tracing::info!(target: "aiops::notify", channel = %self.name, "  - {}", e.line);
        }
        for l in &r.links {
            tracing::info!(target: "aiops::notify", channel = %self.name, "  {}: {}", l.title, l.url);
        }
        Ok(())
    }
}
