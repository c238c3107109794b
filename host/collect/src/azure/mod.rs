//! The Azure Monitor collector: virtual machines, MySQL flexible servers, SQL servers and
//! databases, Event Hubs namespaces and metric alert rules from the Azure Resource
//! Manager REST API, with Azure Monitor metric summaries.
//!
//! The story of one collection: validate the config ([`config`]), build the credential
//! (azure_identity; [`credential`]) and get one ARM token, find the subscriptions, list
//! each resource type of each subscription (a few subscriptions at a time) page by page
//! ([`resources`], through the small typed ARM client of [`client`]), turn each ARM object
//! into the envelope the `azure-monitor` detector reads ([`convert`], types in
//! [`kinds`]), then query each resource's metrics a few at a time ([`metrics`]).
//!
//! A subscription or a list that cannot be read (403, throttled past the retries,
//! malformed) becomes a problem naming it and the rest is kept; only when nothing at all
//! could be read does the whole source fail.

pub mod client;
pub mod config;
pub mod convert;
pub mod credential;
pub mod kinds;
pub mod metrics;
pub mod resources;

use std::time::{Duration, SystemTime};

use futures_util::StreamExt;

pub use config::{AzureConfig, CredentialKind};

use self::client::{ArmClient, ArmError};
use self::credential::Credentials;
use self::resources::Listed;
use aiops_core::{CollectError, CollectFuture, Collector, CollectorProgress};

use crate::LiveCollector;
use aiops_core::{Inventory, InventoryProblem};

/// The source name.
pub const SOURCE: &str = "azure";

/// Subscriptions listed at once (their results are used in the configured order).
const SUBSCRIPTIONS_AT_ONCE: usize = 4;

/// Reads Azure Resource Manager and Azure Monitor into inventory.
pub struct AzureCollector {
    config: AzureConfig,
}

impl LiveCollector for AzureCollector {
    const NAME: &'static str = SOURCE;
    type Config = AzureConfig;

    fn validate(config: &AzureConfig) -> Result<(), String> {
        config.validate()
    }

    fn from_config(config: AzureConfig) -> Self {
        AzureCollector::new(config)
    }
}

impl AzureCollector {
    /// A collector with these settings.
    pub fn new(config: AzureConfig) -> Self {
        AzureCollector { config }
    }

    async fn run(&self, progress: &dyn CollectorProgress) -> Result<Inventory, CollectError> {
        let config = &self.config;
        config.validate().map_err(CollectError::Config)?;
        let endpoint = url::Url::parse(&config.endpoint)
            .map_err(|e| CollectError::Config(format!("collectors.azure.endpoint: {e}")))?;
        let http = http_client(config)?;
        let credentials = Credentials::from_config(config, &http)?;
        progress.status("getting an access token");
        let token = credentials.token().await?;
        let client = ArmClient::new(http, endpoint, token, config.retry);

        let subscriptions = if config.subscriptions.is_empty() {
            progress.status("listing subscriptions");
            resources::subscriptions(&client)
                .await
                .map_err(|e| arm_failure("listing subscriptions", &e))?
        } else {
            config.subscriptions.clone()
        };

        let mut inventory = Inventory::default();
        let mut listed: Vec<Listed> = Vec::new();
        let mut first_failure: Option<(String, ArmError)> = None;
        let mut any_ok = false;
        let mut listings = Vec::with_capacity(subscriptions.len());
        for subscription in &subscriptions {
            listings.push(resources::list_subscription(
                &client,
                subscription,
                progress,
            ));
        }
        let listings: Vec<_> = futures_util::stream::iter(listings)
            .buffered(SUBSCRIPTIONS_AT_ONCE)
            .collect()
            .await;
        for (subscription, listing) in subscriptions.iter().zip(listings) {
            any_ok |= listing.lists_ok > 0;
            for bad in &listing.bad_items {
                inventory
                    .problems
                    .push(problem(format!("subscription {subscription}: {bad}")));
            }
            if listing.lists_ok == 0 && !listing.failures.is_empty() {
                let first = &listing.failures[0];
                inventory.problems.push(problem(format!(
                    "subscription {subscription}: nothing could be read: {first}"
                )));
            } else {
                for failure in &listing.failures {
                    inventory
                        .problems
                        .push(problem(format!("subscription {subscription}: {failure}")));
                }
            }
            if first_failure.is_none()
                && let Some(err) = listing.failures.into_iter().next()
            {
                first_failure = Some((subscription.clone(), err));
            }
            listed.extend(listing.listed);
        }
        if !any_ok && let Some((subscription, err)) = first_failure {
            return Err(arm_failure(
                &format!("no subscription could be read; subscription {subscription}"),
                &err,
            ));
        }

        if config.metrics.enabled {
            self.attach_metrics(&client, &mut listed, &mut inventory, progress)
                .await;
        }
        for item in listed {
            inventory.push(item.resource, None);
        }
        Ok(inventory)
    }

    /// Queries the metrics of every listed resource that has some, a few at a time; a
    /// failed query is a problem naming the resource, which is kept without metrics.
    async fn attach_metrics(
        &self,
        client: &ArmClient,
        listed: &mut [Listed],
        inventory: &mut Inventory,
        progress: &dyn CollectorProgress,
    ) {
        let now = SystemTime::now();
        let config = &self.config.metrics;
        progress.status("reading Azure Monitor metrics");
        let wanted: Vec<(usize, String, &'static [&'static str])> = listed
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.rtype.metrics.is_empty())
            .map(|(i, l)| (i, l.arm_id.clone(), l.rtype.metrics))
            .collect();
        let mut queries = Vec::with_capacity(wanted.len());
        for (i, arm_id, names) in wanted {
            let query = metrics::Query::new(config, names, now);
            queries.push(async move { (i, metrics::fetch(client, &arm_id, &query).await) });
        }
        let results: Vec<_> = futures_util::stream::iter(queries)
            .buffer_unordered(config.concurrency)
            .collect()
            .await;
        for (i, result) in results {
            match result {
                Ok(metrics) => listed[i].resource.metrics = metrics,
                Err(err) => inventory.problems.push(problem(format!(
                    "metrics of {}: {err}",
                    listed[i].resource.id
                ))),
            }
        }
    }
}

impl Collector for AzureCollector {
    fn name(&self) -> &str {
        SOURCE
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_seconds)
    }

    fn collect<'a>(&'a self, progress: &'a dyn CollectorProgress) -> CollectFuture<'a> {
        Box::pin(self.run(progress))
    }
}

fn problem(message: String) -> InventoryProblem {
    InventoryProblem {
        source: SOURCE.to_string(),
        line: None,
        message,
    }
}

/// `context: call: what` as the source's error; malformed answers keep their own variant.
fn arm_failure(context: &str, err: &ArmError) -> CollectError {
    match err {
        ArmError::Malformed { call, message } => {
            CollectError::Malformed(format!("{context}: {call}: {message}"))
        }
        other => CollectError::Api(format!("{context}: {other}")),
    }
}

/// The HTTP client for ARM and for the credentials' token requests: rustls, the platform's
/// roots plus `ca_file`, bounded connect and request times.
fn http_client(config: &AzureConfig) -> Result<reqwest::Client, CollectError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("aiops/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60));
    if let Some(path) = &config.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            CollectError::Config(format!("collectors.azure.ca_file {}: {e}", path.display()))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            CollectError::Config(format!("collectors.azure.ca_file {}: {e}", path.display()))
        })?;
        builder = builder.tls_certs_merge(certs);
    }
    builder
        .build()
        .map_err(|e| CollectError::Config(format!("cannot build the HTTP client: {e}")))
}
