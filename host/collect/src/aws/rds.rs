//! RDS DB instances of one account and region, read page by page with
//! `DescribeDBInstances` (the SDK paginator follows `Marker`), tags included.
//!
//! Every engine is kept: MySQL and Aurora MySQL are what the built-in detectors judge
//! (they skip other engines with a log line), and other detectors may want the rest.

use aiops_sdk::{Platform, Resource};
use aws_sdk_rds::Client;

use super::client::{CallError, Target};
use super::metrics::{self, Pending};
use super::raw;
use aiops_core::CollectorProgress;

/// The envelope kind of a DB instance.
pub const KIND: &str = aiops_sdk::kinds::AWS_RDS_DB_INSTANCE;

/// Reads every DB instance of the target.
pub async fn collect(
    client: &Client,
    target: &Target,
    progress: &dyn CollectorProgress,
) -> Result<Vec<Pending>, CallError> {
    let prefix = target.id_prefix("rds");
    let mut found = Vec::new();
    let mut pages = client.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CallError::from_sdk("rds:DescribeDBInstances", &e))?;
        let instances = page.db_instances();
        progress.found(KIND, instances.len());
        for db in instances {
            let Some(identifier) = db.db_instance_identifier() else {
                continue;
            };
            let labels = db
                .tag_list()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
                .collect();
            found.push(Pending {
                resource: Resource {
                    id: format!("{prefix}/{identifier}"),
                    kind: KIND.to_string(),
                    platform: Platform::Aws,
                    name: identifier.to_string(),
                    namespace: Some(target.region.clone()),
                    labels,
                    metrics: Vec::new(),
                    raw: raw::db_instance(db).to_string(),
                },
                dimension_value: identifier.to_string(),
                specs: &metrics::RDS,
            });
        }
    }
    Ok(found)
}
