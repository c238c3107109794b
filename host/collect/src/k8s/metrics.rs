//! Container usage from the metrics API (`metrics.k8s.io/v1beta1` PodMetrics), attached
//! to Pods and to the workload that owns them.
//!
//! The convention detectors read: on each Pod and on its owning workload (Pod →
//! ReplicaSet → Deployment, or Pod → StatefulSet / DaemonSet / Job), per container,
//! `container_cpu_usage` in `cores` and `container_memory_usage` in `bytes`, with
//! `component` = the container's name and `window_seconds` = the PodMetrics window.
//! For a Pod, `avg` = `max` = the sample; for a workload, `avg` is the mean over its
//! pods and `max` the maximum over its pods. `p95` and `points` are not set.

use std::collections::{BTreeMap, HashMap};

use aiops_sdk::k8s::resource_id;
use aiops_sdk::{Metric, Quantity, Resource};
use serde_json::Value;

/// Name of the CPU usage metric (cores).
pub const CPU: &str = "container_cpu_usage";
/// Name of the memory usage metric (bytes).
pub const MEMORY: &str = "container_memory_usage";

/// One PodMetrics item.
#[derive(Debug, Clone, PartialEq)]
pub struct PodUsage {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub name: String,
    /// The window the sample covers, in whole seconds.
    pub window_seconds: u64,
    /// Usage per container, in the order the API gave.
    pub containers: Vec<ContainerUsage>,
}

/// One container's usage.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerUsage {
    /// Container name.
    pub name: String,
    /// CPU in cores (`250m` → 0.25).
    pub cpu_cores: Option<f64>,
    /// Memory in bytes (`120Mi` → 125829120).
    pub memory_bytes: Option<f64>,
}

/// Reads a PodMetrics item; the error says which field is wrong.
pub fn parse_pod_metrics(item: &Value) -> Result<PodUsage, String> {
    let text = |pointer: &str| item.pointer(pointer).and_then(Value::as_str);
    let name = text("/metadata/name").ok_or("no `metadata.name`")?;
    let namespace = text("/metadata/namespace").ok_or("no `metadata.namespace`")?;
    let at = format!("{namespace}/{name}");
    let window = text("/window").ok_or_else(|| format!("{at}: no `window`"))?;
    let window_seconds = parse_go_duration(window)
        .ok_or_else(|| format!("{at}: window `{window}` is not a duration"))?
        .round() as u64;
    let mut containers = Vec::new();
    for container in item
        .get("containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let cname = container
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{at}: a container without `name`"))?;
        let usage = |resource: &str| -> Result<Option<f64>, String> {
            match container.pointer(&format!("/usage/{resource}")) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(q)) => Quantity::parse(q)
                    .map(|q| Some(q.as_f64()))
                    .map_err(|err| format!("{at}: container `{cname}`: {resource}: {err}")),
                Some(other) => Err(format!(
                    "{at}: container `{cname}`: {resource} `{other}` is not a quantity string"
                )),
            }
        };
        containers.push(ContainerUsage {
            name: cname.to_string(),
            cpu_cores: usage("cpu")?,
            memory_bytes: usage("memory")?,
        });
    }
    Ok(PodUsage {
        namespace: namespace.to_string(),
        name: name.to_string(),
        window_seconds,
        containers,
    })
}

/// Parses a Go duration as metrics-server writes it (`30s`, `1m0s`, `10.062s`,
/// `500ms`), in seconds.
pub fn parse_go_duration(text: &str) -> Option<f64> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    if rest == "0" {
        return Some(0.0);
    }
    let mut seconds = 0.0;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (number, tail) = rest.split_at(number_end);
        let value: f64 = number.parse().ok()?;
        let unit_end = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_end);
        let scale = match unit {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        seconds += value * scale;
        rest = tail;
    }
    Some(seconds)
}

