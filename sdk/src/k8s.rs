//! Typed access to Kubernetes objects carried in a resource's raw JSON.
//!
//! Lean serde views of the parts detectors read (pod templates, containers, resource
//! requirements, probes), plus [`resource_from_object`], the one place that turns a
//! Kubernetes object into an inventory envelope — used by the host's collectors and by
//! the test harness alike.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::model::{Platform, RawObjectError, Resource};
use crate::quantity::Quantity;

/// Workload kinds whose objects carry a pod template.
pub const WORKLOAD_KINDS: [&str; 9] = crate::kinds::WORKLOADS;

/// Object metadata.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectMeta {
    /// Name.
    pub name: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Owners (`metadata.ownerReferences`): a controller that manages this object.
    pub owner_references: Vec<OwnerReference>,
}

/// One entry of `metadata.ownerReferences`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OwnerReference {
    /// Kind of the owner (`Deployment`).
    pub kind: String,
    /// Name of the owner.
    pub name: String,
}

impl ObjectMeta {
    /// True when another object owns this one, so rules judge the owner instead (a
    /// Deployment's ReplicaSet, a ReplicaSet's Pod).
    pub fn is_owned(&self) -> bool {
        !self.owner_references.is_empty()
    }
}

/// Requests and limits of a container.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceRequirements {
    /// Requested amounts by resource name (`cpu`, `memory`, ...).
    pub requests: BTreeMap<String, Quantity>,
    /// Limits by resource name.
    pub limits: BTreeMap<String, Quantity>,
}

/// A probe; only whether it is set matters to most rules, so its body stays raw.
pub type Probe = Value;

/// A container (or init container) of a pod spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Container {
    /// Container name.
    pub name: String,
    /// Image reference.
    pub image: Option<String>,
    /// `Always`, `IfNotPresent` or `Never`.
    pub image_pull_policy: Option<String>,
    /// Requests and limits.
    pub resources: ResourceRequirements,
    /// Liveness probe.
    pub liveness_probe: Option<Probe>,
    /// Readiness probe.
    pub readiness_probe: Option<Probe>,
    /// Startup probe.
    pub startup_probe: Option<Probe>,
    /// Ports the container declares.
    pub ports: Vec<ContainerPort>,
    /// `Always` on an init container makes it a native sidecar that keeps running.
    pub restart_policy: Option<String>,
}

impl Container {
    /// The first `containerPort` declared that is an integer, if any.
    pub fn first_port(&self) -> Option<i64> {
        self.ports.iter().find_map(|p| p.container_port)
    }
}

/// A port a container declares.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerPort {
    /// Port name.
    pub name: Option<String>,
    /// The port number; `None` when absent or not an integer (never an error, so one
    /// odd port does not make the whole workload unreadable).
    #[serde(deserialize_with = "lenient_integer")]
    pub container_port: Option<i64>,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: Option<String>,
}

/// An integer field read leniently: anything else reads as `None`.
fn lenient_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Value::deserialize(d)?.as_i64())
}

/// A pod spec (the parts detectors read).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSpec {
    /// Application containers.
    pub containers: Vec<Container>,
    /// Init containers.
    pub init_containers: Vec<Container>,
}

/// Where a container sits in its pod spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerRole {
    /// An application container, at this index of `containers`.
    App(usize),
    /// An init container, at this index of `initContainers`.
    Init(usize),
}

/// A container with its JSON pointer inside the object, for remediation hints.
#[derive(Debug, Clone)]
pub struct ContainerRef<'a> {
    /// The container.
    pub container: &'a Container,
    /// Which list and index it comes from.
    pub role: ContainerRole,
    /// JSON pointer of the container in the raw object.
    pub pointer: String,
}

/// A workload object reduced to what resource rules need: metadata and pod spec.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The object's kind.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// The pod spec (the template's, or the pod's own).
    pub pod_spec: PodSpec,
    /// JSON pointer of the pod spec in the raw object.
    pub pod_spec_pointer: &'static str,
    /// `spec.replicas` for Deployments and StatefulSets.
    pub replicas: Option<i64>,
}

/// JSON pointer of the pod spec for a workload kind.
pub fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicaSet"
        | "ReplicationController" => Some("/spec/template/spec"),
        "PodTemplate" => Some("/template/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        "Pod" => Some("/spec"),
        _ => None,
    }
}

