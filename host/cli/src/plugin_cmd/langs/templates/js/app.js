// {{name}}: an aiops detector in JavaScript. One example rule, `{{name}}.too-few-replicas`:
// a Deployment or StatefulSet running fewer replicas than `min_replicas` (2 by default).
// Start here: add rules to RULES, check them in `judge`, add a fixture manifest and run
// `aiops plugin build` then `aiops plugin test target/{{name}}.wasm --fixtures fixtures`.
import { get } from "aiops:plugin/config@0.1.0";
import { Workload, finding, rule } from "@aiops/sdk";

export const TOO_FEW_REPLICAS = rule("{{name}}.too-few-replicas", "medium", "Too few replicas",
  "A Deployment or StatefulSet with fewer replicas than `min_replicas` (2 by default; an unset " +
  "`spec.replicas` counts as 1) stops serving whenever its one pod is rescheduled. Run at least " +
  "`min_replicas` replicas; the hint proposes that number.");
const RULES = [TOO_FEW_REPLICAS];
const SCHEMA = JSON.stringify({ title: "{{name}}", type: "object", additionalProperties: false,
  properties: { min_replicas: { type: "integer", minimum: 1, default: 2 } } });

/** `min_replicas` from the plugin's config (2 when unset). */
function minReplicas(text) {
  const value = JSON.parse(text || "{}").min_replicas ?? 2;
  if (!Number.isInteger(value) || value < 1) throw "invalid plugin config: `min_replicas`: must be an integer of at least 1";
  return value;
}

/** The findings on `resources`. */
export function judge(resources, minimum) {
  const out = [];
  for (const resource of resources) {
    const workload = Workload.fromResource(resource);
    if (!workload) continue;
    const replicas = workload.replicas ?? 1;
    if (replicas >= minimum) continue;
    out.push(finding(TOO_FEW_REPLICAS, resource,
      `${resource.kind} ${resource.name} runs ${replicas} replica(s), fewer than ${minimum}`, {
        evidence: [["replicas", String(replicas)], ["min_replicas", String(minimum)]],
        remediation: {
          summary: `replicas: ${replicas} -> ${minimum}`,
          changes: [{ path: "/spec/replicas", current: workload.replicas == null ? null : JSON.stringify(workload.replicas), proposed: JSON.stringify(minimum) }],
        },
      }));
  }
  return out;
}

export const detect = {
  info() {
    return { name: "{{name}}", version: "0.1.0", description: "Flags workloads with too few replicas",
      kinds: ["Deployment", "StatefulSet"], rules: RULES, configSchema: SCHEMA, perResource: true };
  },
  detect(resources) {
    return judge(resources, minReplicas(get()));
  },
};
