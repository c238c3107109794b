"""Kubernetes workloads reduced to what resource rules need: metadata and containers."""

import json

from .quantity import Quantity, QuantityError

#: Kinds that carry a pod spec, as the Rust SDK's `WORKLOAD_KINDS`.
WORKLOAD_KINDS = [
    "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod",
    "ReplicaSet", "ReplicationController", "PodTemplate",
]

_POD_SPEC = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}


class RawObjectError(ValueError):
    """The raw object of a resource cannot be read."""


def _quantities(value, where):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RawObjectError(f"{where}: expected a map")
    try:
        return {name: Quantity.parse(q) for name, q in value.items()}
    except QuantityError as e:
        raise RawObjectError(f"{where}: {e}") from None


class Container:
    """One container (or init container) and its JSON pointer in the raw object."""

    __slots__ = ("name", "requests", "limits", "pointer", "init")

    def __init__(self, raw, pointer, init):
        if not isinstance(raw, dict):
            raise RawObjectError(f"{pointer}: expected a map")
        self.name = raw.get("name") or ""
        resources = raw.get("resources") or {}
        if not isinstance(resources, dict):
            raise RawObjectError(f"{pointer}/resources: expected a map")
        self.requests = _quantities(resources.get("requests"), "requests")
        self.limits = _quantities(resources.get("limits"), "limits")
        self.pointer = pointer
        self.init = init


class Workload:
    """A workload object: its kind, metadata and containers (init containers first)."""

    def __init__(self, kind, metadata, containers, replicas=None):
        self.kind = kind
        #: `spec.replicas` when it is an integer (Deployments, StatefulSets…), else None.
        self.replicas = replicas
        self.metadata = metadata
        self.containers = containers

    def is_owned(self):
        """True when another object owns this one (a Deployment's ReplicaSet)."""
        return bool(self.metadata.get("ownerReferences"))

    @classmethod
    def from_resource(cls, resource):
        """Reads a workload from a resource; None when its kind has no pod spec."""
        path = _POD_SPEC.get(resource.kind)
        if path is None:
            return None
        try:
            obj = json.loads(resource.raw)
        except ValueError as e:
            raise RawObjectError(f"invalid JSON: {e}") from None
        if not isinstance(obj, dict):
            raise RawObjectError("not a JSON object")
        metadata = obj.get("metadata") or {}
        spec = obj
        for key in path:
            spec = spec.get(key) if isinstance(spec, dict) else None
        spec = spec if isinstance(spec, dict) else {}
        base = "/" + "/".join(path)
        containers = []
        for field, init in (("initContainers", True), ("containers", False)):
            for i, raw in enumerate(spec.get(field) or []):
                containers.append(Container(raw, f"{base}/{field}/{i}", init))
        replicas = obj.get("spec", {}).get("replicas") if isinstance(obj.get("spec"), dict) else None
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            replicas = None
        return cls(resource.kind, metadata, containers, replicas)
