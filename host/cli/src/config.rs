//! The config file (YAML), composed of each crate's section: `plugins:` (the runtime's),
//! `collectors:` (the collectors'), `state:` (the store's), plus the cycle's `sources:`
//! and the `data_dir`. Each section is validated by its crate when the file is loaded, so
//! a bad value stops the start, not a later cycle.
//!
//! Unknown keys are errors, and every error names the file, the line and the field.
//! Relative paths in the file (file sources, `data_dir`, `state.password_file`) are
//! relative to the directory of the config file, not to where aiops was started.

use std::path::{Path, PathBuf};

use aiops_collect::{CollectorsConfig, Source};
use aiops_gitops::config::GitopsConfig;
use aiops_gitops::policy::{Policy, PolicyConfig};
use aiops_notify::config::NotificationsConfig;
use aiops_runtime::PluginsConfig;
use aiops_state::StateConfig;
use serde::Deserialize;

/// Why the config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid config (syntax, unknown field, wrong type, bad value).
    #[error("invalid config {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Parser message with line, column and field, or the key and what is wrong.
        message: String,
    },
}

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Plugin loading and per-plugin settings.
    pub plugins: PluginsConfig,
    /// Settings of the live collectors.
    pub collectors: CollectorsConfig,
    /// What `aiops cycle` collects, spelled as `--source` (`k8s`, `aws`, `azure`,
    /// `manifests:DIR`, `snapshot:FILE`).
    pub sources: Vec<ConfiguredSource>,
    /// The state store.
    pub state: StateConfig,
    /// Where aiops keeps its state (`state.db`); unset: `$AIOPS_DATA_DIR`, else
    /// `$XDG_DATA_HOME/aiops`, else `~/.local/share/aiops`.
    pub data_dir: Option<PathBuf>,
    /// The IaC repository and how fixes become proposals; unset: `aiops cycle` does not
    /// remediate.
    pub gitops: Option<GitopsConfig>,
    /// What may merge at once, what waits for approval, what is never changed.
    pub policy: PolicyConfig,
    /// Where events are sent and how (unset: to the log).
    pub notifications: NotificationsConfig,
    /// `aiops serve`'s API: where it listens, its tokens.
    pub api: crate::serve::config::ApiConfig,
    /// `aiops serve`'s cycles: how often, how long a cycle may finish on shutdown.
    pub schedule: crate::serve::config::ScheduleConfig,
    /// Several replicas: the one holding this Kubernetes Lease leads (runs cycles,
    /// opens pull requests, sends notifications). Unset: one replica, no Lease.
    pub leader_election: Option<aiops_lease::LeaderElectionConfig>,
}

/// One entry of `sources:`: as the config spells it (the name the store records) and
/// what it reads.
#[derive(Debug, Clone)]
pub struct ConfiguredSource {
    /// The spelling in the config, e.g. `manifests:k8s/`.
    pub name: String,
    /// The source, file paths resolved against the config file's directory.
    pub source: Source,
}

impl<'de> Deserialize<'de> for ConfiguredSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        let source = name.parse::<Source>().map_err(serde::de::Error::custom)?;
        Ok(ConfiguredSource { name, source })
    }
}

impl schemars::JsonSchema for ConfiguredSource {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Source".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let live: Vec<&str> = aiops_collect::LIVE_SOURCES.iter().map(|s| s.name).collect();
        schemars::json_schema!({
            "type": "string",
            "description": "A source as `--source` spells it: a live collector, `manifests:DIR` or `snapshot:FILE`.",
            "pattern": format!("^({}|manifests:.+|snapshot:.+)$", live.join("|")),
        })
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// The config file's JSON Schema (draft 2020-12), from the types it is read into.
    pub fn schema() -> serde_json::Value {
        let mut schema = schemars::schema_for!(Config);
        schema.insert("title".into(), "aiops config".into());
        schema.to_value()
    }

