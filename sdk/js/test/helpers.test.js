// Unit tests of the @aiops/sdk helpers (run by .ci/run with `node --test`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Quantity, QuantityError, RawObjectError, Workload, finding, rule } from "../src/index.js";

const res = (kind, raw) => ({ id: `k8s/${kind}/x`, kind, raw: JSON.stringify(raw) });

test("quantities compare exactly", () => {
  assert.equal(Quantity.parse("1Gi").compare(Quantity.parse("1024Mi")), 0);
  assert.equal(Quantity.parse("500m").compare(Quantity.parse("0.5")), 0);
  assert.equal(Quantity.parse(2).millis(), 2000n);
  assert.equal(Quantity.parse("1e3").units(), 1000n);
  assert.equal(Quantity.parse("1.5m").millis(), 2n);
  assert.equal(Quantity.parse("8Ei").units(), 8n << 60n);
  assert.equal(Quantity.parse("1Gi").ratioTo(Quantity.parse("256Mi")), 4);
  assert.equal(Quantity.parse("1").ratioTo(Quantity.parse("0")), null);
});

test("bad quantities are refused with the text", () => {
  for (const bad of ["", "lots", "1.2.3", "1Qi", ".", "1e99", true]) {
    assert.throws(() => Quantity.parse(bad), (e) => e instanceof QuantityError && /is not a Kubernetes quantity/.test(e.message));
  }
});

test("workloads list init containers first with pointers", () => {
  const w = Workload.fromResource(res("Deployment", {
    metadata: { ownerReferences: [{ kind: "X" }] },
    spec: { replicas: 3, template: { spec: { initContainers: [{ name: "init" }], containers: [{ name: "app", resources: { limits: { cpu: "1" } } }] } } },
  }));
  assert.deepEqual(w.containers.map((c) => [c.name, c.pointer]), [
    ["init", "/spec/template/spec/initContainers/0"], ["app", "/spec/template/spec/containers/0"]]);
  assert.equal(w.containers[1].limits.get("cpu").millis(), 1000n);
  assert.equal(w.replicas, 3);
  assert.ok(w.isOwned());
  assert.equal(Workload.fromResource(res("Service", {})), null);
  assert.throws(() => Workload.fromResource(res("Pod", { spec: { containers: [{ name: "a", resources: { requests: { cpu: "lots" } } }] } })), RawObjectError);
});

test("findings take the rule's severity and title", () => {
  const r = rule("x.y", "high", "Y", "why");
  const f = finding(r, { id: "k8s/Pod/a" }, "msg", { component: "c", evidence: [["k", "v"]] });
  assert.deepEqual(f, { rule: "x.y", resourceId: "k8s/Pod/a", component: "c", severity: "high", title: "Y", message: "msg", evidence: [["k", "v"]], remediation: null });
});
