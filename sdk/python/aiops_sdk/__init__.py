"""Helpers for aiops detectors written in Python (componentize-py).

The WIT-generated bindings (`wit_world`) come from `componentize-py -d wit -w detector
bindings`; these helpers mirror the Rust SDK's: Kubernetes quantities (`quantity`),
workload views (`k8s`) and finding builders (`findings`).
"""

from .quantity import Quantity, QuantityError
from .k8s import WORKLOAD_KINDS, Workload, Container, RawObjectError
from .findings import Rule, finding, hint

__all__ = [
    "Quantity", "QuantityError", "WORKLOAD_KINDS", "Workload", "Container",
    "RawObjectError", "Rule", "finding", "hint",
]
