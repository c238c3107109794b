// The six rules and the checks on one container, as plugins/k8s-resources/src/rules.rs.
import { rule, finding, hint } from "@aiops/sdk";

const R = (id, sev, title, desc) => rule(`k8s.resources.${id}`, sev, title, desc);
export const CPU_REQUEST_MISSING = R("cpu-request-missing", "medium", "CPU request missing",
  "A container without a CPU request is scheduled as if it needed no CPU (or, when it has a CPU limit, as if it needed all of it, because Kubernetes then copies the limit into the request). The scheduler packs such pods onto busy nodes where they starve under contention, and a pod with no requests at all lands in the BestEffort QoS class, the first one evicted. Set an explicit CPU request close to the container's typical usage; the hint proposes the configured default (`default_requests.cpu`).");
export const MEMORY_REQUEST_MISSING = R("memory-request-missing", "medium", "Memory request missing",
  "A container without a memory request reserves no memory on its node (unless it has a memory limit, which Kubernetes then copies into the request). The scheduler can overcommit the node, and such pods are the first ones evicted under memory pressure. Set an explicit memory request close to the container's working set; the hint proposes the configured default (`default_requests.memory`).");
export const CPU_LIMIT_MISSING = R("cpu-limit-missing", "low", "CPU limit missing",
  "A container without a CPU limit may use all idle CPU of its node. That is often acceptable, since CPU is compressible and limits cause throttling, hence the low severity; but a runaway process slows its neighbours, and a ResourceQuota on `limits.cpu` rejects such pods. Set a CPU limit where usage should be bounded; a hint is only proposed when `default_limits.cpu` is configured.");
export const MEMORY_LIMIT_MISSING = R("memory-limit-missing", "medium", "Memory limit missing",
  "A container without a memory limit can grow until its node runs out of memory, and then the kernel's OOM killer or the kubelet's eviction may hit other pods rather than the one that leaks. Set a memory limit a little above the container's peak working set; the hint proposes the configured default (`default_limits.memory`), kept between the request and `max_limit_request_ratio` times it.");
export const LIMIT_BELOW_REQUEST = R("limit-below-request", "high", "Limit below request",
  "Kubernetes requires every limit to be at least the matching request: a CPU or memory limit below its request is an invalid spec that the API server rejects, so the manifest cannot be applied or its controller keeps failing to create pods. Quantities are compared exactly (`1Gi` equals `1024Mi`, `0.5` equals `500m`). One finding per resource name that is wrong; the hint raises the limit to the request.");
export const LIMIT_REQUEST_RATIO = R("limit-request-ratio", "low", "Limit far above request",
  "A CPU or memory limit more than `max_limit_request_ratio` times its request (4 by default; exactly that ratio is fine) lets the container burst far beyond what the scheduler reserved for it. Its node is overcommitted, so under load such containers are throttled, OOM-killed or evicted unpredictably. Zero requests are not judged. The hint lowers the limit to the request times the allowed ratio.");

/** The rules, in the order of the plugin's info. */
export const RULES = [CPU_REQUEST_MISSING, MEMORY_REQUEST_MISSING, CPU_LIMIT_MISSING,
  MEMORY_LIMIT_MISSING, LIMIT_BELOW_REQUEST, LIMIT_REQUEST_RATIO];

const BYTE_SUFFIXES = [["Ei", 1n << 60n], ["Pi", 1n << 50n], ["Ti", 1n << 40n], ["Gi", 1n << 30n],
  ["Mi", 1n << 20n], ["Ki", 1n << 10n], ["E", 10n ** 18n], ["P", 10n ** 15n], ["T", 10n ** 12n],
  ["G", 10n ** 9n], ["M", 10n ** 6n], ["k", 1000n]];

const unit = (cpu) => ({
  count: (q) => (cpu ? q.millis() : q.units()),
  format(n) {
    if (cpu) return n % 1000n === 0n ? String(n / 1000n) : `${n}m`;
    let best = null;
    let bestLen = String(n).length;
    for (const [suffix, size] of BYTE_SUFFIXES) {
      if (n !== 0n && n % size === 0n) {
        const text = `${n / size}${suffix}`;
        if (text.length < bestLen) [best, bestLen] = [text, text.length];
      }
    }
    return best ?? String(n);
  },
  show(q) {
    return this.format(this.count(q));
  },
});

