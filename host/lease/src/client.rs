//! One replica's view of the Lease: read it, and take or renew it with a `replace`
//! carrying the `resourceVersion` read (409 Conflict: another replica wrote first).
//!
//! Expiry is judged as client-go does, by the local clock only: a Lease held by
//! another replica is free once its `resourceVersion` has not changed for its
//! `leaseDurationSeconds` since this replica first saw that version, so clock skew
//! between nodes does not matter.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::PostParams;

use crate::config::Timing;
use crate::error::LeaseError;

/// What one attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// This replica holds the Lease; `token` is its `spec.leaseTransitions`.
    Leading {
        /// The fencing token of this leadership.
        token: i64,
    },
    /// Another replica holds it (or won the race to it).
    Following {
        /// Who holds it, as far as known.
        holder: Option<String>,
    },
}

/// The version of the Lease last seen and when it was first seen.
#[derive(Debug, Clone)]
struct Observed {
    version: String,
    at: Instant,
}

/// Reads and writes one Lease as one identity.
pub struct LeaseClient {
    api: Api<Lease>,
    namespace: String,
    name: String,
    identity: String,
    timing: Timing,
    observed: Option<Observed>,
}

impl LeaseClient {
    /// A client for the Lease `namespace/name`, acting as `identity`.
    pub fn new(
        client: kube::Client,
        namespace: &str,
        name: &str,
        identity: &str,
        timing: Timing,
    ) -> LeaseClient {
        LeaseClient {
            api: Api::namespaced(client, namespace),
            namespace: namespace.to_string(),
            name: name.to_string(),
            identity: identity.to_string(),
            timing,
            observed: None,
        }
    }

    /// This replica's identity.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// `namespace/name` of the Lease.
    pub fn lease(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    fn error(&self, err: kube::Error) -> LeaseError {
        let message = match &err {
            kube::Error::Api(status) => format!("{} ({})", status.message, status.code),
            other => other.to_string(),
        };
        LeaseError::Api {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            message,
        }
    }

    fn spec(&self, now: Timestamp, previous: Option<&LeaseSpec>) -> LeaseSpec {
        let ours = previous
            .and_then(|s| s.holder_identity.as_deref())
            .is_some_and(|h| h == self.identity);
        let mut spec = previous.cloned().unwrap_or_default();
        spec.holder_identity = Some(self.identity.clone());
        spec.lease_duration_seconds =
            Some(i32::try_from(self.timing.lease_duration.as_secs()).unwrap_or(i32::MAX));
        spec.renew_time = Some(MicroTime(now));
        if !ours {
            spec.acquire_time = Some(MicroTime(now));
            spec.lease_transitions = Some(match previous {
                Some(p) => p.lease_transitions.unwrap_or(0).saturating_add(1),
                None => 0,
            });
        }
        spec
    }

    /// Takes the Lease when it is absent, free, expired or ours (renewing it then);
    /// otherwise reports who holds it.
    pub async fn try_acquire_or_renew(&mut self) -> Result<Attempt, LeaseError> {
        let now = Timestamp::now();
        let current = self
            .api
            .get_opt(&self.name)
            .await
            .map_err(|e| self.error(e))?;
        let Some(current) = current else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    namespace: Some(self.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.spec(now, None)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(created) => Ok(self.leading(&created)),
                Err(kube::Error::Api(s)) if s.code == 409 => {
                    Ok(Attempt::Following { holder: None })
                }
                Err(err) => Err(self.error(err)),
            };
        };
        let version = current
            .metadata
            .resource_version
            .clone()
            .unwrap_or_default();
        if self.observed.as_ref().is_none_or(|o| o.version != version) {
            self.observed = Some(Observed {
                version,
                at: Instant::now(),
            });
        }
        let spec = current.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let ours = holder.as_deref() == Some(self.identity.as_str());
        let duration = spec
            .lease_duration_seconds
            .and_then(|d| u64::try_from(d).ok())
            .map_or(self.timing.lease_duration, Duration::from_secs);
        let unchanged_for = self
            .observed
            .as_ref()
            .map_or(Duration::ZERO, |o| o.at.elapsed());
        let free = holder.is_none() || unchanged_for >= duration;
        if !ours && !free {
            return Ok(Attempt::Following { holder });
        }
        let mut next = current.clone();
        // Another holder's (or a released) Lease: a takeover, one transition more.
        next.spec = Some(self.spec(now, Some(&spec)));
        match self
            .api
            .replace(&self.name, &PostParams::default(), &next)
            .await
        {
            Ok(written) => Ok(self.leading(&written)),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(Attempt::Following { holder }),
            Err(err) => Err(self.error(err)),
        }
    }

    /// The Lease as written by this replica: leading with its transition count.
    fn leading(&mut self, written: &Lease) -> Attempt {
        self.observed = written
            .metadata
            .resource_version
            .clone()
            .map(|version| Observed {
                version,
                at: Instant::now(),
            });
        let token = written
            .spec
            .as_ref()
            .and_then(|s| s.lease_transitions)
            .unwrap_or(0);
        Attempt::Leading {
            token: i64::from(token),
        }
    }

    /// Gives the Lease up if this replica holds it (on shutdown), so another can take
    /// it at once instead of waiting out the lease duration.
    pub async fn release(&mut self) -> Result<(), LeaseError> {
        let Some(mut current) = self
            .api
            .get_opt(&self.name)
            .await
            .map_err(|e| self.error(e))?
        else {
            return Ok(());
        };
        let Some(spec) = current.spec.as_mut() else {
            return Ok(());
        };
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.acquire_time = None;
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        spec.lease_duration_seconds = Some(1);
        self.api
            .replace(&self.name, &PostParams::default(), &current)
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }
}
