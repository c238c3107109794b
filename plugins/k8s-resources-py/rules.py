"""The six rules and the checks on one container, as plugins/k8s-resources/src/rules.rs."""

import math

from aiops_sdk import Rule, finding, hint

CPU_REQUEST_MISSING = Rule("k8s.resources.cpu-request-missing", "medium", "CPU request missing",
    "A container without a CPU request is scheduled as if it needed no CPU (or, when it has a CPU limit, as if it needed all of it, because Kubernetes then copies the limit into the request). The scheduler packs such pods onto busy nodes where they starve under contention, and a pod with no requests at all lands in the BestEffort QoS class, the first one evicted. Set an explicit CPU request close to the container's typical usage; the hint proposes the configured default (`default_requests.cpu`).")
MEMORY_REQUEST_MISSING = Rule("k8s.resources.memory-request-missing", "medium", "Memory request missing",
    "A container without a memory request reserves no memory on its node (unless it has a memory limit, which Kubernetes then copies into the request). The scheduler can overcommit the node, and such pods are the first ones evicted under memory pressure. Set an explicit memory request close to the container's working set; the hint proposes the configured default (`default_requests.memory`).")
CPU_LIMIT_MISSING = Rule("k8s.resources.cpu-limit-missing", "low", "CPU limit missing",
    "A container without a CPU limit may use all idle CPU of its node. That is often acceptable, since CPU is compressible and limits cause throttling, hence the low severity; but a runaway process slows its neighbours, and a ResourceQuota on `limits.cpu` rejects such pods. Set a CPU limit where usage should be bounded; a hint is only proposed when `default_limits.cpu` is configured.")
MEMORY_LIMIT_MISSING = Rule("k8s.resources.memory-limit-missing", "medium", "Memory limit missing",
    "A container without a memory limit can grow until its node runs out of memory, and then the kernel's OOM killer or the kubelet's eviction may hit other pods rather than the one that leaks. Set a memory limit a little above the container's peak working set; the hint proposes the configured default (`default_limits.memory`), kept between the request and `max_limit_request_ratio` times it.")
LIMIT_BELOW_REQUEST = Rule("k8s.resources.limit-below-request", "high", "Limit below request",
    "Kubernetes requires every limit to be at least the matching request: a CPU or memory limit below its request is an invalid spec that the API server rejects, so the manifest cannot be applied or its controller keeps failing to create pods. Quantities are compared exactly (`1Gi` equals `1024Mi`, `0.5` equals `500m`). One finding per resource name that is wrong; the hint raises the limit to the request.")
LIMIT_REQUEST_RATIO = Rule("k8s.resources.limit-request-ratio", "low", "Limit far above request",
    "A CPU or memory limit more than `max_limit_request_ratio` times its request (4 by default; exactly that ratio is fine) lets the container burst far beyond what the scheduler reserved for it. Its node is overcommitted, so under load such containers are throttled, OOM-killed or evicted unpredictably. Zero requests are not judged. The hint lowers the limit to the request times the allowed ratio.")

#: The rules, in the order of the plugin's info.
RULES = [CPU_REQUEST_MISSING, MEMORY_REQUEST_MISSING, CPU_LIMIT_MISSING, MEMORY_LIMIT_MISSING,
         LIMIT_BELOW_REQUEST, LIMIT_REQUEST_RATIO]

