//! Who does the leader's work in `aiops serve`. Without `leader_election:` the one
//! replica always does; with it, only the holder of the Lease runs cycles, opens pull
//! requests and sends notifications, each through a store fenced with the Lease's
//! transition count. Every replica serves the API, metrics and console from the shared
//! PostgreSQL, and stays ready while following.

use aiops_lease::{Elector, Leadership, LeaseClient};
use aiops_state::Store;
use anyhow::Context as _;
use tokio::sync::watch;

use crate::config::Config;

/// This replica's part: alone, or one of several electing a leader.
#[derive(Clone)]
pub enum Role {
    /// No `leader_election:`: always the leader, unfenced.
    Alone,
    /// One of several: leadership as the elector last saw it.
    Elected(watch::Receiver<Leadership>),
}

impl Role {
    /// Starts the election when the config asks for one; it ends with `shutdown`.
    pub async fn start(
        config: &Config,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<Role> {
        let Some(election) = &config.leader_election else {
            return Ok(Role::Alone);
        };
        let (client, server) = aiops_collect::k8s::client::connect(&config.collectors.k8s)
            .await
            .context("leader_election: the Kubernetes API (collectors.k8s.kubeconfig/context)")?;
        let namespace = election.resolved_namespace(client.default_namespace());
        let identity = election.resolved_identity();
        let timing = election.timing();
        tracing::info!(%server, lease = %format!("{namespace}/{}", election.lease_name), %identity, "leader election: starting");
        let lease = LeaseClient::new(client, &namespace, &election.lease_name, &identity, timing);
        let (rx, _task) = Elector::new(lease, timing).spawn(shutdown);
        Ok(Role::Elected(rx))
    }

    /// The store the leader's work goes through now: `None` while following; the
    /// store fenced with this leadership's token (claimed in the store first) while
    /// leading; the plain store when alone.
    pub async fn leader_store(&self, store: &Store) -> Option<Store> {
        let token = match self {
            Role::Alone => return Some(store.clone()),
            Role::Elected(rx) => rx.borrow().token()?,
        };
        match store.claim_fence(token).await {
            Ok(()) => Some(store.fenced(token)),
            Err(err) => {
                tracing::error!(error = %err, token, "leader election: cannot claim the leader token in the store; not leading");
                None
            }
        }
    }

    /// Whether this replica does the leader's work now.
    pub fn leading(&self) -> bool {
        match self {
            Role::Alone => true,
            Role::Elected(rx) => rx.borrow().token().is_some(),
        }
    }

    /// Completes when leadership changes (never when alone).
    pub async fn changed(&mut self) {
        match self {
            Role::Alone => std::future::pending().await,
            Role::Elected(rx) => {
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }

    /// Completes when the leadership of `token` ends (never when alone).
    pub async fn lost(&self, token: Option<i64>) {
        match self {
            Role::Alone => std::future::pending().await,
            Role::Elected(rx) => {
                let mut rx = rx.clone();
                if rx.wait_for(|l| l.token() != token).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}
