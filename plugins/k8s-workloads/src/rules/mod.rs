//! The ten rules: stable ids, severities and documentation, and [`Checker`], which runs
//! them over an indexed batch. Each family of rules lives in its own module.

mod availability;
mod containers;
mod namespaces;
mod usage;

use aiops_sdk::{Finding, RuleInfo, Severity};

use crate::config::Config;
use crate::inventory::Inventory;

/// Rule id: a Deployment or StatefulSet runs one replica and no PodDisruptionBudget selects it.
pub const SINGLE_REPLICA_WITHOUT_PDB: &str = "k8s.workloads.single-replica-without-pdb";
/// Rule id: a long-running container has no liveness probe.
pub const LIVENESS_PROBE_MISSING: &str = "k8s.workloads.liveness-probe-missing";
/// Rule id: a long-running container has no readiness probe.
pub const READINESS_PROBE_MISSING: &str = "k8s.workloads.readiness-probe-missing";
/// Rule id: an image is referenced by `latest` or by no tag.
pub const IMAGE_TAG_MUTABLE: &str = "k8s.workloads.image-tag-mutable";
/// Rule id: a mutable image tag without an explicit `imagePullPolicy`.
pub const IMAGE_PULL_POLICY_UNSET: &str = "k8s.workloads.image-pull-policy-unset";
/// Rule id: a request far above the observed peak usage.
pub const REQUEST_ABOVE_USAGE: &str = "k8s.workloads.request-above-usage";
/// Rule id: the observed peak usage is near the limit.
pub const USAGE_NEAR_LIMIT: &str = "k8s.workloads.usage-near-limit";
/// Rule id: a namespace with workloads has no LimitRange.
pub const NAMESPACE_WITHOUT_LIMITRANGE: &str = "k8s.workloads.namespace-without-limitrange";
/// Rule id: a namespace with workloads has no ResourceQuota.
pub const NAMESPACE_WITHOUT_RESOURCEQUOTA: &str = "k8s.workloads.namespace-without-resourcequota";
/// Rule id: an HPA whose minReplicas equals its maxReplicas.
pub const HPA_MIN_EQUALS_MAX: &str = "k8s.workloads.hpa-min-equals-max";

/// The rules, indexing [`RULES`].
#[derive(Debug, Clone, Copy)]
enum Rule {
    SingleReplicaWithoutPdb,
    LivenessProbeMissing,
    ReadinessProbeMissing,
    ImageTagMutable,
    ImagePullPolicyUnset,
    RequestAboveUsage,
    UsageNearLimit,
    NamespaceWithoutLimitRange,
    NamespaceWithoutResourceQuota,
    HpaMinEqualsMax,
}