impl Workload {
    /// Reads a workload from a resource; `Ok(None)` when the kind has no pod template.
    ///
    /// The raw JSON is read in one typed pass shaped after the kind (no intermediate
    /// `serde_json::Value` tree; fields outside metadata and the pod spec are skipped),
    /// which is several times faster on large inventories. An absent or `null` pod spec
    /// reads as empty.
    pub fn from_resource(resource: &Resource) -> Result<Option<Workload>, RawObjectError> {
        let Some(pointer) = pod_spec_pointer(&resource.kind) else {
            return Ok(None);
        };
        let (metadata, pod_spec, replicas) = match pointer {
            "/spec" => shape::read::<PodSpec>(resource)?,
            "/spec/jobTemplate/spec/template/spec" => shape::read::<shape::CronJobSpec>(resource)?,
            "/template/spec" => shape::read_pod_template(resource)?,
            _ => shape::read::<shape::TemplateSpec>(resource)?,
        };
        Ok(Some(Workload {
            kind: resource.kind.clone(),
            metadata,
            pod_spec,
            pod_spec_pointer: pointer,
            replicas,
        }))
    }

    /// Every container, init containers first, each with its JSON pointer.
    pub fn containers(&self) -> impl Iterator<Item = ContainerRef<'_>> {
        let init = self
            .pod_spec
            .init_containers
            .iter()
            .enumerate()
            .map(|(i, c)| ContainerRef {
                container: c,
                role: ContainerRole::Init(i),
                pointer: format!("{}/initContainers/{i}", self.pod_spec_pointer),
            });
        let app = self
            .pod_spec
            .containers
            .iter()
            .enumerate()
            .map(|(i, c)| ContainerRef {
                container: c,
                role: ContainerRole::App(i),
                pointer: format!("{}/containers/{i}", self.pod_spec_pointer),
            });
        init.chain(app)
    }
}

/// Typed shapes of workload objects, read in one pass by [`Workload::from_resource`].
mod shape {
    use serde::Deserialize;
    use serde::de::DeserializeOwned;

    use super::{ObjectMeta, PodSpec};
    use crate::model::{RawObjectError, Resource};

    /// A spec shape holding a pod spec somewhere inside it.
    pub(super) trait HoldsPodSpec: DeserializeOwned + Default {
        /// The pod spec and `spec.replicas`.
        fn into_parts(self) -> (PodSpec, Option<i64>);
    }

    /// Any object: metadata and a spec of shape `S`.
    #[derive(Deserialize)]
    #[serde(bound = "S: HoldsPodSpec")]
    struct Object<S> {
        #[serde(default)]
        metadata: Option<ObjectMeta>,
        #[serde(default)]
        spec: Option<S>,
    }

    /// Reads metadata, pod spec and replicas of `resource` through shape `S`.
    pub(super) fn read<S: HoldsPodSpec>(
        resource: &Resource,
    ) -> Result<(ObjectMeta, PodSpec, Option<i64>), RawObjectError> {
        let object: Object<S> = resource.object()?;
        let (pod_spec, replicas) = object.spec.unwrap_or_default().into_parts();
        Ok((object.metadata.unwrap_or_default(), pod_spec, replicas))
    }

    /// A `PodTemplate` object: metadata and a top-level `template`.
    #[derive(Deserialize)]
    struct PodTemplateObject {
        #[serde(default)]
        metadata: Option<ObjectMeta>,
        #[serde(default)]
        template: Option<Template>,
    }

    /// Reads metadata and pod spec of a `PodTemplate` (no replicas).
    pub(super) fn read_pod_template(
        resource: &Resource,
    ) -> Result<(ObjectMeta, PodSpec, Option<i64>), RawObjectError> {
        let object: PodTemplateObject = resource.object()?;
        let pod_spec = object.template.and_then(|t| t.spec).unwrap_or_default();
        Ok((object.metadata.unwrap_or_default(), pod_spec, None))
    }

    /// `spec.replicas` when it is an integer, else `None` (never an error).
    #[derive(Default)]
    struct Replicas(Option<i64>);

