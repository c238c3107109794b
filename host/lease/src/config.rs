//! The `leader_election:` config section: which Lease, who this replica is, and the
//! timing (lease duration > renew deadline > retry period, as client-go has it).

use std::time::Duration;

use serde::Deserialize;

use crate::error::LeaseError;

/// Where a pod's service account namespace is mounted.
const SERVICE_ACCOUNT_NAMESPACE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// The `leader_election:` section. Absent: one replica, no Lease.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LeaderElectionConfig {
    /// The Lease's name (`coordination.k8s.io/v1`).
    pub lease_name: String,
    /// Its namespace; unset: `$POD_NAMESPACE`, else the service account's namespace,
    /// else the kubeconfig context's.
    pub namespace: Option<String>,
    /// This replica's identity, unique per replica; unset or empty: `$POD_NAME`, else
    /// `HOSTNAME-PID`.
    pub identity: Option<String>,
    /// How long a Lease not renewed stays held (others wait this long to take over).
    pub lease_duration_seconds: u64,
    /// The leader gives leadership up when no renewal has succeeded for this long.
    pub renew_deadline_seconds: u64,
    /// Time between two attempts to acquire or renew.
    pub retry_period_seconds: u64,
}

impl Default for LeaderElectionConfig {
    fn default() -> Self {
        LeaderElectionConfig {
            lease_name: "aiops-leader".into(),
            namespace: None,
            identity: None,
            lease_duration_seconds: 15,
            renew_deadline_seconds: 10,
            retry_period_seconds: 2,
        }
    }
}

/// The election's timing, from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long a Lease not renewed stays held.
    pub lease_duration: Duration,
    /// How long the leader keeps leading without a successful renewal.
    pub renew_deadline: Duration,
    /// Time between two attempts.
    pub retry_period: Duration,
}

fn invalid(key: &'static str, message: impl Into<String>) -> LeaseError {
    LeaseError::Config {
        key,
        message: message.into(),
    }
}

impl LeaderElectionConfig {
    /// Checks the section: a valid Lease name and `lease_duration_seconds` >
    /// `renew_deadline_seconds` > `retry_period_seconds` ≥ 1.
    pub fn validate(&self) -> Result<(), LeaseError> {
        check_name("lease_name", &self.lease_name)?;
        if let Some(ns) = &self.namespace {
            check_name("namespace", ns)?;
        }
        if self.retry_period_seconds == 0 {
            return Err(invalid("retry_period_seconds", "must be at least 1"));
        }
        if self.renew_deadline_seconds <= self.retry_period_seconds {
            return Err(invalid(
                "renew_deadline_seconds",
                format!(
                    "must be more than retry_period_seconds ({})",
                    self.retry_period_seconds
                ),
            ));
        }
        if self.lease_duration_seconds <= self.renew_deadline_seconds {
            return Err(invalid(
                "lease_duration_seconds",
                format!(
                    "must be more than renew_deadline_seconds ({}): the leader must give up before others can take over",
                    self.renew_deadline_seconds
                ),
            ));
        }
        if self.lease_duration_seconds > i32::MAX as u64 {
            return Err(invalid("lease_duration_seconds", "too large"));
        }
        Ok(())
    }

    /// The timing.
    pub fn timing(&self) -> Timing {
        Timing {
            lease_duration: Duration::from_secs(self.lease_duration_seconds),
            renew_deadline: Duration::from_secs(self.renew_deadline_seconds),
            retry_period: Duration::from_secs(self.retry_period_seconds),
        }
    }

    /// This replica's identity: `identity`, else `$POD_NAME`, else `HOSTNAME-PID`.
    pub fn resolved_identity(&self) -> String {
        if let Some(id) = self.identity.as_deref().filter(|i| !i.is_empty()) {
            return id.to_string();
        }
        if let Ok(pod) = std::env::var("POD_NAME")
            && !pod.is_empty()
        {
            return pod;
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "aiops".into());
        format!("{host}-{}", std::process::id())
    }

    /// The Lease's namespace: `namespace`, else `$POD_NAMESPACE`, else the service
    /// account's, else `fallback` (the kubeconfig context's).
    pub fn resolved_namespace(&self, fallback: &str) -> String {
        if let Some(ns) = self.namespace.as_deref().filter(|n| !n.is_empty()) {
            return ns.to_string();
        }
        if let Ok(ns) = std::env::var("POD_NAMESPACE")
            && !ns.is_empty()
        {
            return ns;
        }
        std::fs::read_to_string(SERVICE_ACCOUNT_NAMESPACE)
            .ok()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| fallback.to_string())
    }
}

/// A DNS subdomain name, as Kubernetes names objects.
fn check_name(key: &'static str, name: &str) -> Result<(), LeaseError> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(invalid(
            key,
            format!(
                "{name:?} is not a valid Kubernetes name (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> LeaderElectionConfig {
        serde_norway::from_str(text).unwrap()
    }

    #[test]
    fn defaults_are_client_go_s_and_valid() {
        let config = parse("{}");
        assert_eq!(config.lease_name, "aiops-leader");
        assert_eq!(
            (
                config.lease_duration_seconds,
                config.renew_deadline_seconds,
                config.retry_period_seconds
            ),
            (15, 10, 2)
        );
        config.validate().unwrap();
    }

    #[test]
    fn a_renew_deadline_not_shorter_than_the_lease_is_refused_naming_the_key() {
        let err = parse("lease_duration_seconds: 10\nrenew_deadline_seconds: 10\n")
            .validate()
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("leader_election.lease_duration_seconds: must be more than renew_deadline_seconds (10)"),
            "{err}"
        );
        let err = parse("renew_deadline_seconds: 2\n").validate().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("leader_election.renew_deadline_seconds:"),
            "{err}"
        );
        let err = parse("lease_name: Aiops_Leader\n").validate().unwrap_err();
        assert!(
            err.to_string().starts_with("leader_election.lease_name:"),
            "{err}"
        );
        assert!(serde_norway::from_str::<LeaderElectionConfig>("lease: x\n").is_err());
    }

    #[test]
    fn an_empty_identity_falls_back_to_a_per_process_one() {
        let config = parse("identity: ''\n");
        let id = config.resolved_identity();
        assert!(!id.is_empty());
        assert_eq!(parse("identity: pod-a\n").resolved_identity(), "pod-a");
        assert_eq!(
            parse("namespace: ops\n").resolved_namespace("default"),
            "ops"
        );
    }
}
