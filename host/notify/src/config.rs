//! The `notifications:` section: channels (where messages go), routes (which events go
//! where, grouped how), and delivery settings. Secrets (webhook and Teams URLs, SMTP
//! credentials, Grafana tokens, HMAC keys) are only ever named here: their values come
//! from environment variables or files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The `notifications:` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Channels by name. `log` always exists (the embedded default).
    #[serde(default)]
    pub channels: BTreeMap<String, ChannelConfig>,
    /// The route tree; an event no route takes goes to `default_channel`.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// Where events no route takes go (default `log`).
    #[serde(default)]
    pub default_channel: Option<String>,
    /// aiops's console, for the links in messages (`https://aiops.example.com`).
    #[serde(default)]
    pub console_url: Option<String>,
    /// How long a one-shot `aiops cycle` spends delivering before it exits (what is left
    /// stays queued).
    #[serde(default)]
    pub drain_timeout_seconds: Option<u64>,
    /// Delivery attempts of one message before it is marked dead.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// The first retry's delay; doubled each attempt, up to `max_backoff`.
    #[serde(default)]
    pub backoff: Option<String>,
    /// The longest delay between attempts.
    #[serde(default)]
    pub max_backoff: Option<String>,
    /// A source or plugin failing in this many cycles in a row is an event (default 3;
    /// 0: never).
    #[serde(default)]
    pub failing_after_cycles: Option<usize>,
}

/// One channel (`notifications.channels.NAME`), by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChannelConfig {
    /// The log (tracing, target `aiops::notify`).
    Log {},
    /// Microsoft Teams through a Workflows webhook.
    Teams {
        /// Environment variable holding the webhook URL.
        #[serde(default)]
        url_env: Option<String>,
        /// File holding the webhook URL.
        #[serde(default)]
        url_file: Option<PathBuf>,
    },
    /// Email over SMTP.
    Email {
        /// The server.
        smtp: SmtpConfig,
        /// The sender.
        from: String,
        /// Recipients.
        to: Vec<String>,
        /// Copies.
        #[serde(default)]
        cc: Vec<String>,
    },
    /// A JSON POST to a URL.
    Webhook {
        /// The URL, when it holds no secret.
        #[serde(default)]
        url: Option<String>,
        /// Environment variable holding the URL.
        #[serde(default)]
        url_env: Option<String>,
        /// File holding the URL.
        #[serde(default)]
        url_file: Option<PathBuf>,
        /// Environment variable holding the HMAC-SHA256 key (signs each body).
        #[serde(default)]
        hmac_secret_env: Option<String>,
        /// File holding the HMAC-SHA256 key.
        #[serde(default)]
        hmac_secret_file: Option<PathBuf>,
    },
    /// Grafana annotations (`POST /api/annotations`).
    Grafana {
        /// Grafana's root URL.
        url: String,
        /// Environment variable holding a service account token.
        #[serde(default)]
        token_env: Option<String>,
        /// File holding the token.
        #[serde(default)]
        token_file: Option<PathBuf>,
    },
}

/// How email channels reach their server (`tls: none | starttls | tls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain (only to a loopback server, for tests).
    None,
    /// STARTTLS (port 587).
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
}

/// An SMTP server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Host name (also the name its certificate must hold).
    pub host: String,
    /// Port (default 587 with STARTTLS, 465 with TLS, 25 plain).
    #[serde(default)]
    pub port: Option<u16>,
    /// TLS mode.
    pub tls: SmtpTls,
    /// Environment variable holding the user name.
    #[serde(default)]
    pub username_env: Option<String>,
    /// File holding the user name.
    #[serde(default)]
    pub username_file: Option<PathBuf>,
    /// Environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// File holding the password.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// A PEM file of CA certificates to trust besides the web's roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Seconds for one delivery.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

impl SmtpConfig {
    /// The port in use.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        })
    }
}

/// What a route matches; every given field must match (globs `*`, `?`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventMatcher {
    /// Severities (any of them).
    #[serde(default)]
    pub severity: Vec<String>,
    /// Event kinds, globs (`finding.*`, `remediation.merged`).
    #[serde(default)]
    pub event: Vec<String>,
    /// Rule id glob (any of the event's rules).
    #[serde(default)]
    pub rule: Option<String>,
    /// Plugin name glob.
    #[serde(default)]
    pub plugin: Option<String>,
    /// Namespace glob.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Cloud account glob.
    #[serde(default)]
    pub account: Option<String>,
    /// Region glob.
    #[serde(default)]
    pub region: Option<String>,
    /// Resource labels or tags: each key present with a value matching the glob.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// One route (`notifications.routes[i]`), Alertmanager's way: the first matching route