    impl<'de> Deserialize<'de> for Replicas {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            super::lenient_integer(d).map(Replicas)
        }
    }

    /// `spec.template.spec`.
    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct Template {
        spec: Option<PodSpec>,
    }

    /// Spec of a Deployment, StatefulSet, DaemonSet, Job, ReplicaSet or ReplicationController.
    #[derive(Default, Deserialize)]
    #[serde(default)]
    pub(super) struct TemplateSpec {
        replicas: Replicas,
        template: Option<Template>,
    }

    impl HoldsPodSpec for TemplateSpec {
        fn into_parts(self) -> (PodSpec, Option<i64>) {
            let pod_spec = self.template.and_then(|t| t.spec).unwrap_or_default();
            (pod_spec, self.replicas.0)
        }
    }

    /// `spec.jobTemplate` of a CronJob.
    #[derive(Default, Deserialize)]
    #[serde(default)]
    struct JobTemplate {
        spec: Option<TemplateSpec>,
    }

    /// Spec of a CronJob.
    #[derive(Default, Deserialize)]
    #[serde(default, rename_all = "camelCase")]
    pub(super) struct CronJobSpec {
        replicas: Replicas,
        job_template: Option<JobTemplate>,
    }

    impl HoldsPodSpec for CronJobSpec {
        fn into_parts(self) -> (PodSpec, Option<i64>) {
            let job = self.job_template.and_then(|j| j.spec).unwrap_or_default();
            (job.into_parts().0, self.replicas.0)
        }
    }

    /// A Pod's spec is the pod spec itself.
    impl HoldsPodSpec for PodSpec {
        fn into_parts(self) -> (PodSpec, Option<i64>) {
            (self, None)
        }
    }
}

/// Stable inventory id of a Kubernetes object: `k8s/KIND/NAMESPACE/NAME` or `k8s/KIND/NAME`.
pub fn resource_id(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("k8s/{kind}/{ns}/{name}"),
        None => format!("k8s/{kind}/{name}"),
    }
}

/// Why a JSON value is not a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    /// The document is not a JSON/YAML mapping.
    #[error("not a mapping")]
    NotAMapping,
    /// `kind` is missing or not a string.
    #[error("missing `kind`")]
    MissingKind,
    /// `metadata.name` is missing (and there is no `generateName`).
    #[error("missing `metadata.name`")]
    MissingName,
}

