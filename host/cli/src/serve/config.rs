//! The `api:` and `schedule:` sections of the config, for `aiops serve`.

use std::path::PathBuf;

use serde::Deserialize;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read everything.
    Read,
    /// Read, approve and reject remediations, manage silences.
    Approve,
    /// Everything, running cycles included.
    Admin,
}

/// One API token (`api.tokens[i]`): its value only ever in the environment or a file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// The name the audit log records for what the token does.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Environment variable holding the token.
    #[serde(default)]
    pub token_env: Option<String>,
    /// File holding the token.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
}

/// The `api:` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// Where the API listens.
    pub listen: String,
    /// The tokens; none: `serve` makes a local admin token and prints it.
    pub tokens: Vec<TokenConfig>,
    /// Let read endpoints answer without a token.
    pub read_open: bool,
    /// Seconds one request may take.
    pub request_timeout_seconds: u64,
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// MiB of rendered `GET /api/v1/findings` pages kept until the findings change
    /// (read at start); 0 keeps none.
    pub findings_cache_mib: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            listen: "127.0.0.1:8080".into(),
            tokens: Vec::new(),
            read_open: false,
            request_timeout_seconds: 30,
            max_body_bytes: 64 * 1024,
            findings_cache_mib: 32,
        }
    }
}

/// The `schedule:` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    /// Time between the starts of two cycles (`5m`), jittered by up to a tenth.
    pub interval: String,
    /// Per-source intervals overriding `interval`, keyed by the source as `sources:`
    /// spells it (`k8s: 1m`, `aws: 15m`). A cycle collects the sources that are due and
    /// leaves the others' findings as they are; `POST /api/v1/cycles` and `--watch`
    /// collect every source.
    pub sources: std::collections::BTreeMap<String, String>,
    /// How long a running cycle may take to finish on SIGTERM before it is abandoned.
    pub shutdown_grace_seconds: u64,
    /// Run a cycle as soon as the config file, a plugin or a file source changes, as
    /// `serve --watch` does (on in `config/config.local.yaml`).
    pub watch: bool,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            interval: "5m".into(),
            sources: Default::default(),
            shutdown_grace_seconds: 30,
            watch: false,
        }
    }
}

impl ApiConfig {
    /// Checks the section: a listen address, one secret source per token.
    pub fn validate(&self) -> Result<(), String> {
        self.listen
            .parse::<std::net::SocketAddr>()
            .map_err(|e| format!("api.listen: {:?}: {e}", self.listen))?;
        for (i, t) in self.tokens.iter().enumerate() {
            if t.token_env.is_some() == t.token_file.is_some() {
                return Err(format!(
                    "api.tokens[{i}] ({}): give exactly one of token_env and token_file",
                    t.name
                ));
            }
        }
        Ok(())
    }
}

impl ScheduleConfig {
    /// Checks the intervals.
    pub fn validate(&self) -> Result<(), String> {
        check_interval(&self.interval).map_err(|e| format!("schedule.interval: {e}"))?;
        for (source, interval) in &self.sources {
            check_interval(interval).map_err(|e| format!("schedule.sources.{source}: {e}"))?;
        }
        Ok(())
    }

    /// The interval of the source the config names `source`.
    pub fn interval_for(&self, source: &str) -> std::time::Duration {
        match self.sources.get(source) {
            Some(text) => aiops_notify::config::parse_duration(text)
                .unwrap_or_else(|_| self.default_interval()),
            None => self.default_interval(),
        }
    }

    /// `interval`, the default of every source.
    pub fn default_interval(&self) -> std::time::Duration {
        aiops_notify::config::parse_duration(&self.interval)
            .unwrap_or(std::time::Duration::from_secs(300))
    }
}

/// A cycle interval: a duration of at least a second.
fn check_interval(text: &str) -> Result<(), String> {
    let d = aiops_notify::config::parse_duration(text)?;
    if d < std::time::Duration::from_secs(1) {
        return Err(format!("{text:?} is shorter than a second"));
    }
    Ok(())
}
