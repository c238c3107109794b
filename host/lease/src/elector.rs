//! The election loop: every retry period, acquire or renew; publish leadership on a
//! watch channel the moment it changes. A leader whose last successful renewal began
//! more than the renew deadline ago gives leadership up, even while a request hangs,
//! so it stops before its Lease can expire for the others (renew deadline < lease
//! duration). On shutdown a leader releases the Lease.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::client::{Attempt, LeaseClient};
use crate::config::Timing;

/// Whether this replica leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leadership {
    /// Another replica leads, or none yet.
    Following,
    /// This replica leads; leader-only writes carry `token`.
    Leading {
        /// The Lease's transition count when this replica took it.
        token: i64,
    },
}

impl Leadership {
    /// The fencing token, when leading.
    pub fn token(self) -> Option<i64> {
        match self {
            Leadership::Leading { token } => Some(token),
            Leadership::Following => None,
        }
    }
}

/// Runs the election for one replica.
pub struct Elector {
    client: LeaseClient,
    timing: Timing,
}

impl Elector {
    /// An elector on `client`'s Lease with `timing`.
    pub fn new(client: LeaseClient, timing: Timing) -> Elector {
        Elector { client, timing }
    }

    /// Starts the loop; it ends (releasing a held Lease) when `shutdown` completes.
    pub fn spawn(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> (watch::Receiver<Leadership>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = watch::channel(Leadership::Following);
        let handle = tokio::spawn(self.run(tx, shutdown));
        (rx, handle)
    }

    async fn run(
        mut self,
        tx: watch::Sender<Leadership>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) {
        tokio::pin!(shutdown);
        let lease = self.client.lease();
        let identity = self.client.identity().to_string();
        // When the last successful renewal began (while leading).
        let mut renewed: Option<Instant> = None;
        let far = Duration::from_secs(365 * 24 * 3600);
        loop {
            let deadline = renewed.map_or(Instant::now() + far, |r| r + self.timing.renew_deadline);
            let began = Instant::now();
            let attempt = tokio::select! {
                attempt = self.client.try_acquire_or_renew() => Some(attempt),
                () = tokio::time::sleep_until(deadline) => None,
                () = &mut shutdown => break,
            };
            match attempt {
                Some(Ok(Attempt::Leading { token })) => {
                    renewed = Some(began);
                    if tx.borrow().token() != Some(token) {
                        tracing::warn!(%lease, %identity, token, "leader election: leading");
                        tx.send_replace(Leadership::Leading { token });
                    }
                }
                Some(Ok(Attempt::Following { holder })) => {
                    if renewed.take().is_some() {
                        tracing::warn!(%lease, %identity, holder = holder.as_deref().unwrap_or("?"), "leader election: lost leadership to another replica; leader work stops");
                        tx.send_replace(Leadership::Following);
                    } else {
                        tracing::debug!(%lease, holder = holder.as_deref().unwrap_or("?"), "leader election: following");
                    }
                }
                Some(Err(err)) => tracing::warn!(error = %err, "leader election: attempt failed"),
                None => {}
            }
            if let Some(at) = renewed
                && at.elapsed() >= self.timing.renew_deadline
            {
                renewed = None;
                self.step_down(&tx, &lease);
            }
            let deadline = renewed.map_or(Instant::now() + far, |r| r + self.timing.renew_deadline);
            tokio::select! {
                () = tokio::time::sleep(self.timing.retry_period) => {}
                () = tokio::time::sleep_until(deadline) => {
                    renewed = None;
                    self.step_down(&tx, &lease);
                }
                () = &mut shutdown => break,
            }
        }
        if tx.borrow().token().is_some() {
            tx.send_replace(Leadership::Following);
            match tokio::time::timeout(self.timing.retry_period, self.client.release()).await {
                Ok(Ok(())) => tracing::info!(%lease, "leader election: Lease released"),
                Ok(Err(err)) => tracing::warn!(error = %err, "leader election: release failed"),
                Err(_) => tracing::warn!(%lease, "leader election: release timed out"),
            }
        }
    }

    fn step_down(&self, tx: &watch::Sender<Leadership>, lease: &str) {
        tracing::error!(
            %lease,
            renew_deadline_seconds = self.timing.renew_deadline.as_secs(),
            "leader election: no renewal succeeded within the renew deadline; giving leadership up, leader work stops"
        );
        tx.send_replace(Leadership::Following);
    }
}
