//! The batch indexed for rules that look across resources: workloads with their pod
//! template labels, PodDisruptionBudgets, HorizontalPodAutoscalers, and which namespaces
//! hold a LimitRange or a ResourceQuota.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use aiops_sdk::k8s::Workload;
use aiops_sdk::{Resource, kinds};
use serde_json::Value;

use crate::selector::LabelSelector;

/// A workload (Deployment, StatefulSet, DaemonSet, Job, CronJob or Pod) of the batch.
pub struct Subject<'a> {
    /// The inventory envelope.
    pub resource: &'a Resource,
    /// Typed view: containers with pointers, requests, limits, probes, ports.
    pub workload: Workload,
    /// The raw object, parsed on first use: only a few findings need a field the typed
    /// view leaves out, and a whole `Value` tree per workload would cost more than every
    /// rule together.
    raw: OnceCell<Value>,
}

impl<'a> Subject<'a> {
    /// A workload of the batch with its typed view.
    pub fn new(resource: &'a Resource, workload: Workload) -> Self {
        Subject {
            resource,
            workload,
            raw: OnceCell::new(),
        }
    }

    /// The raw object (`null` if it does not parse, which the typed view already
    /// ruled out).
    pub fn raw(&self) -> &Value {
        self.raw
            .get_or_init(|| self.resource.object().unwrap_or(Value::Null))
    }

    /// `Deployment shop/web`, for messages.
    pub fn label(&self) -> String {
        let r = self.resource;
        match &r.namespace {
            Some(ns) => [&r.kind, " ", ns, "/", &r.name].concat(),
            None => [&r.kind, " ", &r.name].concat(),
        }
    }

    /// Labels of the pods it creates (its pod template's, or a Pod's own).
    pub fn pod_labels(&self) -> BTreeMap<String, String> {
        let spec = self.workload.pod_spec_pointer;
        let meta = format!(
            "{}/metadata/labels",
            spec.strip_suffix("/spec").unwrap_or("")
        );
        self.raw()
            .pointer(&meta)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// True for an object a controller owns (a Deployment's ReplicaSet, a ReplicaSet's
    /// Pod): rules judge the owner instead.
    pub fn is_owned(&self) -> bool {
        self.workload.metadata.is_owned()
    }

    /// True for Jobs and CronJobs, whose pods run to completion.
    pub fn runs_to_completion(&self) -> bool {
        matches!(self.resource.kind.as_str(), "Job" | "CronJob")
    }
}

/// A PodDisruptionBudget: where it is and which pods it selects (`None`: none).
pub struct Pdb {
    /// Namespace.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// `spec.selector`; absent or `null` selects no pod.
    pub selector: Option<LabelSelector>,
}

/// A HorizontalPodAutoscaler (`autoscaling/v1` or `v2`: the fields read are the same).
pub struct Hpa<'a> {
    /// The inventory envelope.
    pub resource: &'a Resource,
    /// `apiVersion` as written.
    pub api_version: String,
    /// `spec.scaleTargetRef.kind`.
    pub target_kind: String,
    /// `spec.scaleTargetRef.name`.
    pub target_name: String,
    /// `spec.minReplicas`, 1 when unset (the API default).
    pub min_replicas: i64,
    /// Whether `spec.minReplicas` is written in the object.
    pub min_set: bool,
    /// `spec.maxReplicas` (required by the API).
    pub max_replicas: Option<i64>,
}

impl Hpa<'_> {
    /// True when it scales `subject`.
    pub fn targets(&self, subject: &Subject<'_>) -> bool {
        self.resource.namespace == subject.resource.namespace
            && self.target_kind == subject.resource.kind
            && self.target_name == subject.resource.name
    }
}

/// The batch, indexed.
#[derive(Default)]
pub struct Inventory<'a> {
    /// Workloads, in batch order.
    pub workloads: Vec<Subject<'a>>,
    /// PodDisruptionBudgets.
    pub pdbs: Vec<Pdb>,
    /// HorizontalPodAutoscalers.
    pub hpas: Vec<Hpa<'a>>,
    /// Namespace objects.
    pub namespaces: Vec<&'a Resource>,
    /// Namespaces holding at least one LimitRange.
    pub limit_ranges: BTreeSet<String>,
    /// Namespaces holding at least one ResourceQuota.
    pub quotas: BTreeSet<String>,
    /// Indexes into `hpas` by the name of what they scale, in batch order, so looking a
    /// workload up stays cheap on large clusters.
    hpas_by_target_name: HashMap<String, Vec<usize>>,
    /// Number of workloads per namespace.
    workloads_per_namespace: HashMap<&'a str, usize>,
}

