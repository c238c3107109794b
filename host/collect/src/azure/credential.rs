//! Azure credentials from azure_identity: managed identity, workload identity, client
//! secret or the Azure CLI, or the first of those that works (`auto`). Secrets are read
//! from an environment variable or a file, held as `azure_core` `Secret`s (redacted in
//! `Debug`), and never logged or put in an error message.

use std::path::Path;
use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_core::time::Duration;
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};

use super::config::{AzureConfig, CredentialKind};
use aiops_core::CollectError;

/// One or more credentials, tried in order until one yields a token.
pub struct Credentials {
    chain: Vec<(CredentialKind, Arc<dyn TokenCredential>)>,
    scope: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.chain.iter().map(|(k, _)| k.name()).collect();
        f.debug_struct("Credentials")
            .field("chain", &names)
            .field("scope", &self.scope)
            .finish()
    }
}

impl Credentials {
    /// Builds the credential(s) `config` asks for; token requests go through `http`.
    pub fn from_config(config: &AzureConfig, http: &reqwest::Client) -> Result<Self, CollectError> {
        let options = client_options(config, http);
        let kinds = match config.credential {
            CredentialKind::Auto => auto_chain(config),
            kind => vec![kind],
        };
        let mut chain = Vec::new();
        let mut skipped = Vec::new();
        for kind in kinds {
            match build(kind, config, &options) {
                Ok(credential) => chain.push((kind, credential)),
                Err(err) if config.credential == CredentialKind::Auto => {
                    tracing::debug!(credential = kind.name(), "skipped: {err}");
                    skipped.push(format!("{}: {err}", kind.name()));
                }
                Err(err) => {
                    return Err(CollectError::Credentials(format!("{}: {err}", kind.name())));
                }
            }
        }
        if chain.is_empty() {
            return Err(CollectError::Credentials(format!(
                "no usable credential ({})",
                skipped.join("; ")
            )));
        }
        Ok(Credentials {
            chain,
            scope: config.scope(),
        })
    }

    /// An access token for the ARM endpoint from the first credential that gives one.
    pub async fn token(&self) -> Result<Secret, CollectError> {
        let mut failures = Vec::new();
        for (kind, credential) in &self.chain {
            match credential.get_token(&[self.scope.as_str()], None).await {
                Ok(token) => {
                    tracing::debug!(credential = kind.name(), "got an ARM access token");
                    return Ok(token.token);
                }
                Err(err) => failures.push(format!("{}: {}", kind.name(), explain(&err))),
            }
        }
        Err(CollectError::Credentials(failures.join("; ")))
    }
}

/// `auto`: client secret and workload identity when configured, the CLI when `az` is
/// installed, managed identity always (last, since its endpoint only exists in Azure).
fn auto_chain(config: &AzureConfig) -> Vec<CredentialKind> {
    let mut kinds = Vec::new();
    if config.client_secret_file.is_some() || std::env::var_os(&config.client_secret_env).is_some()
    {
        kinds.push(CredentialKind::ClientSecret);
    }
    if config.federated_token_file.is_some()
        || std::env::var_os("AZURE_FEDERATED_TOKEN_FILE").is_some()
    {
        kinds.push(CredentialKind::WorkloadIdentity);
    }
    if on_path("az") {
        kinds.push(CredentialKind::Cli);
    }
    kinds.push(CredentialKind::ManagedIdentity);
    kinds
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Client options shared by the credentials: our HTTP client (extra CAs, timeouts), the
/// collector's retry policy (azure_core's default retries for a minute) and the
/// configured authority host.
fn client_options(config: &AzureConfig, http: &reqwest::Client) -> ClientOptions {
    let policy = &config.retry;
    let millis = |ms: u64| Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX));
    let mut options = ClientOptions {
        transport: Some(Transport::new(Arc::new(http.clone()))),
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: millis(policy.base_delay_ms),
            max_retries: policy.max_attempts.saturating_sub(1),
            max_total_elapsed: millis(
                policy
                    .max_delay_ms
                    .saturating_mul(u64::from(policy.max_attempts)),
            ),
            max_delay: millis(policy.max_delay_ms),
        }),
        ..Default::default()
    };
    if let Some(host) = &config.authority_host {
        let mut cloud = CustomConfiguration::default();
        cloud.authority_host = host.trim_end_matches('/').to_string();
        options.cloud = Some(Arc::new(CloudConfiguration::Custom(cloud)));
    }
    options
}

