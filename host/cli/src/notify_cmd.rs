//! `aiops notifications list|retry|send` and `aiops silence add|list|expire`.

use std::io::Write;
use std::process::ExitCode;

use aiops_notify::config::{EventMatcher, parse_duration};
use aiops_notify::deliver::Notifier;
use aiops_state::{DeliveryState, Notification, Store, format_millis, now_millis};
use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::config::Config;
use crate::store_cmd::{OutputFormat, open_store};

/// `aiops notifications …`.
#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// List the messages, newest first: sent, queued, failing and dead.
    List(NotificationsListArgs),
    /// Send a dead message again.
    Retry(RetryArgs),
    /// Route the outbox's new events and send what is due (as a cycle does at its end).
    Send(SendArgs),
}

/// Arguments of `aiops notifications list`.
#[derive(Debug, Args)]
pub struct NotificationsListArgs {
    /// Only the dead ones and those failing (retried later).
    #[arg(long)]
    pub failed: bool,
    /// At most this many.
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Arguments of `aiops notifications retry`.
#[derive(Debug, Args)]
pub struct RetryArgs {
    /// The message's id.
    pub id: i64,
    /// Who asks (recorded in the audit log).
    #[arg(long)]
    pub by: String,
}

/// Arguments of `aiops notifications send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Give up after this many seconds (default `notifications.drain_timeout_seconds`).
    #[arg(long)]
    pub timeout: Option<u64>,
}

/// `aiops silence …`.
#[derive(Debug, Subcommand)]
pub enum SilenceCommand {
    /// Silence the events matching every `--match` until the duration ends.
    Add(SilenceAddArgs),
    /// List the active silences (`--all`: the ended ones too).
    List(SilenceListArgs),
    /// End a silence now.
    Expire(SilenceExpireArgs),
}

/// Arguments of `aiops silence add`.
#[derive(Debug, Args)]
pub struct SilenceAddArgs {
    /// `KEY=GLOB`: severity, event, rule, plugin, namespace, account, region; any other
    /// key is a label (`team=payments`). Repeatable; all must match.
    #[arg(long = "match", value_name = "KEY=GLOB", required = true)]
    pub matchers: Vec<String>,
    /// How long (`2h`, `30m`, `1d`).
    #[arg(long)]
    pub duration: String,
    /// Who (recorded in the audit log).
    #[arg(long)]
    pub by: String,
    /// Why.
    #[arg(long)]
    pub comment: String,
}

/// Arguments of `aiops silence list`.
#[derive(Debug, Args)]
pub struct SilenceListArgs {
    /// Ended and expired silences too.
    #[arg(long)]
    pub all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Arguments of `aiops silence expire`.
#[derive(Debug, Args)]
pub struct SilenceExpireArgs {
    /// The silence's id.
    pub id: i64,
    /// Who (recorded in the audit log).
    #[arg(long)]
    pub by: String,
}

async fn with_store<T>(
    config: &Config,
    work: impl AsyncFnOnce(&Store) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let store = open_store(config).await?;
    let result = work(&store).await;
    store.close().await;
    result
}

/// Runs `aiops notifications …`.
pub fn run_notifications(
    config: &Config,
    command: &NotificationsCommand,
) -> anyhow::Result<ExitCode> {
    crate::cli::async_runtime()?.block_on(with_store(config, async |store| match command {
        NotificationsCommand::List(args) => {
            let all = store
                .list_notifications(args.failed, args.limit.max(1))
                .await?;
            let mut out = std::io::stdout().lock();
            match args.format {
                OutputFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &all)?;
                    writeln!(out)?;
                }
                OutputFormat::Table => print_notifications(&mut out, &all)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        NotificationsCommand::Retry(args) => {
            if store
                .retry_notification(args.id, &format!("user:{}", args.by))
                .await?
            {
                println!("notification {} queued again", args.id);
                Ok(ExitCode::SUCCESS)
            } else {
                anyhow::bail!(
                    "notification {} is not dead (see aiops notifications list --failed)",
                    args.id
                )
            }
        }
        NotificationsCommand::Send(args) => {
            let notifier = Notifier::new(&config.notifications)?;
            let timeout = args
                .timeout
                .map(std::time::Duration::from_secs)
                .unwrap_or(notifier.drain_timeout);
            let r = notifier.drain(store, timeout).await?;
            println!(
                "{} event(s) routed, {} silenced; {} sent, {} to retry, {} dead, {} queued",
                r.routed, r.silenced, r.sent, r.failed, r.dead, r.queued
            );
            Ok(if r.dead > 0 {
                ExitCode::from(crate::cli::EXIT_INCOMPLETE)
            } else {
                ExitCode::SUCCESS
            })
        }
    }))
}

fn print_notifications(out: &mut impl Write, all: &[Notification]) -> anyhow::Result<()> {
    if all.is_empty() {
        writeln!(out, "no notifications")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>5}  {:<8}  {:<16}  {:>6}  {:>8}  {:<19}  GROUP",
        "ID", "STATE", "CHANNEL", "EVENTS", "ATTEMPTS", "CREATED"
    )?;
    for n in all {
        let state = match n.state {
            DeliveryState::Pending if n.attempts > 0 => "failing",
            other => other.as_str(),
        };
        writeln!(
            out,
            "{:>5}  {:<8}  {:<16}  {:>6}  {:>8}  {:<19}  {}",
            n.id,
            state,
            n.channel,
            n.events.len(),
            n.attempts,
            format_millis(n.created_at),
            if n.group_key.is_empty() {
                "-"
            } else {
                &n.group_key
            }
        )?;
        if let Some(e) = &n.last_error {
            writeln!(out, "       last error: {e}")?;
        }
    }
    Ok(())
}

