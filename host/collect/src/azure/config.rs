//! The `collectors.azure` config section: which credential, which ARM endpoint and
//! subscriptions, and the metric window. Secrets never come from here: a client secret is
//! read from an environment variable or a file named here.

use std::path::PathBuf;

use serde::Deserialize;

use crate::retry::RetryPolicy;

/// The public Azure Resource Manager endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://management.azure.com";

/// The `collectors.azure` config section.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AzureConfig {
    /// How to authenticate.
    pub credential: CredentialKind,
    /// Entra tenant (client secret, workload identity); else `AZURE_TENANT_ID`.
    pub tenant_id: Option<String>,
    /// Application (client) id (client secret, workload identity, user-assigned managed
    /// identity); else `AZURE_CLIENT_ID`.
    pub client_id: Option<String>,
    /// Environment variable holding the client secret.
    pub client_secret_env: String,
    /// File holding the client secret (wins over `client_secret_env`).
    pub client_secret_file: Option<PathBuf>,
    /// Federated token file of workload identity; else `AZURE_FEDERATED_TOKEN_FILE`.
    pub federated_token_file: Option<PathBuf>,
    /// Entra authority host, e.g. `https://login.microsoftonline.us`; else
    /// `AZURE_AUTHORITY_HOST` or the public cloud.
    pub authority_host: Option<String>,
    /// PEM file of extra certificate authorities to trust (private clouds, TLS proxies).
    pub ca_file: Option<PathBuf>,
    /// Azure Resource Manager base URL.
    pub endpoint: String,
    /// Token audience when it differs from `endpoint` (some sovereign and private
    /// clouds); the scope asked for is `<audience or endpoint>/.default`.
    pub audience: Option<String>,
    /// Subscription ids to read; empty reads every subscription the identity can see.
    pub subscriptions: Vec<String>,
    /// Azure Monitor metrics.
    pub metrics: MetricsConfig,
    /// Seconds the whole collection may take.
    pub timeout_seconds: u64,
    /// Retries on throttling (429) and server errors (5xx).
    pub retry: RetryPolicy,
}

impl Default for AzureConfig {
    fn default() -> Self {
        AzureConfig {
            credential: CredentialKind::Auto,
            tenant_id: None,
            client_id: None,
            client_secret_env: "AZURE_CLIENT_SECRET".to_string(),
            client_secret_file: None,
            federated_token_file: None,
            authority_host: None,
            ca_file: None,
            endpoint: DEFAULT_ENDPOINT.to_string(),
            audience: None,
            subscriptions: Vec::new(),
            metrics: MetricsConfig::default(),
            timeout_seconds: 120,
            retry: RetryPolicy::default(),
        }
    }
}

/// Which credential the collector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialKind {
    /// The first that works of: client secret (when one is given), workload identity (when
    /// a federated token file is given), Azure CLI (when `az` is on the PATH), managed
    /// identity.
    Auto,
    /// The managed identity of the VM, App Service or container (system-assigned, or the
    /// user-assigned one `client_id` names).
    ManagedIdentity,
    /// Kubernetes workload identity (a federated service-account token).
    WorkloadIdentity,
    /// A service principal's client secret.
    ClientSecret,
    /// The account the Azure CLI is logged in with.
    Cli,
}

impl CredentialKind {
    /// The name as the config spells it.
    pub fn name(self) -> &'static str {
        match self {
            CredentialKind::Auto => "auto",
            CredentialKind::ManagedIdentity => "managed-identity",
            CredentialKind::WorkloadIdentity => "workload-identity",
            CredentialKind::ClientSecret => "client-secret",
            CredentialKind::Cli => "cli",
        }
    }
}