fn build(
    kind: CredentialKind,
    config: &AzureConfig,
    options: &ClientOptions,
) -> Result<Arc<dyn TokenCredential>, String> {
    let credential: Arc<dyn TokenCredential> = match kind {
        CredentialKind::ClientSecret => {
            let tenant = setting(&config.tenant_id, "tenant_id", "AZURE_TENANT_ID")?;
            let client = setting(&config.client_id, "client_id", "AZURE_CLIENT_ID")?;
            let secret = client_secret(config)?;
            ClientSecretCredential::new(
                &tenant,
                client,
                secret,
                Some(ClientSecretCredentialOptions {
                    client_options: options.clone(),
                }),
            )
            .map_err(|e| explain(&e))?
        }
        CredentialKind::WorkloadIdentity => {
            WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: options.clone(),
                },
                client_id: config.client_id.clone(),
                tenant_id: config.tenant_id.clone(),
                token_file_path: config.federated_token_file.clone(),
            }))
            .map_err(|e| explain(&e))?
        }
        CredentialKind::ManagedIdentity => {
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: config.client_id.clone().map(UserAssignedId::ClientId),
                client_options: options.clone(),
            }))
            .map_err(|e| explain(&e))?
        }
        CredentialKind::Cli => AzureCliCredential::new(Some(AzureCliCredentialOptions {
            tenant_id: config.tenant_id.clone(),
            ..Default::default()
        }))
        .map_err(|e| explain(&e))?,
        CredentialKind::Auto => return Err("`auto` is not a credential itself".to_string()),
    };
    Ok(credential)
}

/// A setting from the config, else from an environment variable.
fn setting(value: &Option<String>, key: &str, env: &str) -> Result<String, String> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => std::env::var(env)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().to_string())
            .ok_or_else(|| format!("no {key}: set collectors.azure.{key} or {env}")),
    }
}

/// The client secret from `client_secret_file`, else from the `client_secret_env`
/// variable. Errors name where it was looked for, never what was found.
fn client_secret(config: &AzureConfig) -> Result<Secret, String> {
    let secret = match &config.client_secret_file {
        Some(path) => read_secret_file(path)?,
        None => std::env::var(&config.client_secret_env).map_err(|_| {
            format!(
                "no client secret: set {} or collectors.azure.client_secret_file",
                config.client_secret_env
            )
        })?,
    };
    let secret = secret.trim().to_string();
    if secret.is_empty() {
        return Err("the client secret is empty".to_string());
    }
    Ok(Secret::new(secret))
}

fn read_secret_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read client_secret_file {}: {e}", path.display()))
}

/// An azure_identity error and its causes on one line, without the troubleshooting
/// links (the causes say what failed: a refused connection, an untrusted certificate,
/// the Entra error code).
fn explain(err: &azure_core::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        let text = text.split("To troubleshoot").next().unwrap_or_default();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_secret_names_where_it_was_looked_for() {
        let config = AzureConfig {
            credential: CredentialKind::ClientSecret,
            tenant_id: Some("t".into()),
            client_id: Some("c".into()),
            client_secret_env: "AIOPS_TEST_NO_SUCH_SECRET_VAR".into(),
            ..Default::default()
        };
        let err = Credentials::from_config(&config, &reqwest::Client::new()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("AIOPS_TEST_NO_SUCH_SECRET_VAR"), "{text}");
        assert!(text.starts_with("credentials: client-secret"), "{text}");
    }

    #[test]
    fn a_secret_file_is_read_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "s3cr3t-value\n").unwrap();
        let config = AzureConfig {
            credential: CredentialKind::ClientSecret,
            tenant_id: Some("tenant".into()),
            client_id: Some("client".into()),
            client_secret_file: Some(file),
            ..Default::default()
        };
        let credentials = Credentials::from_config(&config, &reqwest::Client::new()).unwrap();
        assert!(!format!("{credentials:?}").contains("s3cr3t"));
        assert_eq!(client_secret(&config).unwrap().secret(), "s3cr3t-value");
    }
}
