"""Unit tests of the aiops_sdk helpers (run by .ci/run with pytest)."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiops_sdk import Quantity, QuantityError, RawObjectError, Workload  # noqa: E402


class R:
    def __init__(self, kind, raw):
        self.kind, self.raw = kind, json.dumps(raw)


def test_quantities_compare_exactly():
    assert Quantity.parse("1Gi") == Quantity.parse("1024Mi")
    assert Quantity.parse("500m") == Quantity.parse("0.5")
    assert Quantity.parse(2) == Quantity.parse("2000m")
    assert Quantity.parse("1e3").units() == 1000
    assert Quantity.parse("1.5m").millis() == 2  # rounded up, as Kubernetes does
    assert Quantity.parse("-1").nanos < 0
    assert Quantity.parse("250m") < Quantity.parse("1")
    assert Quantity.parse("1Gi").ratio_to(Quantity.parse("256Mi")) == 4.0
    assert Quantity.parse("1").ratio_to(Quantity.parse("0")) is None


@pytest.mark.parametrize("bad", ["", "lots", "1.2.3", "1Qi", ".", "1e99", True])
def test_bad_quantities_are_refused_with_the_text(bad):
    with pytest.raises(QuantityError) as e:
        Quantity.parse(bad)
    assert "is not a Kubernetes quantity" in str(e.value)


def test_workload_lists_init_containers_first_with_pointers():
    w = Workload.from_resource(R("Deployment", {
        "metadata": {"ownerReferences": [{"kind": "X"}]},
        "spec": {"replicas": 3, "template": {"spec": {
            "initContainers": [{"name": "init"}],
            "containers": [{"name": "app", "resources": {"limits": {"cpu": "1"}}}]}}}}))
    assert [(c.name, c.pointer) for c in w.containers] == [
        ("init", "/spec/template/spec/initContainers/0"),
        ("app", "/spec/template/spec/containers/0"),
    ]
    assert w.containers[1].limits["cpu"] == Quantity.parse("1000m")
    assert w.replicas == 3 and w.is_owned()
    cron = Workload.from_resource(R("CronJob", {"spec": {"jobTemplate": {"spec": {"template": {
        "spec": {"containers": [{"name": "c"}]}}}}}}))
    assert cron.containers[0].pointer == "/spec/jobTemplate/spec/template/spec/containers/0"
    assert Workload.from_resource(R("Service", {})) is None


def test_unreadable_quantities_are_a_raw_object_error():
    with pytest.raises(RawObjectError) as e:
        Workload.from_resource(R("Pod", {"spec": {"containers": [
            {"name": "a", "resources": {"requests": {"cpu": "lots"}}}]}}))
    assert "requests" in str(e.value) and "lots" in str(e.value)