/// The `collectors.azure.metrics` section.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Read metrics at all.
    pub enabled: bool,
    /// Length of the window the summaries cover, in hours (default 14 days).
    pub window_hours: u64,
    /// Granularity of the series, an ISO 8601 duration Azure Monitor accepts (`PT1M`,
    /// `PT5M`, `PT15M`, `PT30M`, `PT1H`, `PT6H`, `PT12H`, `P1D`).
    pub interval: String,
    /// Metric queries in flight at once.
    pub concurrency: usize,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            window_hours: 14 * 24,
            interval: "PT1H".to_string(),
            concurrency: 8,
        }
    }
}

/// Intervals Azure Monitor's metrics API accepts.
pub const INTERVALS: [&str; 8] = [
    "PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "P1D",
];

impl AzureConfig {
    /// Checks what can be checked without the network; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let endpoint = url::Url::parse(&self.endpoint)
            .map_err(|e| format!("collectors.azure.endpoint `{}`: {e}", self.endpoint))?;
        if !matches!(endpoint.scheme(), "https" | "http") || endpoint.host().is_none() {
            return Err(format!(
                "collectors.azure.endpoint `{}`: expected an http(s) URL",
                self.endpoint
            ));
        }
        if !INTERVALS.contains(&self.metrics.interval.as_str()) {
            return Err(format!(
                "collectors.azure.metrics.interval `{}`: expected one of {}",
                self.metrics.interval,
                INTERVALS.join(", ")
            ));
        }
        if self.metrics.window_hours == 0 {
            return Err("collectors.azure.metrics.window_hours: must be at least 1".to_string());
        }
        if self.metrics.concurrency == 0 {
            return Err("collectors.azure.metrics.concurrency: must be at least 1".to_string());
        }
        if let Some(bad) = self.subscriptions.iter().find(|s| !is_subscription_id(s)) {
            return Err(format!(
                "collectors.azure.subscriptions: `{bad}` is not a subscription id (a GUID)"
            ));
        }
        Ok(())
    }

    /// The OAuth scope of the ARM endpoint (`<audience or endpoint>/.default`).
    pub fn scope(&self) -> String {
        let audience = self.audience.as_deref().unwrap_or(&self.endpoint);
        format!("{}/.default", audience.trim_end_matches('/'))
    }
}

/// True for a GUID: 8-4-4-4-12 hex digits.
fn is_subscription_id(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<AzureConfig, String> {
        serde_norway::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_a_full_section_and_validates_it() {
        let config = parse(
            "credential: client-secret\ntenant_id: t\nclient_id: c\nclient_secret_file: /run/s\n\
             endpoint: http://127.0.0.1:9/\nsubscriptions: [6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f]\n\
             metrics: {window_hours: 24, interval: PT5M}\ntimeout_seconds: 5\n",
        )
        .unwrap();
        assert_eq!(config.credential, CredentialKind::ClientSecret);
        assert_eq!(config.metrics.interval, "PT5M");
        assert_eq!(config.scope(), "http://127.0.0.1:9/.default");
        config.validate().unwrap();
        assert_eq!(
            AzureConfig::default().scope(),
            "https://management.azure.com/.default"
        );
        let config = AzureConfig {
            audience: Some("https://management.core.usgovcloudapi.net/".into()),
            ..Default::default()
        };
        assert_eq!(
            config.scope(),
            "https://management.core.usgovcloudapi.net/.default"
        );
    }

    #[test]
    fn a_secret_in_the_config_file_is_refused() {
        let err = parse("client_secret: hunter2\n").unwrap_err();
        assert!(err.contains("client_secret"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let config = AzureConfig {
            subscriptions: vec!["prod".into()],
            ..Default::default()
        };
        assert!(config.validate().unwrap_err().contains("`prod`"));
        let mut config = AzureConfig::default();
        config.metrics.interval = "PT2H".into();
        assert!(config.validate().unwrap_err().contains("interval `PT2H`"));
        let config = AzureConfig {
            endpoint: "management.azure.com".into(),
            ..Default::default()
        };
        assert!(config.validate().unwrap_err().contains("endpoint"));
    }
}
