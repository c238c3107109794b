//! The kinds the collector reads, with their API group, version and plural taken from
//! k8s-openapi's types (so the paths are the ones the API reference documents).

use k8s_openapi::api::{apps, autoscaling, batch, core, policy};
use kube::core::{ApiResource, DynamicObject};

/// One kind to list.
#[derive(Debug, Clone)]
pub struct KindSpec {
    /// Group, version, kind and plural.
    pub resource: ApiResource,
    /// Whether objects live in namespaces (else cluster-scoped).
    pub namespaced: bool,
}

impl KindSpec {
    fn of<K>(namespaced: bool) -> Self
    where
        K: kube::Resource<DynamicType = ()>,
    {
        KindSpec {
            resource: ApiResource::erase::<K>(&()),
            namespaced,
        }
    }

    /// The kind's name (`Deployment`).
    pub fn kind(&self) -> &str {
        &self.resource.kind
    }

    /// The list path, cluster-wide (`/apis/apps/v1/deployments`) or in one namespace
    /// (`/apis/apps/v1/namespaces/shop/deployments`).
    pub fn url_path(&self, namespace: Option<&str>) -> String {
        <DynamicObject as kube::Resource>::url_path(
            &self.resource,
            namespace.filter(|_| self.namespaced),
        )
    }
}

/// Namespaces (listed first: the namespace filter's globs are resolved against them).
pub fn namespace() -> KindSpec {
    KindSpec::of::<core::v1::Namespace>(false)
}

/// The namespaced kinds that become inventory resources, in listing order.
pub fn namespaced() -> Vec<KindSpec> {
    vec![
        KindSpec::of::<apps::v1::Deployment>(true),
        KindSpec::of::<apps::v1::StatefulSet>(true),
        KindSpec::of::<apps::v1::DaemonSet>(true),
        KindSpec::of::<batch::v1::Job>(true),
        KindSpec::of::<batch::v1::CronJob>(true),
        KindSpec::of::<core::v1::Pod>(true),
        KindSpec::of::<core::v1::LimitRange>(true),
        KindSpec::of::<core::v1::ResourceQuota>(true),
        KindSpec::of::<policy::v1::PodDisruptionBudget>(true),
        KindSpec::of::<autoscaling::v2::HorizontalPodAutoscaler>(true),
        // Also read to find which Deployment owns a Pod (for its metrics); one a
        // Deployment owns is judged through it, not on its own.
        KindSpec::of::<apps::v1::ReplicaSet>(true),
        KindSpec::of::<core::v1::ReplicationController>(true),
        KindSpec::of::<core::v1::PodTemplate>(true),
    ]
}

/// `metrics.k8s.io/v1beta1` PodMetrics (served by metrics-server, when installed).
pub fn pod_metrics() -> KindSpec {
    KindSpec {
        resource: ApiResource {
            group: "metrics.k8s.io".into(),
            version: "v1beta1".into(),
            api_version: "metrics.k8s.io/v1beta1".into(),
            kind: "PodMetrics".into(),
            plural: "pods".into(),
        },
        namespaced: true,
    }
}

/// Every kind the collector reads, namespaces and pod metrics included: what its
/// service account must be allowed to `get`, `list` and `watch` (the deployment's
/// ClusterRole is checked against this list).
pub fn all() -> Vec<KindSpec> {
    let mut kinds = vec![namespace()];
    kinds.extend(namespaced());
    kinds.push(pod_metrics());
    kinds
}

/// The `(API group, plural)` pairs of [`all`], sorted and without repeats (`""` is
/// the core group), as RBAC rules name them.
pub fn rbac_resources() -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = all()
        .into_iter()
        .map(|k| (k.resource.group, k.resource.plural))
        .collect();
    pairs.sort();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_the_api_reference_ones() {
        let paths: Vec<String> = namespaced().iter().map(|k| k.url_path(None)).collect();
        assert_eq!(
            paths,
            [
                "/apis/apps/v1/deployments",
                "/apis/apps/v1/statefulsets",
                "/apis/apps/v1/daemonsets",
                "/apis/batch/v1/jobs",
                "/apis/batch/v1/cronjobs",
                "/api/v1/pods",
                "/api/v1/limitranges",
                "/api/v1/resourcequotas",
                "/apis/policy/v1/poddisruptionbudgets",
                "/apis/autoscaling/v2/horizontalpodautoscalers",
                "/apis/apps/v1/replicasets",
                "/api/v1/replicationcontrollers",
                "/api/v1/podtemplates",
            ]
        );
        assert_eq!(
            namespaced()[5].url_path(Some("shop")),
            "/api/v1/namespaces/shop/pods"
        );
        assert_eq!(namespace().url_path(Some("shop")), "/api/v1/namespaces");
        assert_eq!(
            pod_metrics().url_path(Some("shop")),
            "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods"
        );
        assert_eq!(namespaced()[9].resource.api_version, "autoscaling/v2");
    }

    #[test]
    fn rbac_resources_name_groups_and_plurals_once() {
        let pairs = rbac_resources();
        assert_eq!(pairs.len(), all().len());
        assert!(pairs.contains(&("".into(), "namespaces".into())));
        assert!(pairs.contains(&("metrics.k8s.io".into(), "pods".into())));
        assert!(pairs.contains(&("".into(), "pods".into())));
        assert!(pairs.windows(2).all(|w| w[0] < w[1]));
    }
}