/// Id, severity, title and description of every rule, in [`Rule`] order.
const RULES: [(&str, Severity, &str, &str); 10] = [
    (
        SINGLE_REPLICA_WITHOUT_PDB,
        Severity::Medium,
        "Single replica without a PodDisruptionBudget",
        "A Deployment or StatefulSet that runs one replica (`spec.replicas` 1 or unset, or the \
         `minReplicas` of the HPA scaling it) and whose pods no PodDisruptionBudget of its \
         namespace selects goes down whenever its node is drained, upgraded or scaled in: \
         nothing tells the eviction API to wait. Zero replicas (scaled down on purpose) are not \
         flagged. Run at least two replicas and add a PodDisruptionBudget (`minAvailable: 1`). \
         For a Deployment without an HPA the hint raises `spec.replicas` to \
         `proposed_replicas` (2); a StatefulSet gets no hint, because more replicas of a \
         stateful service change its data topology.",
    ),
    (
        LIVENESS_PROBE_MISSING,
        Severity::Low,
        "Liveness probe missing",
        "A long-running container (of a Deployment, StatefulSet, DaemonSet or bare Pod) without \
         a liveness probe is never restarted when it hangs: the kubelet only notices a process \
         that exits. Jobs and CronJobs are not checked (they run to completion), nor init \
         containers, which cannot have probes, except native sidecars (init containers with \
         `restartPolicy: Always`), which are checked like app containers. Pods a controller \
         owns are judged through their owner. When the container declares a port, the hint \
         proposes a TCP probe on the first one, which restarts a process that stopped \
         accepting connections without depending on anything else.",
    ),
    (
        READINESS_PROBE_MISSING,
        Severity::Medium,
        "Readiness probe missing",
        "A long-running container without a readiness probe receives Service traffic as soon \
         as it starts, and keeps receiving it while it is overloaded or cannot reach its \
         dependencies, so rollouts and restarts turn into failed requests. Same scope as the \
         liveness rule (no Jobs, CronJobs or plain init containers; owned Pods through their \
         owner). The hint reuses the handler of the container's liveness probe when it has one, \
         otherwise a TCP probe on its first declared port; with neither there is no hint.",
    ),
    (
        IMAGE_TAG_MUTABLE,
        Severity::Medium,
        "Mutable image tag",
        "An image referenced as `latest` or with no tag (which means `latest`) can change under \
         a running workload: two pods of one Deployment may run different code, a rollback \
         brings back nothing, and a node that pulls later gets whatever was pushed last. Every \
         container is checked, init containers and Jobs included; an image pinned by digest \
         (`@sha256:...`) is fine whatever its tag. Pin a version tag or a digest; there is no \
         hint, since only the team knows which version to pin.",
    ),
    (
        IMAGE_PULL_POLICY_UNSET,
        Severity::Low,
        "Image pull policy not set for a mutable tag",
        "For an image with a mutable tag (`latest` or none) the kubelet's default pull policy \
         depends on the tag it sees, and switches to `IfNotPresent` as soon as someone adds a \
         tag, so nodes quietly keep stale images. When a mutable tag must be used, say what \
         should happen: the hint sets `imagePullPolicy: Always`, which is what the current \
         default is and keeps each pod start fetching the tag's current image.",
    ),
    (
        REQUEST_ABOVE_USAGE,
        Severity::Low,
        "Request far above observed usage",
        "A CPU or memory request more than `request_usage_ratio` (4) times the container's \
         peak usage over the collection window reserves capacity nobody uses: the scheduler \
         keeps nodes for it, and the cluster is larger and costlier than it needs to be. Only \
         judged when the inventory carries usage metrics (`container_cpu_usage` in cores, \
         `container_memory_usage` in bytes, per container as the metric's component) on the \
         workload or on a Pod no controller owns. The hint lowers the request to the peak \
         times `request_headroom` (1.2), rounded up (CPU to 10m, or 100m from one core; \
         memory to 8Mi, or 128Mi from 1Gi).",
    ),
    (
        USAGE_NEAR_LIMIT,
        Severity::Medium,
        "Usage near the limit",
        "A container whose peak CPU usage reaches `limit_usage_percent` (90%) of its CPU limit \
         is being throttled, and one whose peak memory reaches it is close to being OOM-killed. \
         Only judged when the inventory carries usage metrics (same convention as the \
         request rule). The hint raises the limit to the peak times `limit_headroom` (1.5), \
         rounded up like requests; check that the node pool and any ResourceQuota have room.",
    ),
    (
        NAMESPACE_WITHOUT_LIMITRANGE,
        Severity::Low,
        "Namespace without a LimitRange",
        "A namespace with no LimitRange gives containers that omit requests and limits none at \
         all: they run BestEffort, unbounded, and are the first evicted. A LimitRange supplies \
         defaults and bounds. Checked for Namespace objects in the inventory that hold at least \
         one workload (all of them with `include_empty_namespaces`), except the \
         `exclude_namespaces` (system namespaces by default). A namespace only referenced by \
         workloads, with no Namespace object in the inventory, is not judged: there is no \
         resource to attach the finding to. No hint: the fix is a new object.",
    ),
    (
        NAMESPACE_WITHOUT_RESOURCEQUOTA,
        Severity::Low,
        "Namespace without a ResourceQuota",
        "A namespace with no ResourceQuota can take any share of the cluster: one runaway \
         Deployment or a mis-set HPA can starve every other team. A quota on `requests.cpu`, \
         `requests.memory` and object counts bounds it. Same scope as the LimitRange rule; no \
         hint.",
    ),
    (
        HPA_MIN_EQUALS_MAX,
        Severity::Low,
        "HPA with minReplicas equal to maxReplicas",
        "A HorizontalPodAutoscaler (`autoscaling/v1` or `v2`) whose `minReplicas` (1 when \
         unset) equals its `maxReplicas` can never scale: it pins the replica count and only \
         adds confusion about who owns `spec.replicas`. Either drop the HPA and set replicas, \
         or give it room; the hint raises `maxReplicas` to `minReplicas` times \
         `hpa_max_factor` (2), rounded up.",
    ),
];

/// Documentation of every rule, for the plugin's info.
pub fn rule_infos() -> Vec<RuleInfo> {
    RULES
        .iter()
        .map(|&(id, severity, title, description)| RuleInfo::new(id, severity, title, description))
        .collect()
}

/// Runs every rule over an indexed batch with one config.
pub struct Checker<'a> {
    config: &'a Config,
    rules: Vec<RuleInfo>,
}

impl<'a> Checker<'a> {
    /// A checker for `config`.
    pub fn new(config: &'a Config) -> Self {
        Checker {
            config,
            rules: rule_infos(),
        }
    }

    fn rule(&self, rule: Rule) -> &RuleInfo {
        &self.rules[rule as usize]
    }

    /// Every finding on the batch: per workload, then per HPA, then per namespace.
    pub fn check(&self, inventory: &Inventory<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for subject in &inventory.workloads {
            if self.config.excludes(subject.resource.namespace.as_deref()) || subject.is_owned_pod()
            {
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