/// The controller owning an object (`ownerReferences` entry with `controller: true`,
/// else the first), as (kind, name).
pub fn controller_of(object: &Value) -> Option<(String, String)> {
    let owners = object.pointer("/metadata/ownerReferences")?.as_array()?;
    let owner = owners
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        .or_else(|| owners.first())?;
    Some((
        owner.get("kind")?.as_str()?.to_string(),
        owner.get("name")?.as_str()?.to_string(),
    ))
}

/// Who owns which pod: built from the Pod and ReplicaSet objects.
#[derive(Debug, Default)]
pub struct Owners {
    /// (namespace, pod) → (kind, name) of its controller.
    pods: HashMap<(String, String), (String, String)>,
    /// (namespace, replica set) → (kind, name) of its controller.
    replica_sets: HashMap<(String, String), (String, String)>,
}

impl Owners {
    /// Records the controllers of `pods` and `replica_sets`.
    pub fn new(pods: &[Value], replica_sets: &[Value]) -> Self {
        let index = |objects: &[Value]| {
            objects
                .iter()
                .filter_map(|o| {
                    let ns = o.pointer("/metadata/namespace")?.as_str()?.to_string();
                    let name = o.pointer("/metadata/name")?.as_str()?.to_string();
                    Some(((ns, name), controller_of(o)?))
                })
                .collect()
        };
        Owners {
            pods: index(pods),
            replica_sets: index(replica_sets),
        }
    }

    /// The resource id of the workload owning pod `namespace/name`, if it is one the
    /// inventory holds (Deployment via its ReplicaSet, StatefulSet, DaemonSet, Job).
    pub fn workload_of(&self, namespace: &str, name: &str) -> Option<String> {
        let key = |n: &str| (namespace.to_string(), n.to_string());
        let (kind, owner) = self.pods.get(&key(name))?;
        let (kind, owner) = match kind.as_str() {
            "ReplicaSet" => self.replica_sets.get(&key(owner))?,
            _ => self.pods.get(&key(name))?,
        };
        matches!(
            kind.as_str(),
            "Deployment" | "StatefulSet" | "DaemonSet" | "Job"
        )
        .then(|| resource_id(kind, Some(namespace), owner))
    }
}

/// Adds usage metrics to the Pods in `resources` and to their owning workloads.
pub fn attach(resources: &mut [Resource], usage: &[PodUsage], owners: &Owners) {
    let index: HashMap<String, usize> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    // workload id → container → (window, cpu samples, memory samples)
    let mut workloads: BTreeMap<String, BTreeMap<String, Samples>> = BTreeMap::new();
    for pod in usage {
        let pod_id = resource_id("Pod", Some(&pod.namespace), &pod.name);
        let Some(&at) = index.get(&pod_id) else {
            continue;
        };
        let mut containers: Vec<&ContainerUsage> = pod.containers.iter().collect();
        containers.sort_by(|a, b| a.name.cmp(&b.name));
        for container in &containers {
            let sample = Samples {
                window_seconds: pod.window_seconds,
                cpu: container.cpu_cores.into_iter().collect(),
                memory: container.memory_bytes.into_iter().collect(),
            };
            resources[at]
                .metrics
                .extend(sample.metrics(&container.name));
        }
        let Some(workload) = owners.workload_of(&pod.namespace, &pod.name) else {
            continue;
        };
        if !index.contains_key(&workload) {
            continue;
        }
        let per_container = workloads.entry(workload).or_default();
        for container in containers {
            let samples = per_container
                .entry(container.name.clone())
                .or_insert_with(|| Samples {
                    window_seconds: pod.window_seconds,
                    cpu: Vec::new(),
                    memory: Vec::new(),
                });
            samples.window_seconds = samples.window_seconds.max(pod.window_seconds);
            samples.cpu.extend(container.cpu_cores);
            samples.memory.extend(container.memory_bytes);
        }
    }
    for (workload, containers) in workloads {
        let resource = &mut resources[index[&workload]];
        for (container, samples) in containers {
            resource.metrics.extend(samples.metrics(&container));
        }
    }
}