/** `count × factor`, rounded down or up, tolerant of float noise (BigInt in and out). */
export function scale(count, factor, up) {
  const exact = Number(count) * factor;
  return BigInt(up ? Math.ceil(exact - 1e-6) : Math.floor(exact + 1e-6));
}

export const formatRatio = (r) => r.toFixed(2).replace(/0+$/, "").replace(/\.$/, "");

const TRACKED = [["cpu", unit(true), CPU_REQUEST_MISSING, CPU_LIMIT_MISSING],
  ["memory", unit(false), MEMORY_REQUEST_MISSING, MEMORY_LIMIT_MISSING]];

const max = (a, b) => (a > b ? a : b);
const min = (a, b) => (a < b ? a : b);

/** Appends the findings of every rule on one container of `resource` to `out`. */
export function check(cfg, resource, c, out) {
  const where = resource.namespace != null ? `${resource.kind} ${resource.namespace}/${resource.name}` : `${resource.kind} ${resource.name}`;
  const text = `Container \`${c.name}\` of ${where}`;
  const make = (rule, message, evidence, remediation = null) =>
    finding(rule, resource, message, { component: c.name, evidence, remediation });
  const pointer = (field, name) => `${c.pointer}/resources/${field}/${name}`;

  const missing = (name, u, isRequest, rule, otherQ) => {
    const other = otherQ ? u.count(otherQ) : null;
    let message;
    if (isRequest && other !== null) message = `${text} sets no ${name} request, so Kubernetes uses its limit (${u.format(other)}) as the request.`;
    else if (isRequest) message = `${text} sets no ${name} request, so the scheduler reserves nothing for it.`;
    else message = `${text} sets no ${name} limit, so it can take all the free ${name} of its node.`;
    const evidence = [["resource", name]];
    if (other !== null) evidence.push([isRequest ? "limit" : "request", u.format(other)]);
    const def = (isRequest ? cfg.defaultRequests : cfg.defaultLimits).get(name);
    if (!def) return make(rule, message, evidence);
    let reference = other;
    if (other === null && !isRequest) {
      const d = cfg.defaultRequests.get(name);
      reference = d ? u.count(d) : null;
    }
    let proposed = u.count(def);
    if (reference !== null) {
      const [low, high] = isRequest
        ? [scale(reference, 1 / cfg.maxRatio, true), reference]
        : [reference, scale(reference, cfg.maxRatio, false)];
      proposed = min(max(proposed, low), high);
    }
    const p = u.format(proposed);
    const noun = isRequest ? "request" : "limit";
    const summary = `Set the ${name} ${noun} of container \`${c.name}\` to ${p}`;
    return make(rule, message, evidence, hint(summary, pointer(isRequest ? "requests" : "limits", name), null, p));
  };

  for (const [name, u, requestMissing, limitMissing] of TRACKED) {
    const request = c.requests.get(name);
    const limit = c.limits.get(name);
    if (request && limit) {
      if (limit.compare(request) < 0) {
        const [req, lim] = [u.show(request), u.show(limit)];
        out.push(make(LIMIT_BELOW_REQUEST,
          `${text} has a ${name} limit (${lim}) below its request (${req}); Kubernetes rejects such a spec.`,
          [["resource", name], ["request", req], ["limit", lim]],
          hint(`Raise the ${name} limit of container \`${c.name}\` from ${lim} to its request, ${req}`, pointer("limits", name), lim, req)));
      } else {
        const r = limit.ratioTo(request);
        if (r !== null && r > cfg.maxRatio) {
          const rc = u.count(request);
          const proposed = u.format(max(scale(rc, cfg.maxRatio, false), rc));
          const [req, lim] = [u.format(rc), u.show(limit)];
          const [ratio, mx] = [formatRatio(r), formatRatio(cfg.maxRatio)];
          out.push(make(LIMIT_REQUEST_RATIO,
            `${text} has a ${name} limit (${lim}) ${ratio} times its request (${req}), more than the allowed ${mx}.`,
            [["resource", name], ["request", req], ["limit", lim], ["ratio", ratio], ["max_ratio", mx]],
            hint(`Lower the ${name} limit of container \`${c.name}\` from ${lim} to ${proposed}, ${mx} times its request`, pointer("limits", name), lim, proposed)));
        }
      }
    }
    if (!request) out.push(missing(name, u, true, requestMissing, limit));
    if (!limit) out.push(missing(name, u, false, limitMissing, request));
  }
}
