//! The Kubernetes collector: reads workloads, pods, namespaces and their guard rails
//! (LimitRanges, ResourceQuotas, PodDisruptionBudgets, HorizontalPodAutoscalers) from
//! the API server into resources exactly like the manifests collector makes them (ids
//! `k8s/KIND/NS/NAME`, raw = the object), so the same detectors run on live data.
//!
//! The story, one module each:
//! - [`config`]: the `collectors.k8s` section and the namespace filter (names or globs);
//! - [`client`]: kubeconfig or in-cluster service account (kube's `Config::infer`);
//! - [`api`]: one list page through kube's client, with retries on 429/503 honouring
//!   `Retry-After`;
//! - [`kinds`]: what is listed, paths from k8s-openapi's types;
//! - [`list`]: a whole kind page by page (`limit`/`continue`; one restart on 410 Gone);
//! - [`metrics`]: container usage from `metrics.k8s.io` on pods and their workloads,
//!   skipped with one log line when the cluster does not serve it.
//!
//! One kind that fails (forbidden, expired twice, malformed) becomes a problem named
//! `k8s/KIND` and the other kinds go on; an API server that cannot be reached at all
//! fails the source.

pub mod api;
pub mod client;
pub mod config;
pub mod kinds;
pub mod list;
pub mod metrics;

use std::time::Duration;

use futures_util::StreamExt as _;
use serde_json::Value;

pub use config::{K8sConfig, NamespaceFilter};

use self::api::{ApiError, KubeApi};
use self::config::Namespaces;
use self::kinds::KindSpec;
use self::list::{ListError, Lister};
use self::metrics::{Owners, PodUsage};
use aiops_core::{CollectError, CollectFuture, Collector, CollectorProgress};

use crate::LiveCollector;
use aiops_core::{Inventory, InventoryProblem};

/// List calls in flight at once.
const CONCURRENT_LISTS: usize = 4;

/// Reads Kubernetes into inventory.
pub struct K8sCollector {
    config: K8sConfig,
}

impl K8sCollector {
    /// A collector with these settings.
    pub fn new(config: K8sConfig) -> Self {
        K8sCollector { config }
    }
}

impl Collector for K8sCollector {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.config.timeout_seconds)
    }

    fn collect<'a>(&'a self, progress: &'a dyn CollectorProgress) -> CollectFuture<'a> {
        Box::pin(self.run(progress))
    }
}

/// What has been read so far: objects by kind, and what failed.
struct Found {
    server: String,
    objects: Vec<(KindSpec, Vec<Value>)>,
    problems: Vec<InventoryProblem>,
}

impl Found {
    /// Records a kind that could not be listed; an unreachable server ends the source.
    fn fail(&mut self, kind: &str, err: ListError) -> Result<(), CollectError> {
        let message = match &err.error {
            ApiError::Transport(_) => {
                return Err(CollectError::Api(format!("{}: {}", self.server, err.error)));
            }
            ApiError::Status { code: 410, .. } => {
                format!("{} (the list had already been restarted once)", err.error)
            }
            other => other.to_string(),
        };
        self.problem(kind, message);
        Ok(())
    }

    fn problem(&mut self, kind: &str, message: String) {
        self.problems.push(InventoryProblem {
            source: format!("k8s/{kind}"),
            line: None,
            message,
        });
    }

    fn objects_of(&self, kind: &str) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|(spec, _)| spec.kind() == kind)
            .flat_map(|(_, items)| items.iter().cloned())
            .collect()
    }
}

impl LiveCollector for K8sCollector {
    const NAME: &'static str = "k8s";
    type Config = K8sConfig;

    fn validate(config: &K8sConfig) -> Result<(), String> {
        Namespaces::compile(&config.namespaces)?;
        if config.page_size == 0 {
            return Err("collectors.k8s.page_size must be at least 1".into());
        }
        Ok(())
    }

    fn from_config(config: K8sConfig) -> Self {
        K8sCollector::new(config)
    }
}

