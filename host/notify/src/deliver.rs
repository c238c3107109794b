//! Delivery from the outbox: events past the routing cursor are routed (silenced ones
//! skipped) into messages in one transaction that moves the cursor; due messages are
//! sent, each attempt recorded — sent, or failed with its error and a retry time
//! (`Retry-After` when the receiver gave one, else exponential backoff) — and a message
//! that fails `max_attempts` times is marked dead, never dropped. A process killed
//! between a send and its record sends it again with the same idempotency key.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aiops_state::{Notification, RoutedEvent, StateError, Store, now_millis};
use serde::Serialize;

use crate::channels::{AnyChannel, Channel, Outgoing};
use crate::config::{ConfigError, EventMatcher, NotificationsConfig, parse_duration};
use crate::facts::EventFacts;
use crate::render::render;
use crate::route::Router;

/// What a drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DrainReport {
    /// Events routed into messages.
    pub routed: usize,
    /// Events a silence held back.
    pub silenced: usize,
    /// Messages delivered.
    pub sent: usize,
    /// Failed attempts (retried later).
    pub failed: usize,
    /// Messages given up on (dead).
    pub dead: usize,
    /// Messages still queued when the drain ended.
    pub queued: usize,
    /// Delivery attempts by `(channel type, outcome)`: the type as
    /// [`AnyChannel::kind`] names it (`unknown` for a channel no longer configured),
    /// the outcome `sent`, `failed` or `dead`. Not part of the JSON report.
    #[serde(skip)]
    pub by_channel: BTreeMap<(&'static str, &'static str), usize>,
}

/// The configured channels, routes and delivery settings.
#[derive(Debug)]
pub struct Notifier {
    router: Router,
    channels: BTreeMap<String, AnyChannel>,
    console_url: Option<String>,
    max_attempts: i64,
    backoff: Duration,
    max_backoff: Duration,
    /// How long a one-shot drain may take.
    pub drain_timeout: Duration,
}

impl Notifier {
    /// Builds the channels of `config` (reading their secrets) and its router.
    pub fn new(config: &NotificationsConfig) -> Result<Notifier, ConfigError> {
        let router = Router::new(config)?;
        let mut channels = BTreeMap::new();
        channels.insert(
            "log".to_string(),
            AnyChannel::Log(crate::channels::log::LogChannel::new("log")),
        );
        for (name, channel) in &config.channels {
            channels.insert(name.clone(), AnyChannel::new(name, channel)?);
        }
        let duration = |v: &Option<String>, default: Duration| {
            v.as_deref()
                .and_then(|d| parse_duration(d).ok())
                .unwrap_or(default)
        };
        Ok(Notifier {
            router,
            channels,
            console_url: config.console_url.clone(),
            max_attempts: i64::from(config.max_attempts.unwrap_or(10).max(1)),
            backoff: duration(&config.backoff, Duration::from_secs(5)),
            max_backoff: duration(&config.max_backoff, Duration::from_secs(3600)),
            drain_timeout: Duration::from_secs(config.drain_timeout_seconds.unwrap_or(30)),
        })
    }

