//! Notifications for aiops: the outbox's events routed like Alertmanager (a route tree
//! matched on severity, event, rule, namespace/account/region and labels; grouping,
//! waits and repeat intervals; silences), delivered to Teams, email, webhooks, Grafana
//! and the log with retries, dead letters and the same idempotency key on every attempt.
//!
//! - [`config`]: the `notifications:` section.
//! - [`facts`], [`route`]: what an event is, and where it goes.
//! - [`render`]: what a message says.
//! - [`channels`]: how each channel sends it.
//! - [`deliver`]: routing the outbox into messages and sending the due ones.

pub mod channels;
pub mod config;
pub mod crash;
pub mod deliver;
pub mod facts;
pub mod failing;
pub mod render;
pub mod route;