    /// Parses and validates config text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let mut config: Config =
            serde_norway::from_str(text).map_err(|e| invalid(e.to_string()))?;
        config
            .plugins
            .validate()
            .map_err(|e| invalid(e.to_string()))?;
        config.collectors.validate().map_err(invalid)?;
        config
            .state
            .validate()
            .map_err(|e| invalid(e.to_string()))?;
        if let Some(gitops) = &config.gitops {
            gitops.validate().map_err(invalid)?;
        }
        Policy::new(&config.policy).map_err(|e| invalid(e.to_string()))?;
        config
            .notifications
            .validate()
            .map_err(|e| invalid(e.to_string()))?;
        config.api.validate().map_err(invalid)?;
        config.schedule.validate().map_err(invalid)?;
        for source in config.schedule.sources.keys() {
            if !config.sources.iter().any(|s| &s.name == source) {
                let names: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
                return Err(invalid(format!(
                    "schedule.sources.{source}: not one of sources: {names:?}"
                )));
            }
        }
        if let Some(election) = &config.leader_election {
            election.validate().map_err(|e| invalid(e.to_string()))?;
            let postgres = match &config.state.url {
                Some(url) => matches!(
                    aiops_state::StoreUrl::parse(url),
                    Ok(aiops_state::StoreUrl::Postgres(_))
                ),
                None => false,
            };
            if !postgres {
                return Err(invalid(
                    "leader_election needs state.url to be PostgreSQL; replicas cannot share SQLite".into(),
                ));
            }
        }
        config.rebase(path.parent().unwrap_or(Path::new("")));
        // A seeded local repository without an address lives under the data directory.
        let data_dir = config.data_dir();
        if let Some(gitops) = &mut config.gitops
            && gitops.repo.url.is_empty()
        {
            gitops.repo.url = data_dir
                .join("iac-remote.git")
                .to_string_lossy()
                .into_owned();
        }
        Ok(config)
    }

    /// The data directory: `data_dir`, or the default.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(aiops_state::default_data_dir)
    }

    /// Makes the file's relative paths relative to `base` (its directory).
    fn rebase(&mut self, base: &Path) {
        for configured in &mut self.sources {
            match &mut configured.source {
                Source::Manifests(path) | Source::Snapshot(path) => *path = beside(base, path),
                Source::Live(_) => {}
            }
        }
        if let Some(dir) = &mut self.data_dir {
            *dir = beside(base, dir);
        }
        if let Some(file) = &mut self.state.password_file {
            *file = beside(base, file);
        }
        if let Some(gitops) = &mut self.gitops {
            gitops.resolve_paths(base);
        }
        self.notifications.resolve_paths(base);
        for token in &mut self.api.tokens {
            if let Some(file) = &mut token.token_file {
                *file = beside(base, file);
            }
        }
    }
}

