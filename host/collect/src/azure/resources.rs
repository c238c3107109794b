//! Listing a subscription: every type of [`kinds::PER_SUBSCRIPTION`] page by page, and the
//! databases of each SQL server. A list that fails (forbidden, throttled past the retries,
//! malformed) is recorded and the other lists go on.

use aiops_sdk::Resource;
use serde::Deserialize;
use serde_json::Value;

use super::client::{ArmClient, ArmError};
use super::convert::to_resource;
use super::kinds::{self, ResourceType};
use aiops_core::CollectorProgress;

/// A resource read from ARM with its full ARM id (for its metrics).
pub struct Listed {
    /// The inventory envelope.
    pub resource: Resource,
    /// The ARM id, e.g. `/subscriptions/…/virtualMachines/web-1`.
    pub arm_id: String,
    /// Its type.
    pub rtype: ResourceType,
}

/// What listing one subscription gave.
#[derive(Default)]
pub struct SubscriptionListing {
    /// The resources.
    pub listed: Vec<Listed>,
    /// Lists that succeeded.
    pub lists_ok: usize,
    /// Lists that failed, and why.
    pub failures: Vec<ArmError>,
    /// Items that could not be converted (no id, no resource group).
    pub bad_items: Vec<String>,
}

/// `GET /subscriptions`: the ids of the enabled subscriptions the identity can see.
pub async fn subscriptions(client: &ArmClient) -> Result<Vec<String>, ArmError> {
    #[derive(Deserialize)]
    struct Subscription {
        #[serde(rename = "subscriptionId")]
        id: String,
        #[serde(default)]
        state: Option<String>,
    }
    let url = client.url(
        "/subscriptions",
        &[("api-version", kinds::SUBSCRIPTIONS_API_VERSION)],
    );
    let mut items = Vec::new();
    client.list(url.clone(), |page| items.extend(page)).await?;
    let mut ids = Vec::new();
    for item in items {
        let sub: Subscription = serde_json::from_value(item).map_err(|e| ArmError::Malformed {
            call: format!("GET {}", url.path()),
            message: e.to_string(),
        })?;
        match sub.state.as_deref() {
            None | Some("Enabled") | Some("PastDue") | Some("Warned") => ids.push(sub.id),
            Some(state) => tracing::info!(subscription = %sub.id, state, "skipping subscription"),
        }
    }
    Ok(ids)
}

/// Lists every resource type in `subscription`.
pub async fn list_subscription(
    client: &ArmClient,
    subscription: &str,
    progress: &dyn CollectorProgress,
) -> SubscriptionListing {
    let mut out = SubscriptionListing::default();
    for rtype in kinds::PER_SUBSCRIPTION {
        progress.status(&format!("listing {} in {subscription}", rtype.arm_type));
        let url = client.url(
            &format!("/subscriptions/{subscription}/providers/{}", rtype.arm_type),
            &[("api-version", rtype.api_version)],
        );
        let before = out.listed.len();
        match list_into(client, url, &rtype, progress, &mut out).await {
            Ok(()) => out.lists_ok += 1,
            Err(err) => {
                out.failures.push(err);
                continue;
            }
        }
        if rtype == kinds::SQL_SERVER {
            let servers: Vec<String> = out.listed[before..]
                .iter()
                .map(|l| l.arm_id.clone())
                .collect();
            for server in servers {
                let url = client.url(
                    &format!("{server}/databases"),
                    &[("api-version", kinds::SQL_DATABASE.api_version)],
                );
                match list_into(client, url, &kinds::SQL_DATABASE, progress, &mut out).await {
                    Ok(()) => out.lists_ok += 1,
                    Err(err) => out.failures.push(err),
                }
            }
        }
    }
    out
}

async fn list_into(
    client: &ArmClient,
    url: url::Url,
    rtype: &ResourceType,
    progress: &dyn CollectorProgress,
    out: &mut SubscriptionListing,
) -> Result<(), ArmError> {
    client
        .list(url, |page| {
            let mut found = 0;
            for item in page {
                match to_resource(rtype, &item) {
                    Ok(resource) => {
                        let arm_id = arm_id(&item);
                        out.listed.push(Listed {
                            resource,
                            arm_id,
                            rtype: *rtype,
                        });
                        found += 1;
                    }
                    Err(err) => out.bad_items.push(err),
                }
            }
            progress.found(rtype.kind, found);
        })
        .await
}

fn arm_id(item: &Value) -> String {
    item.get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
