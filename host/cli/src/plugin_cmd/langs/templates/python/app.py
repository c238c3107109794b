"""{{name}}: an aiops detector in Python. One example rule, `{{name}}.too-few-replicas`:
a Deployment or StatefulSet running fewer replicas than `min_replicas` (2 by default).
Start here: add rules to RULES, check them in `Detect.detect`, add a fixture manifest
and run `aiops plugin build` then `aiops plugin test target/{{name}}.wasm --fixtures fixtures`."""

import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import config, types

from aiops_sdk import Rule, Workload, finding, hint

TOO_FEW_REPLICAS = Rule(
    "{{name}}.too-few-replicas", "medium", "Too few replicas",
    "A Deployment or StatefulSet with fewer replicas than `min_replicas` (2 by default; an unset "
    "`spec.replicas` counts as 1) stops serving whenever its one pod is rescheduled. Run at least "
    "`min_replicas` replicas; the hint proposes that number.",
)
RULES = [TOO_FEW_REPLICAS]
SCHEMA = json.dumps({"title": "{{name}}", "type": "object", "additionalProperties": False,
                     "properties": {"min_replicas": {"type": "integer", "minimum": 1, "default": 2}}})


def min_replicas(text):
    """`min_replicas` from the plugin's config (2 when unset)."""
    given = json.loads(text or "{}")
    value = given.get("min_replicas", 2)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("invalid plugin config: `min_replicas`: must be an integer of at least 1")
    return value


def judge(resources, minimum):
    """The findings on `resources`: a pure function, unit-tested in test_app.py."""
    out = []
    for resource in resources:
        workload = Workload.from_resource(resource)
        if workload is None:
            continue
        replicas = 1 if workload.replicas is None else workload.replicas
        if replicas >= minimum:
            continue
        message = f"{resource.kind} {resource.name} runs {replicas} replica(s), fewer than {minimum}"
        change = types.FieldChange(
            "/spec/replicas", None if workload.replicas is None else json.dumps(workload.replicas),
            json.dumps(minimum))
        out.append(finding(types, TOO_FEW_REPLICAS, resource, message,
                           evidence=[("replicas", str(replicas)), ("min_replicas", str(minimum))],
                           remediation=types.RemediationHint(f"replicas: {replicas} -> {minimum}", [change])))
    return out


class Detect(exports.Detect):
    def info(self):
        return types.PluginInfo("{{name}}", "0.1.0", "Flags workloads with too few replicas",
                                ["Deployment", "StatefulSet"], [r.info(types) for r in RULES],
                                SCHEMA, True)

    def detect(self, resources):
        try:
            return judge(resources, min_replicas(config.get()))
        except ValueError as e:
            raise Err(str(e))
