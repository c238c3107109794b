//! Setting up the SDK: the shared configuration (retry, timeouts, endpoint,
//! credentials), one configuration per account and region (an assumed role where the
//! account asks for one), and turning SDK errors into messages that say which call
//! failed and why — never with credentials in them.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_rds::config::SharedCredentialsProvider;
use aws_sdk_rds::config::http::HttpResponse;
use aws_sdk_rds::error::{ProvideErrorMetadata, SdkError};

use super::config::{AwsAccount, AwsConfig};

/// One place to read: an account (ambient credentials or an assumed role) and a region.
#[derive(Debug, Clone)]
pub struct Target {
    /// The account's id, or `default` for the ambient credentials.
    pub account: String,
    /// The role to assume, when the account is read through one.
    pub role: Option<AwsAccount>,
    /// The region.
    pub region: String,
}

impl Target {
    /// How problems name this target: `aws/ACCOUNT/REGION`.
    pub fn label(&self) -> String {
        format!("aws/{}/{}", self.account, self.region)
    }

    /// The id prefix of resources read here: `aws/SERVICE/REGION` for the ambient
    /// account, `aws/SERVICE/ACCOUNT/REGION` for an assumed-role account.
    pub fn id_prefix(&self, service: &str) -> String {
        match &self.role {
            None => format!("aws/{service}/{}", self.region),
            Some(_) => format!("aws/{service}/{}/{}", self.account, self.region),
        }
    }
}

/// The SDK configuration every target starts from.
pub async fn base_config(
    config: &AwsConfig,
    credentials: Option<SharedCredentialsProvider>,
) -> SdkConfig {
    let policy = &config.retry;
    let retry = RetryConfig::standard()
        .with_max_attempts(policy.max_attempts.max(1))
        .with_initial_backoff(Duration::from_millis(policy.base_delay_ms))
        .with_max_backoff(Duration::from_millis(policy.max_delay_ms.max(1)));
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(config.connect_timeout_seconds))
        .operation_attempt_timeout(config.call_timeout())
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry)
        .timeout_config(timeouts);
    // With regions configured, the ambient region is not needed: skip its lookup
    // (which may probe the instance metadata service).
    if let Some(first) = config.regions.first() {
        loader = loader.region(Region::new(first.clone()));
    }
    if let Some(url) = &config.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(credentials) = credentials {
        loader = loader.credentials_provider(credentials);
    }
    loader.load().await
}

/// Every account and region to read, in config order.
pub fn targets(config: &AwsConfig, ambient_region: Option<&Region>) -> Vec<Target> {
    let fallback: Vec<String> = if config.regions.is_empty() {
        ambient_region.map(|r| r.to_string()).into_iter().collect()
    } else {
        config.regions.clone()
    };
    if config.accounts.is_empty() {
        return fallback
            .into_iter()
            .map(|region| Target {
                account: "default".to_string(),
                role: None,
                region,
            })
            .collect();
    }
    config
        .accounts
        .iter()
        .flat_map(|account| {
            let regions = if account.regions.is_empty() {
                fallback.clone()
            } else {
                account.regions.clone()
            };
            regions.into_iter().map(move |region| Target {
                account: account.account_id().unwrap_or("unknown").to_string(),
                role: Some(account.clone()),
                region,
            })
        })
        .collect()
}

/// The SDK configuration of one target: its region, and the assumed role's
/// credentials (refreshed by the provider) where it has one.
pub async fn target_config(base: &SdkConfig, target: &Target) -> SdkConfig {
    let regional = base
        .to_builder()
        .region(Region::new(target.region.clone()))
        .build();
    let Some(role) = &target.role else {
        return regional;
    };
    let mut builder = AssumeRoleProvider::builder(role.role_arn.clone())
        .session_name("aiops-collector")
        .configure(&regional);
    if let Some(external_id) = &role.external_id {
        builder = builder.external_id(external_id.clone());
    }
    let provider = builder.build().await;
    regional
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// The error and its sources as one line (`a: b: c`), each cause once.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// A failed API call: which call, and why, for a person.
#[derive(Debug, thiserror::Error)]
#[error("{call}: {detail}")]
pub struct CallError {
    /// The operation, e.g. `rds:DescribeDBInstances`.
    pub call: &'static str,
    /// Why it failed.
    pub detail: String,
    /// The service's error code, when it sent one.
    pub code: Option<String>,
}

impl CallError {
    /// Describes an SDK error. Service errors keep their code and message; transport
    /// errors say what happened (timeout, connection, unreadable response) with the
    /// cause chain (never a Debug dump). The SDK's errors carry no credentials.
    pub fn from_sdk<E>(call: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let (code, detail) = match err {
            SdkError::ServiceError(service) => {
                let inner = service.err();
                let code = inner.code().map(str::to_string);
                let message = inner.message().unwrap_or("no message");
                let status = service.raw().status().as_u16();
                (
                    code.clone(),
                    format!(
                        "{} (HTTP {status}): {message}",
                        code.as_deref().unwrap_or("error")
                    ),
                )
            }
            SdkError::TimeoutError(_) => (None, "timed out".to_string()),
            SdkError::DispatchFailure(_) => {
                let causes = causes(err);
                if causes.contains("credential") {
                    (None, format!("no usable credentials: {causes}"))
                } else {
                    (None, format!("cannot reach the endpoint: {causes}"))
                }
            }
            SdkError::ResponseError(_) => (None, format!("malformed response: {}", causes(err))),
            _ => (None, causes(err)),
        };
        CallError { call, detail, code }
    }

    /// True when the service said the resource does not exist (deleted meanwhile).
    pub fn is_not_found(&self) -> bool {
        self.code.as_deref() == Some("ResourceNotFoundException")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("dispatch failure")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn causes_are_one_line_without_debug_dumps() {
        let err = Outer(std::io::Error::other(
            "no credentials found\n  Environment: not set",
        ));
        assert_eq!(
            causes(&err),
            "dispatch failure: no credentials found Environment: not set"
        );
    }

    #[test]
    fn targets_cover_every_account_and_region() {
        let config: AwsConfig = serde_norway::from_str(
            "regions: [eu-west-1, us-east-1]\n\
             accounts:\n\
             - role_arn: arn:aws:iam::111111111111:role/read\n\
             - role_arn: arn:aws:iam::222222222222:role/read\n\
             \x20 regions: [ap-south-1]\n",
        )
        .unwrap();
        let labels: Vec<String> = targets(&config, None).iter().map(Target::label).collect();
        assert_eq!(
            labels,
            [
                "aws/111111111111/eu-west-1",
                "aws/111111111111/us-east-1",
                "aws/222222222222/ap-south-1"
            ]
        );
        let ambient = targets(&AwsConfig::default(), Some(&Region::new("eu-north-1")));
        assert_eq!(ambient.len(), 1);
        assert_eq!(ambient[0].label(), "aws/default/eu-north-1");
        assert_eq!(ambient[0].id_prefix("rds"), "aws/rds/eu-north-1");
        assert!(targets(&AwsConfig::default(), None).is_empty());
    }
}
