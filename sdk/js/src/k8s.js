// Kubernetes workloads reduced to what resource rules need: metadata and containers.
import { Quantity } from "./quantity.js";

/** Kinds that carry a pod spec, as the Rust SDK's `WORKLOAD_KINDS`. */
export const WORKLOAD_KINDS = [
  "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod",
  "ReplicaSet", "ReplicationController", "PodTemplate",
];

const TEMPLATE = ["spec", "template", "spec"];
const POD_SPEC = {
  Deployment: TEMPLATE, StatefulSet: TEMPLATE, DaemonSet: TEMPLATE, Job: TEMPLATE,
  ReplicaSet: TEMPLATE, ReplicationController: TEMPLATE, PodTemplate: ["template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"], Pod: ["spec"],
};

/** The raw object of a resource cannot be read. */
export class RawObjectError extends Error {}

const isMap = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function quantities(value, where) {
  if (value === undefined || value === null) return new Map();
  if (!isMap(value)) throw new RawObjectError(`${where}: expected a map`);
  const out = new Map();
  for (const [name, q] of Object.entries(value)) {
    try {
      out.set(name, Quantity.parse(q));
    } catch (e) {
      throw new RawObjectError(`${where}: ${e.message}`);
    }
  }
  return out;
}

/** One container (or init container) and its JSON pointer in the raw object. */
export class Container {
  constructor(raw, pointer, init) {
    if (!isMap(raw)) throw new RawObjectError(`${pointer}: expected a map`);
    this.name = raw.name ?? "";
    const resources = raw.resources ?? {};
    if (!isMap(resources)) throw new RawObjectError(`${pointer}/resources: expected a map`);
    this.requests = quantities(resources.requests, "requests");
    this.limits = quantities(resources.limits, "limits");
    this.pointer = pointer;
    this.init = init;
  }
}

/** A workload object: kind, metadata and containers (init containers first). */
export class Workload {
  constructor(kind, metadata, containers, replicas = null) {
    this.kind = kind;
    /** `spec.replicas` when it is an integer, else null. */
    this.replicas = replicas;
    this.metadata = metadata;
    this.containers = containers;
  }

  /** True when another object owns this one (a Deployment's ReplicaSet). */
  isOwned() {
    const owners = this.metadata.ownerReferences;
    return Array.isArray(owners) && owners.length > 0;
  }

  /** Reads a workload from a resource; null when its kind has no pod spec. */
  static fromResource(resource) {
    const path = POD_SPEC[resource.kind];
    if (!path) return null;
    let obj;
    try {
      obj = JSON.parse(resource.raw);
    } catch (e) {
      throw new RawObjectError(`invalid JSON: ${e.message}`);
    }
    if (!isMap(obj)) throw new RawObjectError("not a JSON object");
    let spec = obj;
    for (const key of path) spec = isMap(spec) ? spec[key] : undefined;
    if (!isMap(spec)) spec = {};
    const base = "/" + path.join("/");
    const containers = [];
    for (const [field, init] of [["initContainers", true], ["containers", false]]) {
      (spec[field] ?? []).forEach((raw, i) => containers.push(new Container(raw, `${base}/${field}/${i}`, init)));
    }
    const replicas = isMap(obj.spec) && Number.isInteger(obj.spec.replicas) ? obj.spec.replicas : null;
    return new Workload(resource.kind, isMap(obj.metadata) ? obj.metadata : {}, containers, replicas);
  }
}