/// Samples of one container (over one pod, or over a workload's pods).
struct Samples {
    window_seconds: u64,
    cpu: Vec<f64>,
    memory: Vec<f64>,
}

impl Samples {
    fn metrics(&self, container: &str) -> Vec<Metric> {
        [(CPU, "cores", &self.cpu), (MEMORY, "bytes", &self.memory)]
            .into_iter()
            .filter(|(_, _, values)| !values.is_empty())
            .map(|(name, unit, values)| Metric {
                name: name.to_string(),
                unit: unit.to_string(),
                window_seconds: self.window_seconds,
                avg: Some(values.iter().sum::<f64>() / values.len() as f64),
                max: values.iter().copied().reduce(f64::max),
                p95: None,
                points: Vec::new(),
                component: Some(container.to_string()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_durations_as_metrics_server_writes_them() {
        assert_eq!(parse_go_duration("30s"), Some(30.0));
        assert_eq!(parse_go_duration("1m0s"), Some(60.0));
        assert_eq!(parse_go_duration("1h2m3.5s"), Some(3723.5));
        assert_eq!(parse_go_duration("500ms"), Some(0.5));
        assert!((parse_go_duration("10.062s").unwrap() - 10.062).abs() < 1e-9);
        assert_eq!(parse_go_duration("30"), None);
        assert_eq!(parse_go_duration("thirty"), None);
        assert_eq!(parse_go_duration(""), None);
    }

    #[test]
    fn pod_metrics_quantities_parse_exactly() {
        let item = json!({
            "metadata": {"name": "cart-1", "namespace": "shop"},
            "timestamp": "2026-11-25T10:00:00Z", "window": "30s",
            "containers": [
                {"name": "cart", "usage": {"cpu": "250m", "memory": "120Mi"}},
                {"name": "sidecar", "usage": {"cpu": "1234567n", "memory": "1Gi"}}
            ]
        });
        let usage = parse_pod_metrics(&item).unwrap();
        assert_eq!(usage.window_seconds, 30);
        assert_eq!(usage.containers[0].cpu_cores, Some(0.25));
        assert_eq!(usage.containers[0].memory_bytes, Some(125_829_120.0));
        assert_eq!(usage.containers[1].cpu_cores, Some(0.001_234_567));
        let bad = json!({"metadata": {"name": "p", "namespace": "n"}, "window": "30s",
            "containers": [{"name": "c", "usage": {"cpu": "lots"}}]});
        let err = parse_pod_metrics(&bad).unwrap_err();
        assert!(
            err.contains("n/p") && err.contains("`c`") && err.contains("lots"),
            "{err}"
        );
    }

    #[test]
    fn owners_follow_replica_sets_to_deployments() {
        let pod = |name: &str, kind: &str, owner: &str| {
            json!({"metadata": {"name": name, "namespace": "shop", "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": kind, "name": owner, "controller": true}]}})
        };
        let owners = Owners::new(
            &[
                pod("cart-7d9-a", "ReplicaSet", "cart-7d9"),
                pod("db-0", "StatefulSet", "db"),
                pod("orphan-rs-x", "ReplicaSet", "orphan-rs"),
            ],
            &[
                json!({"metadata": {"name": "cart-7d9", "namespace": "shop", "ownerReferences": [
                {"kind": "Deployment", "name": "cart", "controller": true}]}}),
            ],
        );
        assert_eq!(
            owners.workload_of("shop", "cart-7d9-a").as_deref(),
            Some("k8s/Deployment/shop/cart")
        );
        assert_eq!(
            owners.workload_of("shop", "db-0").as_deref(),
            Some("k8s/StatefulSet/shop/db")
        );
        assert_eq!(owners.workload_of("shop", "orphan-rs-x"), None);
        assert_eq!(owners.workload_of("other", "db-0"), None);
    }
}
