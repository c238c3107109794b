// k8s-resources in JavaScript: the same six rules and messages as plugins/k8s-resources.
import { get } from "aiops:plugin/config@0.1.0";
import { write } from "aiops:plugin/log@0.1.0";
import { WORKLOAD_KINDS, Quantity, RawObjectError, Workload } from "@aiops/sdk";
import { RULES, check } from "./rules.js";

const SCHEMA = JSON.stringify({
  title: "k8s-resources", type: "object", additionalProperties: false,
  properties: {
    max_limit_request_ratio: { type: "number", minimum: 1, default: 4 },
    default_requests: { type: "object", default: { cpu: "100m", memory: "128Mi" } },
    default_limits: { type: "object", default: { memory: "256Mi" } },
    exclude_namespaces: { type: "array", items: { type: "string" }, default: ["kube-system"] },
  },
});
const KEYS = ["max_limit_request_ratio", "default_requests", "default_limits", "exclude_namespaces"];

function merge(key, builtin, given) {
  const merged = new Map(Object.entries(builtin).map(([k, v]) => [k, Quantity.parse(v)]));
  for (const [name, value] of Object.entries(given[key] ?? {})) {
    if (value === null) {
      merged.delete(name);
      continue;
    }
    let q;
    try {
      q = Quantity.parse(value);
    } catch (e) {
      throw `invalid plugin config: \`${key}.${name}\`: ${e.message}`;
    }
    if (q.nanos < 0n) throw `invalid plugin config: \`${key}.${name}\`: must not be negative`;
    merged.set(name, q);
  }
  return merged;
}

function readConfig(text) {
  let given;
  try {
    given = JSON.parse(text || "{}");
  } catch (e) {
    throw `invalid plugin config: ${e.message}`;
  }
  if (given === null || typeof given !== "object" || Array.isArray(given)) throw "invalid plugin config: expected an object";
  const unknown = Object.keys(given).filter((k) => !KEYS.includes(k)).sort();
  if (unknown.length) throw `invalid plugin config: unknown key \`${unknown[0]}\``;
  const ratio = given.max_limit_request_ratio ?? 4;
  if (typeof ratio !== "number" || ratio < 1) throw "invalid plugin config: `max_limit_request_ratio`: must be at least 1";
  return {
    maxRatio: ratio,
    defaultRequests: merge("default_requests", { cpu: "100m", memory: "128Mi" }, given),
    defaultLimits: merge("default_limits", { memory: "256Mi" }, given),
    exclude: given.exclude_namespaces ?? ["kube-system"],
  };
}

export const detect = {
  info() {
    return {
      name: "k8s-resources", version: "0.1.0",
      description: "CPU and memory requests and limits of Kubernetes workload containers",
      kinds: [...WORKLOAD_KINDS], rules: RULES, configSchema: SCHEMA, perResource: true,
    };
  },
  detect(resources) {
    const cfg = readConfig(get());
    const out = [];
    for (const resource of resources) {
      if (resource.namespace != null && cfg.exclude.includes(resource.namespace)) continue;
      let workload;
      try {
        workload = Workload.fromResource(resource);
      } catch (e) {
        if (!(e instanceof RawObjectError)) throw e;
        write("warn", "skipping a resource whose raw object cannot be read", [["resource", resource.id], ["error", e.message]]);
        continue;
      }
      if (!workload || (workload.kind === "ReplicaSet" && workload.isOwned())) continue;
      for (const c of workload.containers) check(cfg, resource, c, out);
    }
    return out;
  },
};