/// takes the event unless it says `continue`; a matching route's child routes are tried
/// first; unset settings are inherited from the parent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Which events (empty: all).
    #[serde(default, rename = "match")]
    pub matcher: EventMatcher,
    /// The channel (inherited when absent).
    #[serde(default)]
    pub channel: Option<String>,
    /// After this route takes an event, try the next routes too.
    #[serde(default, rename = "continue")]
    pub continue_: bool,
    /// What the events of one message share: `namespace`, `rule`, `severity`, `event`,
    /// `resource`, `account`, `region`, `plugin`, or a label name. Empty: one group.
    #[serde(default)]
    pub group_by: Option<Vec<String>>,
    /// How long a new group waits for more events before its first message (`30s`).
    #[serde(default)]
    pub group_wait: Option<String>,
    /// How long a group waits after a message before the next (`5m`).
    #[serde(default)]
    pub group_interval: Option<String>,
    /// How long before the same event about the same subject is sent again (`4h`).
    #[serde(default)]
    pub repeat_interval: Option<String>,
    /// Child routes.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
}

/// A config error naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("notifications.{key}: {message}")]
pub struct ConfigError {
    /// The key (`routes[1].group_wait`).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

fn err(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        message: message.into(),
    }
}

/// Parses `30s`, `5m`, `4h`, `2d`, `250ms` (or plain seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (like 30s, 5m, 4h, 2d)"))?;
    let unit_ms: u64 = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (ms, s, m, h, d)")),
    };
    let ms = n
        .checked_mul(unit_ms)
        .ok_or_else(|| format!("{text:?} is too long"))?;
    Ok(Duration::from_millis(ms))
}

/// Names that `group_by` takes besides label names.
pub const GROUP_FIELDS: &[&str] = &[
    "namespace",
    "rule",
    "severity",
    "event",
    "resource",
    "account",
    "region",
    "plugin",
    "subject",
];

impl NotificationsConfig {
    /// Resolves relative files against `dir`, the config file's directory.
    pub fn resolve_paths(&mut self, dir: &Path) {
        let fix = |p: &mut Option<PathBuf>| {
            if let Some(f) = p
                && f.is_relative()
            {
                *p = Some(dir.join(&*f));
            }
        };
        for channel in self.channels.values_mut() {
            match channel {
                ChannelConfig::Teams { url_file, .. } => fix(url_file),
                ChannelConfig::Webhook {
                    url_file,
                    hmac_secret_file,
                    ..
                } => {
                    fix(url_file);
                    fix(hmac_secret_file);
                }
                ChannelConfig::Grafana { token_file, .. } => fix(token_file),
                ChannelConfig::Email { smtp, .. } => {
                    fix(&mut smtp.username_file);
                    fix(&mut smtp.password_file);
                    fix(&mut smtp.ca_file);
                }
                ChannelConfig::Log {} => {}
            }
        }
    }