/// Turns a Kubernetes object into an inventory envelope (raw JSON kept whole).
pub fn resource_from_object(object: &Value) -> Result<Resource, ObjectError> {
    let map = object.as_object().ok_or(ObjectError::NotAMapping)?;
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .ok_or(ObjectError::MissingKind)?;
    let meta = map.get("metadata");
    let name = meta
        .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
        .and_then(Value::as_str)
        .ok_or(ObjectError::MissingName)?;
    let namespace = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str);
    let labels = meta
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .map(|(k, v)| {
                    let v = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Resource {
        id: resource_id(kind, namespace, name),
        kind: kind.to_string(),
        platform: Platform::Kubernetes,
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        labels,
        metrics: Vec::new(),
        // Straight into a buffer: `to_string` (Display) writes through a formatter.
        raw: serde_json::to_string(object).expect("a JSON value always serializes"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cronjob_containers_have_pointers() {
        let obj = json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "nightly", "namespace": "ops", "labels": {"team": "sre"}},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "initContainers": [{"name": "init", "image": "busybox:1"}],
                "containers": [{"name": "run", "image": "app:2", "resources": {"limits": {"cpu": "1"}}}]
            }}}}}
        });
        let r = resource_from_object(&obj).unwrap();
        assert_eq!(r.id, "k8s/CronJob/ops/nightly");
        assert_eq!(r.label("team"), Some("sre"));
        let w = Workload::from_resource(&r).unwrap().unwrap();
        let refs: Vec<_> = w
            .containers()
            .map(|c| (c.container.name.clone(), c.pointer))
            .collect();
        assert_eq!(
            refs,
            vec![
                (
                    "init".to_string(),
                    "/spec/jobTemplate/spec/template/spec/initContainers/0".to_string()
                ),
                (
                    "run".to_string(),
                    "/spec/jobTemplate/spec/template/spec/containers/0".to_string()
                ),
            ]
        );
        assert_eq!(
            w.pod_spec.containers[0].resources.limits["cpu"],
            Quantity::parse("1").unwrap()
        );
    }

    #[test]
    fn non_workload_kinds_are_none_and_bad_objects_error() {
        let r =
            resource_from_object(&json!({"kind": "ConfigMap", "metadata": {"name": "x"}})).unwrap();
        assert!(Workload::from_resource(&r).unwrap().is_none());
        assert_eq!(
            resource_from_object(&json!([1])),
            Err(ObjectError::NotAMapping)
        );
        assert_eq!(
            resource_from_object(&json!({"metadata": {}})),
            Err(ObjectError::MissingKind)
        );
        assert_eq!(
            resource_from_object(&json!({"kind": "Pod"})),
            Err(ObjectError::MissingName)
        );
    }

    /// The straightforward reading through a `Value` tree, the reference for the typed one.
    fn via_value(resource: &Resource) -> Option<Workload> {
        let pointer = pod_spec_pointer(&resource.kind)?;
        let mut object: Value = resource.object().unwrap();
        let pod_spec = match object.pointer_mut(pointer) {
            Some(spec) if !spec.is_null() => PodSpec::deserialize(spec.take()).unwrap(),
            _ => PodSpec::default(),
        };
        let metadata = match object.get_mut("metadata") {
            Some(meta) => ObjectMeta::deserialize(meta.take()).unwrap(),
            None => ObjectMeta::default(),
        };
        let replicas = object.pointer("/spec/replicas").and_then(Value::as_i64);
        Some(Workload {
            kind: resource.kind.clone(),
            metadata,
            pod_spec,
            pod_spec_pointer: pointer,
            replicas,
        })
    }

    #[test]
    fn typed_reading_matches_the_value_reading() {
        let containers = json!({
            "initContainers": [{"name": "init", "image": "busybox:1", "restartPolicy": "Always", "resources": {"requests": {"cpu": 0.1}}}],
            "containers": [{"name": "app", "image": "app:2", "imagePullPolicy": "Always",
                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": 2e9}},
                "readinessProbe": {"httpGet": {"path": "/", "port": 80}}, "env": [{"name": "A"}],
                "ports": [{"name": "odd", "containerPort": "80"}, {"containerPort": 8080, "protocol": "TCP"}]}],
            "volumes": [{"name": "v", "emptyDir": {}}]
        });
        let meta = json!({"name": "w", "namespace": "ns", "labels": {"a": "b"}, "annotations": {"x": "y"}});
        let objects = [
            json!({"kind": "Deployment", "metadata": meta, "spec": {"replicas": 3, "template": {"spec": containers}}}),
            json!({"kind": "StatefulSet", "metadata": meta, "spec": {"replicas": "3", "template": {"spec": containers}}}),
            json!({"kind": "Job", "metadata": meta, "spec": {"template": {"metadata": {}, "spec": containers}}}),
            json!({"kind": "CronJob", "metadata": meta, "spec": {"jobTemplate": {"spec": {"template": {"spec": containers}}}}}),
            json!({"kind": "Pod", "metadata": meta, "spec": containers, "status": {"phase": "Running"}}),
            json!({"kind": "DaemonSet", "metadata": {"name": "empty"}}),
            json!({"kind": "Deployment", "metadata": meta, "spec": {"template": null}}),
            json!({"kind": "CronJob", "metadata": meta, "spec": {"jobTemplate": {"spec": null}}}),
            json!({"kind": "Pod", "metadata": meta, "spec": null}),
        ];
        let first = Workload::from_resource(&resource_from_object(&objects[0]).unwrap())
            .unwrap()
            .unwrap();
        let app = &first.pod_spec.containers[0];
        assert_eq!(
            app.ports[0].container_port, None,
            "a string port reads as none"
        );
        assert_eq!(app.first_port(), Some(8080));
        let init = &first.pod_spec.init_containers[0];
        assert_eq!(init.restart_policy.as_deref(), Some("Always"));
        assert_eq!(init.first_port(), None);
        for object in &objects {
            let r = resource_from_object(object).unwrap();
            let typed = Workload::from_resource(&r).unwrap();
            assert_eq!(
                format!("{typed:?}"),
                format!("{:?}", via_value(&r)),
                "{object}"
            );
        }
    }

    #[test]
    fn bad_quantity_is_an_error_naming_the_resource() {
        let obj = json!({"kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "lots"}}}]}});
        let r = resource_from_object(&obj).unwrap();
        let err = Workload::from_resource(&r).unwrap_err();
        assert!(err.to_string().contains("k8s/Pod/p"), "{err}");
    }
}