    /// Routes every event past the cursor into messages; (routed, silenced).
    pub async fn route_pending(&self, store: &Store) -> Result<(usize, usize), StateError> {
        let (mut routed_count, mut silenced_count) = (0, 0);
        loop {
            let cursor = store.notify_cursor().await?;
            let events = store.outbox_after(cursor, 500).await?;
            let Some(last) = events.last().map(|e| e.id) else {
                return Ok((routed_count, silenced_count));
            };
            let now = now_millis();
            let silences: Vec<EventMatcher> = store
                .silences(Some(now))
                .await?
                .into_iter()
                .filter_map(|s| serde_json::from_value(s.matchers).ok())
                .collect();
            let mut routed = Vec::new();
            let mut silenced = 0;
            for event in &events {
                let facts = EventFacts::of(event);
                if silences.iter().any(|m| m.matches(&facts)) {
                    tracing::debug!(event = %event.kind, subject = %event.subject, "silenced");
                    silenced += 1;
                    continue;
                }
                for t in self.router.route(&facts) {
                    routed.push(RoutedEvent {
                        channel: t.channel,
                        route: t.route,
                        group_key: t.group_key,
                        event: event.clone(),
                        group_wait_ms: t.group_wait.as_millis() as i64,
                        group_interval_ms: t.group_interval.as_millis() as i64,
                        repeat_interval_ms: t.repeat_interval.as_millis() as i64,
                    });
                }
            }
            if store.route_events(cursor, last, &routed, now).await? {
                routed_count += events.len() - silenced;
                silenced_count += silenced;
                crate::crash::point(crate::crash::ROUTED);
            }
        }
    }

    fn retry_delay(&self, attempts: i64) -> Duration {
        let factor = 2u32.saturating_pow(u32::try_from(attempts.max(1) - 1).unwrap_or(31));
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }

    /// Sends one due message and records the attempt.
    async fn deliver(
        &self,
        store: &Store,
        n: &Notification,
        report: &mut DrainReport,
    ) -> Result<(), StateError> {
        let rendered = render(n, self.console_url.as_deref());
        let channel = self.channels.get(&n.channel);
        let kind = channel.map_or("unknown", AnyChannel::kind);
        let result = match channel {
            Some(channel) => {
                channel
                    .send(Outgoing {
                        notification: n,
                        rendered: &rendered,
                    })
                    .await
            }
            None => Err(crate::channels::SendError::new(format!(
                "channel {:?} is not in notifications.channels any more",
                n.channel
            ))),
        };
        match result {
            Ok(()) => {
                crate::crash::point(crate::crash::SENT);
                store.notification_sent(n.id, now_millis()).await?;
                report.sent += 1;
                *report.by_channel.entry((kind, "sent")).or_default() += 1;
            }
            Err(err) => {
                let attempts = n.attempts + 1;
                let dead = attempts >= self.max_attempts;
                let wait = err
                    .retry_after
                    .unwrap_or_else(|| self.retry_delay(attempts));
                let next = now_millis() + wait.as_millis() as i64;
                tracing::warn!(
                    channel = %n.channel, notification = n.id, attempts, dead,
                    retry_in_ms = wait.as_millis() as u64, error = %err,
                    "notification not delivered"
                );
                store
                    .notification_failed(n.id, &err.message, next, dead)
                    .await?;
                let outcome = if dead {
                    report.dead += 1;
                    "dead"
                } else {
                    report.failed += 1;
                    "failed"
                };
                *report.by_channel.entry((kind, outcome)).or_default() += 1;
            }
        }
        Ok(())
    }

    /// Routes what is new and sends what is due until nothing more comes due before
    /// `timeout` ends; what is left stays queued for the next drain.
    pub async fn drain(&self, store: &Store, timeout: Duration) -> Result<DrainReport, StateError> {
        let deadline = Instant::now() + timeout;
        let mut report = DrainReport::default();
        let (routed, silenced) = self.route_pending(store).await?;
        report.routed = routed;
        report.silenced = silenced;
        loop {
            let due = store.due_notifications(now_millis(), 100).await?;
            for n in &due {
                if Instant::now() >= deadline {
                    break;
                }
                self.deliver(store, n, &mut report).await?;
            }
            let Some(next) = store.next_notification_due().await? else {
                break;
            };
            let wait = Duration::from_millis(u64::try_from(next - now_millis()).unwrap_or(0));
            if Instant::now() + wait >= deadline {
                break;
            }
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        report.queued = store
            .list_notifications(false, 10_000)
            .await?
            .iter()
            .filter(|n| n.state == aiops_state::DeliveryState::Pending)
            .count();
        Ok(report)
    }
}