impl K8sCollector {
    async fn run(&self, progress: &dyn CollectorProgress) -> Result<Inventory, CollectError> {
        <Self as LiveCollector>::validate(&self.config).map_err(CollectError::Config)?;
        let namespaces =
            Namespaces::compile(&self.config.namespaces).map_err(CollectError::Config)?;
        progress.status("connecting");
        let (client, server) = client::connect(&self.config).await?;
        let api = KubeApi::new(client, self.config.retry);
        let lister = Lister {
            api: &api,
            page_size: self.config.page_size,
            namespaces: &namespaces,
            progress: Some(progress),
        };
        let mut found = Found {
            server,
            objects: Vec::new(),
            problems: Vec::new(),
        };

        progress.status("listing Namespaces");
        let namespace_kind = kinds::namespace();
        let known = match lister.list(&namespace_kind, None).await {
            Ok(items) => {
                let names = items
                    .iter()
                    .filter_map(|n| n.pointer("/metadata/name")?.as_str().map(String::from))
                    .collect::<Vec<_>>();
                found.objects.push((namespace_kind, items));
                Some(names)
            }
            Err(err) => {
                found.fail(namespace_kind.kind(), err)?;
                None
            }
        };
        if known.is_none() && namespaces.has_include_globs() {
            found.problem(
                "Namespace",
                "namespaces.include has patterns, which need the namespace list: only the \
                 exact names in it are read"
                    .into(),
            );
        }
        let scopes: Vec<Option<String>> = if namespaces.is_restricted() {
            namespaces
                .targets(known.as_deref())
                .into_iter()
                .map(Some)
                .collect()
        } else {
            vec![None]
        };

        progress.status("listing workloads");
        for (kind, result) in list_all(&lister, kinds::namespaced(), &scopes).await {
            match result {
                Ok(items) => found.objects.push((kind, items)),
                Err(err) => found.fail(kind.kind(), err)?,
            }
        }

        progress.status("reading container usage");
        let usage = self
            .pod_usage(&api, &namespaces, &scopes, &mut found)
            .await?;
        let owners = match &usage {
            Some(_) => Owners::new(&found.objects_of("Pod"), &found.objects_of("ReplicaSet")),
            None => Owners::default(),
        };

        let mut resources = Vec::new();
        let objects = std::mem::take(&mut found.objects);
        for (kind, items) in objects {
            for item in items {
                // A ReplicaSet its Deployment controls is judged through the Deployment.
                if kind.kind() == "ReplicaSet" && has_controller(&item) {
                    continue;
                }
                match aiops_sdk::k8s::resource_from_object(&item) {
                    Ok(resource) => resources.push(resource),
                    Err(err) => found.problem(kind.kind(), format!("an item: {err}")),
                }
            }
        }
        if let Some(usage) = &usage {
            metrics::attach(&mut resources, usage, &owners);
        }
        let mut inventory = Inventory::default();
        for resource in resources {
            inventory.push(resource, None);
        }
        inventory.problems = found.problems;
        Ok(inventory)
    }

    /// PodMetrics of the listed scopes, or `None` when the metrics API is not served
    /// (logged once) or could not be read (a problem).
    async fn pod_usage(
        &self,
        api: &KubeApi,
        namespaces: &Namespaces,
        scopes: &[Option<String>],
        found: &mut Found,
    ) -> Result<Option<Vec<PodUsage>>, CollectError> {
        let lister = Lister {
            api,
            page_size: self.config.page_size,
            namespaces,
            progress: None,
        };
        let kind = kinds::pod_metrics();
        let mut usage = Vec::new();
        for (kind, result) in list_all(&lister, vec![kind], scopes).await {
            match result {
                Ok(items) => {
                    for item in &items {
                        match metrics::parse_pod_metrics(item) {
                            Ok(pod) => usage.push(pod),
                            Err(err) => found.problem(kind.kind(), err),
                        }
                    }
                }
                Err(err) if err.error.code() == Some(404) => {
                    tracing::info!(
                        "k8s: the metrics API ({}) is not served by this cluster; container usage skipped",
                        kind.resource.api_version
                    );
                    return Ok(None);
                }
                Err(err) => {
                    found.fail(kind.kind(), err)?;
                    return Ok(None);
                }
            }
        }
        Ok(Some(usage))
    }
}

/// Whether an object has a controlling owner (`ownerReferences[].controller`).
fn has_controller(object: &Value) -> bool {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|owners| {
            owners
                .iter()
                .any(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        })
}

/// Lists every kind in every scope (`None`: cluster-wide), a few calls at a time,
/// results in the order of `kinds` then `scopes`.
async fn list_all(
    lister: &Lister<'_>,
    kinds: Vec<KindSpec>,
    scopes: &[Option<String>],
) -> Vec<(KindSpec, Result<Vec<Value>, ListError>)> {
    let calls: Vec<_> = kinds
        .iter()
        .flat_map(|kind| {
            scopes
                .iter()
                .map(move |scope| (kind.clone(), scope.clone()))
        })
        .map(|(kind, scope)| {
            Box::pin(async move {
                let result = lister.list(&kind, scope.as_deref()).await;
                (kind, result)
            })
        })
        .collect();
    futures_util::stream::iter(calls)
        .buffered(CONCURRENT_LISTS)
        .collect()
        .await
}
