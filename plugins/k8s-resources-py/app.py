"""k8s-resources in Python: the same six rules and messages as plugins/k8s-resources."""

import json

from wit_world import exports
from wit_world.imports import config, log, types
from componentize_py_types import Err

from aiops_sdk import WORKLOAD_KINDS, Quantity, RawObjectError, Workload, finding, hint
from rules import RULES, check

SCHEMA = json.dumps({
    "title": "k8s-resources", "type": "object", "additionalProperties": False,
    "properties": {
        "max_limit_request_ratio": {"type": "number", "minimum": 1, "default": 4},
        "default_requests": {"type": "object", "default": {"cpu": "100m", "memory": "128Mi"}},
        "default_limits": {"type": "object", "default": {"memory": "256Mi"}},
        "exclude_namespaces": {"type": "array", "items": {"type": "string"}, "default": ["kube-system"]},
    },
})


class Config:
    """The plugin's settings, read from `config.get()` over the defaults."""

    def __init__(self, text):
        try:
            given = json.loads(text or "{}")
        except ValueError as e:
            raise ValueError(f"invalid plugin config: {e}") from None
        if not isinstance(given, dict):
            raise ValueError("invalid plugin config: expected an object")
        unknown = sorted(set(given) - {"max_limit_request_ratio", "default_requests",
                                       "default_limits", "exclude_namespaces"})
        if unknown:
            raise ValueError(f"invalid plugin config: unknown key `{unknown[0]}`")
        ratio = given.get("max_limit_request_ratio", 4.0)
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or ratio < 1:
            raise ValueError("invalid plugin config: `max_limit_request_ratio`: must be at least 1")
        self.max_ratio = float(ratio)
        self.default_requests = self._merge("default_requests", {"cpu": "100m", "memory": "128Mi"}, given)
        self.default_limits = self._merge("default_limits", {"memory": "256Mi"}, given)
        self.exclude = given.get("exclude_namespaces", ["kube-system"])

    @staticmethod
    def _merge(key, builtin, given):
        merged = {k: Quantity.parse(v) for k, v in builtin.items()}
        for name, value in (given.get(key) or {}).items():
            if value is None:
                merged.pop(name, None)
                continue
            try:
                q = Quantity.parse(value)
            except ValueError as e:
                raise ValueError(f"invalid plugin config: `{key}.{name}`: {e}") from None
            if q.nanos < 0:
                raise ValueError(f"invalid plugin config: `{key}.{name}`: must not be negative")
            merged[name] = q
        return merged


class Detect(exports.Detect):
    def info(self):
        return types.PluginInfo(
            "k8s-resources", "0.1.0",
            "CPU and memory requests and limits of Kubernetes workload containers",
            list(WORKLOAD_KINDS), [r.info(types) for r in RULES], SCHEMA, True,
        )

    def detect(self, resources):
        try:
            cfg = Config(config.get())
        except ValueError as e:
            raise Err(str(e))
        out = []
        for resource in resources:
            if resource.namespace is not None and resource.namespace in cfg.exclude:
                continue
            try:
                workload = Workload.from_resource(resource)
            except RawObjectError as e:
                log.write(log.Level.WARN, "skipping a resource whose raw object cannot be read",
                          [("resource", resource.id), ("error", str(e))])
                continue
            if workload is None or (workload.kind == "ReplicaSet" and workload.is_owned()):
                continue
            for container in workload.containers:
                check(types, cfg, resource, container, out)
        return out