    /// Checks what serde cannot: channels named by routes exist, one source per secret,
    /// durations and globs parse, `tls: none` only to a loopback host.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (name, channel) in &self.channels {
            let key = format!("channels.{name}");
            match channel {
                ChannelConfig::Teams { url_env, url_file } => one_of(
                    &key,
                    "url_env",
                    url_env.is_some(),
                    "url_file",
                    url_file.is_some(),
                )?,
                ChannelConfig::Webhook {
                    url,
                    url_env,
                    url_file,
                    hmac_secret_env,
                    hmac_secret_file,
                } => {
                    let given = [url.is_some(), url_env.is_some(), url_file.is_some()];
                    if given.iter().filter(|g| **g).count() != 1 {
                        return Err(err(key, "give exactly one of url, url_env and url_file"));
                    }
                    if hmac_secret_env.is_some() && hmac_secret_file.is_some() {
                        return Err(err(
                            key,
                            "give hmac_secret_env or hmac_secret_file, not both",
                        ));
                    }
                }
                ChannelConfig::Grafana {
                    url,
                    token_env,
                    token_file,
                } => {
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(err(format!("{key}.url"), format!("{url:?} is not a URL")));
                    }
                    one_of(
                        &key,
                        "token_env",
                        token_env.is_some(),
                        "token_file",
                        token_file.is_some(),
                    )?;
                }
                ChannelConfig::Email { smtp, from, to, .. } => {
                    if to.is_empty() {
                        return Err(err(format!("{key}.to"), "no recipient"));
                    }
                    for address in std::iter::once(from).chain(to) {
                        address
                            .parse::<lettre::message::Mailbox>()
                            .map_err(|e| err(&key, format!("{address:?}: {e}")))?;
                    }
                    if smtp.tls == SmtpTls::None
                        && !["127.0.0.1", "localhost", "::1"].contains(&smtp.host.as_str())
                    {
                        return Err(err(
                            format!("{key}.smtp.tls"),
                            "none sends credentials in clear: only for a loopback test server",
                        ));
                    }
                    if smtp.username_env.is_some() && smtp.username_file.is_some()
                        || smtp.password_env.is_some() && smtp.password_file.is_some()
                    {
                        return Err(err(
                            format!("{key}.smtp"),
                            "give a credential's _env or its _file, not both",
                        ));
                    }
                }
                ChannelConfig::Log {} => {}
            }
        }
        if let Some(d) = &self.default_channel {
            self.check_channel("default_channel", d)?;
        }
        for (key, value) in [
            ("backoff", &self.backoff),
            ("max_backoff", &self.max_backoff),
        ] {
            if let Some(v) = value {
                parse_duration(v).map_err(|m| err(key, m))?;
            }
        }
        for (i, route) in self.routes.iter().enumerate() {
            self.check_route(&format!("routes[{i}]"), route)?;
        }
        Ok(())
    }

    fn check_channel(&self, key: &str, name: &str) -> Result<(), ConfigError> {
        if name == "log" || self.channels.contains_key(name) {
            Ok(())
        } else {
            Err(err(
                key,
                format!(
                    "no channel {name:?} (channels: {})",
                    std::iter::once("log")
                        .chain(self.channels.keys().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
    }

    fn check_route(&self, key: &str, route: &RouteConfig) -> Result<(), ConfigError> {
        if let Some(c) = &route.channel {
            self.check_channel(&format!("{key}.channel"), c)?;
        }
        for (name, value) in [
            ("group_wait", &route.group_wait),
            ("group_interval", &route.group_interval),
            ("repeat_interval", &route.repeat_interval),
        ] {
            if let Some(v) = value {
                parse_duration(v).map_err(|m| err(format!("{key}.{name}"), m))?;
            }
        }
        let m = &route.matcher;
        let globs = m
            .event
            .iter()
            .map(|g| ("event", g))
            .chain(m.rule.iter().map(|g| ("rule", g)))
            .chain(m.plugin.iter().map(|g| ("plugin", g)))
            .chain(m.namespace.iter().map(|g| ("namespace", g)))
            .chain(m.account.iter().map(|g| ("account", g)))
            .chain(m.region.iter().map(|g| ("region", g)))
            .chain(m.labels.values().map(|g| ("labels", g)));
        for (name, g) in globs {
            glob::Pattern::new(g).map_err(|e| {
                err(
                    format!("{key}.match.{name}"),
                    format!("invalid glob {g:?}: {e}"),
                )
            })?;
        }
        for s in &m.severity {
            if !["info", "low", "medium", "high", "critical"].contains(&s.as_str()) {
                return Err(err(
                    format!("{key}.match.severity"),
                    format!("{s:?} is not a severity"),
                ));
            }
        }
        for (i, child) in route.routes.iter().enumerate() {
            self.check_route(&format!("{key}.routes[{i}]"), child)?;
        }
        Ok(())
    }
}

fn one_of(key: &str, a: &str, has_a: bool, b: &str, has_b: bool) -> Result<(), ConfigError> {
    if has_a == has_b {
        Err(err(key, format!("give exactly one of {a} and {b}")))
    } else {
        Ok(())
    }
}

/// Reads a secret from the environment variable `env` or the file `file`; the error
/// names where it looked, never the value.
pub fn read_secret(
    key: &str,
    env: Option<&str>,
    file: Option<&Path>,
) -> Result<Option<String>, ConfigError> {
    let value = match (env, file) {
        (Some(var), _) => {
            Some(std::env::var(var).map_err(|_| err(key, format!("${var} is not set")))?)
        }
        (None, Some(path)) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| err(key, format!("{}: {e}", path.display())))?,
        ),
        (None, None) => None,
    };
    Ok(value.map(|v| v.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_s_example_parses_and_validates() {
        let c: NotificationsConfig = serde_norway::from_str(
            r#"
channels:
  ops-mail: {type: email, smtp: {host: smtp.example.com, port: 587, tls: starttls, username_env: SMTP_USER, password_env: SMTP_PASSWORD}, from: aiops@example.com, to: [sre@example.com]}
  payments-teams: {type: teams, url_env: TEAMS_PAYMENTS_URL}
  hook: {type: webhook, url_file: /run/secrets/hook-url, hmac_secret_env: HOOK_SECRET}
  grafana: {type: grafana, url: https://grafana.example.com, token_env: GRAFANA_TOKEN}
routes:
  - match: {severity: [high, critical]}
    channel: ops-mail
    continue: true
  - match: {labels: {team: payments}}
    channel: payments-teams
    group_by: [namespace]
    group_wait: 30s
"#,
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.routes[1].group_wait.as_deref(), Some("30s"));
        assert!(c.routes[0].continue_);
    }

    #[test]
    fn errors_name_the_key() {
        let bad = |yaml: &str| {
            serde_norway::from_str::<NotificationsConfig>(yaml)
                .unwrap()
                .validate()
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            bad("routes: [{channel: nope}]"),
            "notifications.routes[0].channel: no channel \"nope\" (channels: log)"
        );
        assert!(bad("routes: [{group_wait: soon}]").contains("routes[0].group_wait"));
        assert!(
            bad("channels: {t: {type: teams}}").contains("channels.t: give exactly one of url_env")
        );
        assert!(bad("channels: {m: {type: email, smtp: {host: mail.example.com, tls: none}, from: a@b.c, to: [d@e.f]}}").contains("smtp.tls"));
        assert!(
            bad("routes: [{routes: [{match: {severity: [urgent]}}]}]")
                .contains("routes[0].routes[0].match.severity")
        );
        let e = serde_norway::from_str::<NotificationsConfig>(
            "channels: {t: {type: teams, url: https://x}}",
        )
        .unwrap_err();
        assert!(e.to_string().contains("url"), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("5 weeks").is_err());
    }
}