/// `path` joined onto `base` unless absolute, with `.` and `dir/..` folded away so
/// reports show `local-dev/manifests/app.yaml`, not `config/../local-dev/…`.
fn beside(base: &Path, path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in base.join(path).components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> Config {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../config")
            .join(name);
        Config::load(&path).unwrap()
    }

    #[test]
    fn unknown_field_is_an_error_naming_file_and_field() {
        let err =
            Config::parse("plugins:\n  setings: {}\n", Path::new("conf/aiops.yaml")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("conf/aiops.yaml") && text.contains("setings"),
            "{text}"
        );
    }

    #[test]
    fn bad_severity_is_an_error() {
        let err = Config::parse(
            "plugins:\n  settings:\n    p:\n      severity: {r: urgent}\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("urgent"), "{err}");
    }

    #[test]
    fn each_section_is_validated_when_the_file_loads() {
        let err = Config::parse(
            "plugins:\n  limits: {memory_bytes: 99999999999}\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid config c.yaml: plugins.limits.memory_bytes: at most"),
            "{err}"
        );
        let err =
            Config::parse("collectors:\n  k8s: {page_size: 0}\n", Path::new("c.yaml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid config c.yaml: collectors.k8s.page_size must be at least 1"
        );
        let err = Config::parse(
            "collectors:\n  aws: {metrics_period_seconds: 61}\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("collectors.aws.metrics_period_seconds"),
            "{err}"
        );
    }

    #[test]
    fn sources_state_and_data_dir_are_read_relative_to_the_config_file() {
        let config = Config::parse(
            "sources: [k8s, 'manifests:../local-dev/manifests', 'snapshot:/abs/inv.json']\n\
             data_dir: ./data\nstate: {retention_days: 7}\n",
            Path::new("config/aiops.yaml"),
        )
        .unwrap();
        let names: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "k8s",
                "manifests:../local-dev/manifests",
                "snapshot:/abs/inv.json"
            ]
        );
        let paths: Vec<String> = config
            .sources
            .iter()
            .map(|s| s.source.to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "k8s",
                "manifests:local-dev/manifests",
                "snapshot:/abs/inv.json"
            ]
        );
        assert_eq!(config.data_dir(), Path::new("config/data"));
        assert_eq!(config.state.retention_days, 7);
    }

    #[test]
    fn a_bad_source_or_state_key_names_the_file_line_and_key() {
        let err = Config::parse("sources:\n  - k8s\n  - ftp:x\n", Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid config c.yaml: sources: source `ftp:x`: expected"),
            "{err}"
        );
        assert!(err.contains(" at line 2"), "{err}");
        let err = Config::parse("state: {retention_days: 0}\n", Path::new("c.yaml"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid config c.yaml: state.retention_days: must be at least 1"
        );
    }

    #[test]
    fn leader_election_needs_a_postgres_store_and_valid_timing() {
        let election = "leader_election:\n  lease_name: aiops-leader\n  namespace: aiops\n";
        for state in ["", "state: {url: 'sqlite:///var/lib/aiops/state.db'}\n"] {
            let err = Config::parse(&format!("{election}{state}"), Path::new("c.yaml"))
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                "invalid config c.yaml: leader_election needs state.url to be PostgreSQL; replicas cannot share SQLite"
            );
        }
        let pg = "state: {url: 'postgres://aiops@db:5432/aiops'}\n";
        let config = Config::parse(&format!("{election}{pg}"), Path::new("c.yaml")).unwrap();
        let section = config.leader_election.unwrap();
        assert_eq!(
            (section.lease_name.as_str(), section.lease_duration_seconds),
            ("aiops-leader", 15)
        );
        let err = Config::parse(
            &format!("{election}  renew_deadline_seconds: 20\n{pg}"),
            Path::new("c.yaml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("invalid config c.yaml: leader_election.lease_duration_seconds:"),
            "{err}"
        );
        assert!(
            Config::parse(pg, Path::new("c.yaml"))
                .unwrap()
                .leader_election
                .is_none()
        );
    }

    #[test]
    fn the_shipped_config_example_parses() {
        let config = shipped("config.yaml");
        let k8s = &config.collectors.k8s;
        assert_eq!(k8s.page_size, 500);
        assert_eq!(k8s.namespaces.exclude, ["kube-system"]);
        assert!(k8s.namespaces.include.is_empty() && k8s.kubeconfig.is_none());
    }

    #[test]
    fn the_shipped_configs_name_their_sources_and_store() {
        let local = shipped("config.local.yaml");
        let sources: Vec<String> = local.sources.iter().map(|s| s.source.to_string()).collect();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../local-dev/manifests");
        assert_eq!(sources.len(), 1);
        assert_eq!(
            Path::new(sources[0].strip_prefix("manifests:").unwrap())
                .canonicalize()
                .unwrap(),
            dir.canonicalize().unwrap()
        );
        assert_eq!(local.state.url, None, "the embedded default is SQLite");
        let production = shipped("config.yaml");
        let names: Vec<&str> = production.sources.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["k8s", "aws", "azure"]);
        assert_eq!(production.data_dir(), Path::new("/var/lib/aiops"));
        assert_eq!(
            production.state.password_env.as_deref(),
            Some("AIOPS_STATE_PASSWORD")
        );
        let gitops = production.gitops.as_ref().expect("a gitops section");
        let github = gitops.github().unwrap();
        assert_eq!((github.owner(), github.repo()), ("acme", "platform-iac"));
        assert_eq!(github.token_env(), "GITHUB_TOKEN");
    }

    #[test]
    fn the_azure_example_in_config_yaml_is_valid() {
        let config = shipped("config.yaml");
        let azure = &config.collectors.azure;
        azure.validate().unwrap();
        assert_eq!(
            azure.credential,
            aiops_collect::azure::CredentialKind::ManagedIdentity
        );
        assert_eq!(azure.metrics.window_hours, 336);
    }
}
