//! The `collectors.aws` config section: where to look (regions, accounts through
//! assumed roles), how far back metrics go, and how patient to be.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::retry::RetryPolicy;
use aiops_core::CollectError;

/// The `collectors.aws` config section.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AwsConfig {
    /// Seconds the whole collection may take.
    pub timeout_seconds: u64,
    /// Retries on throttling and transient errors (the SDK's standard retry mode).
    pub retry: RetryPolicy,
    /// Seconds one attempt of one API call may take.
    pub call_timeout_seconds: u64,
    /// Seconds to wait for a connection.
    pub connect_timeout_seconds: u64,
    /// Regions to read; empty: the region of the environment (`AWS_REGION`, profile).
    pub regions: Vec<String>,
    /// Accounts to read through assumed roles; empty: the account of the ambient
    /// credentials (environment, profile, web identity, instance or container role).
    pub accounts: Vec<AwsAccount>,
    /// Length of the metric window, hours back from now.
    pub metrics_window_hours: u64,
    /// CloudWatch period of one point, seconds (a multiple of 60).
    pub metrics_period_seconds: u32,
    /// API calls in flight at once per region (per-stream describes).
    pub concurrency: usize,
    /// Endpoint of every AWS API (a local stand-in); the standard `AWS_ENDPOINT_URL`
    /// environment variable does the same.
    pub endpoint_url: Option<String>,
}

impl Default for AwsConfig {
    fn default() -> Self {
        AwsConfig {
            timeout_seconds: 120,
            retry: RetryPolicy::default(),
            call_timeout_seconds: 30,
            connect_timeout_seconds: 5,
            regions: Vec::new(),
            accounts: Vec::new(),
            metrics_window_hours: 14 * 24,
            metrics_period_seconds: 3600,
            concurrency: 8,
            endpoint_url: None,
        }
    }
}

/// One account read through an assumed role.
#[derive(Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsAccount {
    /// The role to assume, `arn:aws:iam::ACCOUNT:role/NAME`.
    pub role_arn: String,
    /// The external id the role's trust policy asks for.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Regions of this account; empty: the section's `regions`.
    #[serde(default)]
    pub regions: Vec<String>,
}

impl fmt::Debug for AwsAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsAccount")
            .field("role_arn", &self.role_arn)
            .field(
                "external_id",
                &self.external_id.as_ref().map(|_| "<redacted>"),
            )
            .field("regions", &self.regions)
            .finish()
    }
}

impl AwsAccount {
    /// The 12-digit account id in the role ARN.
    pub fn account_id(&self) -> Option<&str> {
        let mut parts = self.role_arn.split(':');
        match (parts.next(), parts.nth(3)) {
            (Some("arn"), Some(id)) if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => {
                Some(id)
            }
            _ => None,
        }
    }
}

impl AwsConfig {
    /// Checks the settings before anything is called; names the key that is wrong.
    pub fn validate(&self) -> Result<(), CollectError> {
        let bad = |key: &str, why: &str| {
            Err(CollectError::Config(format!("collectors.aws.{key}: {why}")))
        };
        if self.metrics_period_seconds == 0 || !self.metrics_period_seconds.is_multiple_of(60) {
            return bad(
                "metrics_period_seconds",
                "must be a positive multiple of 60",
            );
        }
        if self.metrics_window_hours == 0 {
            return bad("metrics_window_hours", "must be at least 1");
        }
        if u64::from(self.metrics_period_seconds) > self.metrics_window_hours * 3600 {
            return bad(
                "metrics_period_seconds",
                "is longer than the metrics window",
            );
        }
        if self.concurrency == 0 {
            return bad("concurrency", "must be at least 1");
        }
        if self.retry.max_attempts == 0 {
            return bad("retry.max_attempts", "must be at least 1");
        }
        if self.call_timeout_seconds == 0 {
            return bad("call_timeout_seconds", "must be at least 1");
        }
        for (i, account) in self.accounts.iter().enumerate() {
            if account.account_id().is_none() {
                return bad(
                    &format!("accounts[{i}].role_arn"),
                    &format!(
                        "`{}` is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
                        account.role_arn
                    ),
                );
            }
        }
        Ok(())
    }

    /// One attempt's deadline.
    pub fn call_timeout(&self) -> Duration {
        Duration::from_secs(self.call_timeout_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> AwsConfig {
        serde_norway::from_str(yaml).unwrap()
    }

    #[test]
    fn reads_regions_accounts_and_metric_window() {
        let config = parse(
            "regions: [eu-west-1, us-east-1]\n\
             metrics_window_hours: 24\n\
             metrics_period_seconds: 300\n\
             accounts:\n\
             - role_arn: arn:aws:iam::111122223333:role/aiops-read\n\
             \x20 external_id: s3cr3t\n\
             \x20 regions: [eu-central-1]\n",
        );
        config.validate().unwrap();
        assert_eq!(config.regions, ["eu-west-1", "us-east-1"]);
        assert_eq!(config.accounts[0].account_id(), Some("111122223333"));
        assert_eq!(config.accounts[0].regions, ["eu-central-1"]);
        assert_eq!(config.metrics_period_seconds, 300);
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
    }

    #[test]
    fn names_the_key_that_is_wrong() {
        let err = parse("metrics_period_seconds: 90\n")
            .validate()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("collectors.aws.metrics_period_seconds"),
            "{err}"
        );
        let err = parse("accounts: [{role_arn: my-role}]\n")
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("accounts[0].role_arn"), "{err}");
        assert!(serde_norway::from_str::<AwsConfig>("region: eu-west-1\n").is_err());
    }
}
