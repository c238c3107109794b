//! The ten rules: stable ids, severities and documentation, and [`Checker`], which runs
//! them over an indexed batch. Each family of rules lives in its own module.

mod availability;
mod containers;
mod namespaces;
mod usage;

use aiops_sdk::rules::RuleTable;
use aiops_sdk::{Finding, RuleInfo};

use crate::config::Config;
use crate::inventory::Inventory;

aiops_sdk::rules! {
    /// The rules, in the order of the plugin's info.
    pub enum Rule {
        /// Rule id: a Deployment or StatefulSet runs one replica and no PodDisruptionBudget selects it.
        SingleReplicaWithoutPdb / SINGLE_REPLICA_WITHOUT_PDB = "k8s.workloads.single-replica-without-pdb" {
            severity: Medium,
            title: "Single replica without a PodDisruptionBudget",
            description: "A Deployment or StatefulSet that runs one replica (`spec.replicas` 1 or unset, or the \
                 `minReplicas` of the HPA scaling it) and whose pods no PodDisruptionBudget of its \
                 namespace selects goes down whenever its node is drained, upgraded or scaled in: \
                 nothing tells the eviction API to wait. Zero replicas (scaled down on purpose) are not \
                 flagged. Run at least two replicas and add a PodDisruptionBudget (`minAvailable: 1`). \
                 For a Deployment without an HPA the hint raises `spec.replicas` to \
                 `proposed_replicas` (2); a StatefulSet gets no hint, because more replicas of a \
                 stateful service change its data topology.",
        },
        /// Rule id: a long-running container has no liveness probe.
        LivenessProbeMissing / LIVENESS_PROBE_MISSING = "k8s.workloads.liveness-probe-missing" {
            severity: Low,
            title: "Liveness probe missing",
            description: "A long-running container (of a Deployment, StatefulSet, DaemonSet or bare Pod) without \
                 a liveness probe is never restarted when it hangs: the kubelet only notices a process \
                 that exits. Jobs and CronJobs are not checked (they run to completion), nor init \
                 containers, which cannot have probes, except native sidecars (init containers with \
                 `restartPolicy: Always`), which are checked like app containers. Pods a controller \
                 owns are judged through their owner. When the container declares a port, the hint \
                 proposes a TCP probe on the first one, which restarts a process that stopped \
                 accepting connections without depending on anything else.",
        },
        /// Rule id: a long-running container has no readiness probe.
        ReadinessProbeMissing / READINESS_PROBE_MISSING = "k8s.workloads.readiness-probe-missing" {
            severity: Medium,
            title: "Readiness probe missing",
            description: "A long-running container without a readiness probe receives Service traffic as soon \
                 as it starts, and keeps receiving it while it is overloaded or cannot reach its \
                 dependencies, so rollouts and restarts turn into failed requests. Same scope as the \
                 liveness rule (no Jobs, CronJobs or plain init containers; owned Pods through their \
                 owner). The hint reuses the handler of the container's liveness probe when it has one, \
                 otherwise a TCP probe on its first declared port; with neither there is no hint.",
        },
        /// Rule id: an image is referenced by `latest` or by no tag.
        ImageTagMutable / IMAGE_TAG_MUTABLE = "k8s.workloads.image-tag-mutable" {
            severity: Medium,
            title: "Mutable image tag",
            description: "An image referenced as `latest` or with no tag (which means `latest`) can change under \
                 a running workload: two pods of one Deployment may run different code, a rollback \
                 brings back nothing, and a node that pulls later gets whatever was pushed last. Every \
                 container is checked, init containers and Jobs included; an image pinned by digest \
                 (`@sha256:...`) is fine whatever its tag. Pin a version tag or a digest; there is no \
                 hint, since only the team knows which version to pin.",
        },
        /// Rule id: a mutable image tag without an explicit `imagePullPolicy`.
        ImagePullPolicyUnset / IMAGE_PULL_POLICY_UNSET = "k8s.workloads.image-pull-policy-unset" {
            severity: Low,
            title: "Image pull policy not set for a mutable tag",
            description: "For an image with a mutable tag (`latest` or none) the kubelet's default pull policy \
                 depends on the tag it sees, and switches to `IfNotPresent` as soon as someone adds a \
                 tag, so nodes quietly keep stale images. When a mutable tag must be used, say what \
                 should happen: the hint sets `imagePullPolicy: Always`, which is what the current \
                 default is and keeps each pod start fetching the tag's current image.",
        },
        /// Rule id: a request far above the observed peak usage.
        RequestAboveUsage / REQUEST_ABOVE_USAGE = "k8s.workloads.request-above-usage" {
            severity: Low,
            title: "Request far above observed usage",
            description: "A CPU or memory request more than `request_usage_ratio` (4) times the container's \
                 peak usage over the collection window reserves capacity nobody uses: the scheduler \
                 keeps nodes for it, and the cluster is larger and costlier than it needs to be. Only \
                 judged when the inventory carries usage metrics (`container_cpu_usage` in cores, \
                 `container_memory_usage` in bytes, per container as the metric's component) on the \
                 workload or on a Pod no controller owns. The hint lowers the request to the peak \
                 times `request_headroom` (1.2), rounded up (CPU to 10m, or 100m from one core; \
                 memory to 8Mi, or 128Mi from 1Gi).",
        },
        /// Rule id: the observed peak usage is near the limit.
        UsageNearLimit / USAGE_NEAR_LIMIT = "k8s.workloads.usage-near-limit" {
            severity: Medium,
            title: "Usage near the limit",
            description: "A container whose peak CPU usage reaches `limit_usage_percent` (90%) of its CPU limit \
                 is being throttled, and one whose peak memory reaches it is close to being OOM-killed. \
                 Only judged when the inventory carries usage metrics (same convention as the \
                 request rule). The hint raises the limit to the peak times `limit_headroom` (1.5), \
                 rounded up like requests; check that the node pool and any ResourceQuota have room.",
        },
        /// Rule id: a namespace with workloads has no LimitRange.
        NamespaceWithoutLimitRange / NAMESPACE_WITHOUT_LIMITRANGE = "k8s.workloads.namespace-without-limitrange" {
            severity: Low,
            title: "Namespace without a LimitRange",
            description: "A namespace with no LimitRange gives containers that omit requests and limits none at \
                 all: they run BestEffort, unbounded, and are the first evicted. A LimitRange supplies \
                 defaults and bounds. Checked for Namespace objects in the inventory that hold at least \
                 one workload (all of them with `include_empty_namespaces`), except the \
                 `exclude_namespaces` (system namespaces by default). A namespace only referenced by \
                 workloads, with no Namespace object in the inventory, is not judged: there is no \
                 resource to attach the finding to. No hint: the fix is a new object.",
        },
        /// Rule id: a namespace with workloads has no ResourceQuota.
        NamespaceWithoutResourceQuota / NAMESPACE_WITHOUT_RESOURCEQUOTA = "k8s.workloads.namespace-without-resourcequota" {
            severity: Low,
            title: "Namespace without a ResourceQuota",
            description: "A namespace with no ResourceQuota can take any share of the cluster: one runaway \
                 Deployment or a mis-set HPA can starve every other team. A quota on `requests.cpu`, \
                 `requests.memory` and object counts bounds it. Same scope as the LimitRange rule; no \
                 hint.",
        },
        /// Rule id: an HPA whose minReplicas equals its maxReplicas.
        HpaMinEqualsMax / HPA_MIN_EQUALS_MAX = "k8s.workloads.hpa-min-equals-max" {
            severity: Low,
            title: "HPA with minReplicas equal to maxReplicas",
            description: "A HorizontalPodAutoscaler (`autoscaling/v1` or `v2`) whose `minReplicas` (1 when \
                 unset) equals its `maxReplicas` can never scale: it pins the replica count and only \
                 adds confusion about who owns `spec.replicas`. Either drop the HPA and set replicas, \
                 or give it room; the hint raises `maxReplicas` to `minReplicas` times \
                 `hpa_max_factor` (2), rounded up.",
        },
    }
}

/// Runs every rule over an indexed batch with one config.
pub struct Checker<'a> {
    config: &'a Config,
    rules: RuleTable<Rule>,
}

impl<'a> Checker<'a> {
    /// A checker for `config`.
    pub fn new(config: &'a Config) -> Self {
        Checker {
            config,
            rules: RuleTable::new(),
        }
    }

    fn rule(&self, rule: Rule) -> &RuleInfo {
        self.rules.get(rule)
    }

    /// Every finding on the batch: per workload, then per HPA, then per namespace.
    pub fn check(&self, inventory: &Inventory<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for subject in &inventory.workloads {
            if self.config.excludes(subject.resource.namespace.as_deref()) || subject.is_owned() {
                continue;
            }
            self.availability(inventory, subject, &mut out);
            self.containers(subject, &mut out);
            self.usage(subject, &mut out);
        }
        for hpa in &inventory.hpas {
            if !self.config.excludes(hpa.resource.namespace.as_deref()) {
                out.extend(self.hpa(hpa));
            }
        }
        for namespace in &inventory.namespaces {
            if !self.config.excludes(Some(&namespace.name)) {
                self.namespace(inventory, namespace, &mut out);
            }
        }
        out
    }
}