/// Parses `--match KEY=GLOB` values into a matcher.
pub fn matcher_of(matchers: &[String]) -> anyhow::Result<EventMatcher> {
    let mut m = EventMatcher::default();
    for text in matchers {
        let (key, value) = text
            .split_once('=')
            .with_context(|| format!("--match {text:?}: not KEY=GLOB"))?;
        glob::Pattern::new(value).with_context(|| format!("--match {text:?}: invalid glob"))?;
        let value = value.to_string();
        match key {
            "severity" => m.severity.push(value),
            "event" => m.event.push(value),
            "rule" => m.rule = Some(value),
            "plugin" => m.plugin = Some(value),
            "namespace" => m.namespace = Some(value),
            "account" => m.account = Some(value),
            "region" => m.region = Some(value),
            label => {
                m.labels.insert(label.to_string(), value);
            }
        }
    }
    Ok(m)
}

/// A matcher as a silence stores it (only the keys given).
pub fn matcher_json(m: &EventMatcher) -> serde_json::Value {
    let mut v = serde_json::Map::new();
    if !m.severity.is_empty() {
        v.insert("severity".into(), m.severity.clone().into());
    }
    if !m.event.is_empty() {
        v.insert("event".into(), m.event.clone().into());
    }
    for (k, x) in [
        ("rule", &m.rule),
        ("plugin", &m.plugin),
        ("namespace", &m.namespace),
        ("account", &m.account),
        ("region", &m.region),
    ] {
        if let Some(x) = x {
            v.insert(k.into(), x.clone().into());
        }
    }
    if !m.labels.is_empty() {
        v.insert(
            "labels".into(),
            serde_json::to_value(&m.labels).unwrap_or_default(),
        );
    }
    serde_json::Value::Object(v)
}

/// Runs `aiops silence …`.
pub fn run_silence(config: &Config, command: &SilenceCommand) -> anyhow::Result<ExitCode> {
    crate::cli::async_runtime()?.block_on(with_store(config, async |store| match command {
        SilenceCommand::Add(args) => {
            let m = matcher_of(&args.matchers)?;
            let duration =
                parse_duration(&args.duration).map_err(|e| anyhow::anyhow!("--duration: {e}"))?;
            let ends = now_millis() + duration.as_millis() as i64;
            let id = store
                .add_silence(&matcher_json(&m), &args.comment, &args.by, ends)
                .await?;
            println!("silence {id} until {}", format_millis(ends));
            Ok(ExitCode::SUCCESS)
        }
        SilenceCommand::List(args) => {
            let active = if args.all { None } else { Some(now_millis()) };
            let all = store.silences(active).await?;
            let mut out = std::io::stdout().lock();
            match args.format {
                OutputFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &all)?;
                    writeln!(out)?;
                }
                OutputFormat::Table => {
                    if all.is_empty() {
                        writeln!(out, "no silences")?;
                    }
                    for s in &all {
                        writeln!(
                            out,
                            "{:>4}  until {}  by {}  {}  — {}",
                            s.id,
                            format_millis(s.expired_at.unwrap_or(s.ends_at)),
                            s.created_by,
                            s.matchers,
                            s.comment
                        )?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SilenceCommand::Expire(args) => {
            if store.expire_silence(args.id, &args.by).await? {
                println!("silence {} expired", args.id);
                Ok(ExitCode::SUCCESS)
            } else {
                anyhow::bail!("silence {} is not active", args.id)
            }
        }
    }))
}