/// A resource of the batch that could not be read, and why.
pub struct Unreadable {
    /// Resource id.
    pub resource: String,
    /// What was wrong.
    pub error: String,
}

impl<'a> Inventory<'a> {
    /// Indexes `resources`; unreadable ones are returned apart, so one bad object never
    /// hides the findings of the others.
    pub fn build(resources: &'a [Resource]) -> (Inventory<'a>, Vec<Unreadable>) {
        let mut inv = Inventory::default();
        let mut unreadable = Vec::new();
        for resource in resources {
            if let Err(error) = inv.add(resource) {
                unreadable.push(Unreadable {
                    resource: resource.id.clone(),
                    error,
                });
            }
        }
        for (i, hpa) in inv.hpas.iter().enumerate() {
            inv.hpas_by_target_name
                .entry(hpa.target_name.clone())
                .or_default()
                .push(i);
        }
        for subject in &inv.workloads {
            if let Some(namespace) = subject.resource.namespace.as_deref() {
                *inv.workloads_per_namespace.entry(namespace).or_default() += 1;
            }
        }
        (inv, unreadable)
    }

    fn add(&mut self, resource: &'a Resource) -> Result<(), String> {
        let namespace = || resource.namespace.clone().unwrap_or_default();
        match resource.kind.as_str() {
            kinds::NAMESPACE => self.namespaces.push(resource),
            kinds::LIMIT_RANGE => {
                self.limit_ranges.insert(namespace());
            }
            kinds::RESOURCE_QUOTA => {
                self.quotas.insert(namespace());
            }
            kinds::POD_DISRUPTION_BUDGET => {
                let raw: Value = resource.object().map_err(|e| e.to_string())?;
                let selector = match raw.pointer("/spec/selector") {
                    None | Some(Value::Null) => None,
                    Some(s) => Some(
                        serde_json::from_value(s.clone())
                            .map_err(|e| format!("`spec.selector`: {e}"))?,
                    ),
                };
                self.pdbs.push(Pdb {
                    namespace: resource.namespace.clone(),
                    name: resource.name.clone(),
                    selector,
                });
            }
            kinds::HORIZONTAL_POD_AUTOSCALER => {
                let raw: Value = resource.object().map_err(|e| e.to_string())?;
                let text = |p: &str| raw.pointer(p).and_then(Value::as_str).unwrap_or("");
                let min = raw.pointer("/spec/minReplicas").and_then(Value::as_i64);
                self.hpas.push(Hpa {
                    resource,
                    api_version: text("/apiVersion").to_string(),
                    target_kind: text("/spec/scaleTargetRef/kind").to_string(),
                    target_name: text("/spec/scaleTargetRef/name").to_string(),
                    min_replicas: min.unwrap_or(1),
                    min_set: min.is_some(),
                    max_replicas: raw.pointer("/spec/maxReplicas").and_then(Value::as_i64),
                });
            }
            _ => {
                if let Some(workload) =
                    Workload::from_resource(resource).map_err(|e| e.to_string())?
                {
                    self.workloads.push(Subject::new(resource, workload));
                }
            }
        }
        Ok(())
    }

    /// PodDisruptionBudgets in the subject's namespace whose selector picks its pods.
    pub fn pdbs_for(&self, subject: &Subject<'_>) -> Vec<&Pdb> {
        let labels = subject.pod_labels();
        self.pdbs
            .iter()
            .filter(|p| p.namespace == subject.resource.namespace)
            .filter(|p| p.selector.as_ref().is_some_and(|s| s.matches(&labels)))
            .collect()
    }

    /// The HPA scaling `subject`, if any.
    pub fn hpa_for(&self, subject: &Subject<'_>) -> Option<&Hpa<'a>> {
        self.hpas_by_target_name
            .get(&subject.resource.name)?
            .iter()
            .map(|&i| &self.hpas[i])
            .find(|h| h.targets(subject))
    }

    /// Number of workloads in `namespace`.
    pub fn workloads_in(&self, namespace: &str) -> usize {
        self.workloads_per_namespace
            .get(namespace)
            .copied()
            .unwrap_or(0)
    }
}