_BYTE_SUFFIXES = [("Ei", 1 << 60), ("Pi", 1 << 50), ("Ti", 1 << 40), ("Gi", 1 << 30),
                  ("Mi", 1 << 20), ("Ki", 1 << 10), ("E", 10**18), ("P", 10**15),
                  ("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)]


class Unit:
    """How amounts of one resource are counted (millicores or bytes) and written."""

    def __init__(self, cpu):
        self.cpu = cpu

    def count(self, q):
        return q.millis() if self.cpu else q.units()

    def format(self, n):
        if self.cpu:
            return str(n // 1000) if n % 1000 == 0 else f"{n}m"
        best, best_len = None, len(str(n))
        for suffix, size in _BYTE_SUFFIXES:
            if n != 0 and n % size == 0:
                value = _trunc_div(n, size)
                length = len(str(value)) + len(suffix)
                if length < best_len:
                    best, best_len = f"{value}{suffix}", length
        return best or str(n)

    def show(self, q):
        return self.format(self.count(q))


def _trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def scale(count, factor, up):
    """`count × factor`, rounded down or up, tolerant of float noise."""
    exact = float(count) * factor
    return math.ceil(exact - 1e-6) if up else math.floor(exact + 1e-6)


def format_ratio(ratio):
    return f"{ratio:.2f}".rstrip("0").rstrip(".")


TRACKED = [("cpu", Unit(True), CPU_REQUEST_MISSING, CPU_LIMIT_MISSING),
           ("memory", Unit(False), MEMORY_REQUEST_MISSING, MEMORY_LIMIT_MISSING)]


def check(types, cfg, resource, container, out):
    """Appends the findings of every rule on one container of `resource` to `out`."""
    where = f"{resource.kind} {resource.namespace}/{resource.name}" if resource.namespace is not None \
        else f"{resource.kind} {resource.name}"
    text = f"Container `{container.name}` of {where}"

    def make(rule, message, evidence, remediation=None):
        return finding(types, rule, resource, message, container.name, evidence, remediation)

    def pointer(field, name):
        return f"{container.pointer}/resources/{field}/{name}"

    for name, unit, request_missing, limit_missing in TRACKED:
        request = container.requests.get(name)
        limit = container.limits.get(name)
        if request is not None and limit is not None:
            if limit < request:
                req, lim = unit.show(request), unit.show(limit)
                out.append(make(
                    LIMIT_BELOW_REQUEST,
                    f"{text} has a {name} limit ({lim}) below its request ({req}); Kubernetes rejects such a spec.",
                    [("resource", name), ("request", req), ("limit", lim)],
                    hint(types, f"Raise the {name} limit of container `{container.name}` from {lim} to its request, {req}",
                         pointer("limits", name), lim, req)))
            else:
                r = limit.ratio_to(request)
                if r is not None and r > cfg.max_ratio:
                    rc = unit.count(request)
                    proposed = unit.format(max(scale(rc, cfg.max_ratio, False), rc))
                    req, lim = unit.format(rc), unit.show(limit)
                    ratio, mx = format_ratio(r), format_ratio(cfg.max_ratio)
                    out.append(make(
                        LIMIT_REQUEST_RATIO,
                        f"{text} has a {name} limit ({lim}) {ratio} times its request ({req}), more than the allowed {mx}.",
                        [("resource", name), ("request", req), ("limit", lim), ("ratio", ratio), ("max_ratio", mx)],
                        hint(types, f"Lower the {name} limit of container `{container.name}` from {lim} to {proposed}, {mx} times its request",
                             pointer("limits", name), lim, proposed)))
        if request is None:
            out.append(_missing(types, cfg, make, pointer, text, container, name, unit, True, request_missing, limit))
        if limit is None:
            out.append(_missing(types, cfg, make, pointer, text, container, name, unit, False, limit_missing, request))


def _missing(types, cfg, make, pointer, text, container, name, unit, is_request, rule, other):
    other = None if other is None else unit.count(other)
    if is_request and other is not None:
        message = f"{text} sets no {name} request, so Kubernetes uses its limit ({unit.format(other)}) as the request."
    elif is_request:
        message = f"{text} sets no {name} request, so the scheduler reserves nothing for it."
    else:
        message = f"{text} sets no {name} limit, so it can take all the free {name} of its node."
    evidence = [("resource", name)]
    if other is not None:
        evidence.append(("limit" if is_request else "request", unit.format(other)))
    defaults = cfg.default_requests if is_request else cfg.default_limits
    default = defaults.get(name)
    if default is None:
        return make(rule, message, evidence)
    reference = other
    if other is None and not is_request:
        d = cfg.default_requests.get(name)
        reference = None if d is None else unit.count(d)
    proposed = unit.count(default)
    if reference is not None:
        if is_request:
            low, high = scale(reference, 1.0 / cfg.max_ratio, True), reference
        else:
            low, high = reference, scale(reference, cfg.max_ratio, False)
        proposed = min(max(proposed, low), high)
    proposed = unit.format(proposed)
    noun = "request" if is_request else "limit"
    field = "requests" if is_request else "limits"
    summary = f"Set the {name} {noun} of container `{container.name}` to {proposed}"
    return make(rule, message, evidence, hint(types, summary, pointer(field, name), None, proposed))
