// Helpers for aiops detectors written in JavaScript (componentize-qjs / componentize-js).
export { Quantity, QuantityError } from "./quantity.js";
export { WORKLOAD_KINDS, Workload, Container, RawObjectError } from "./k8s.js";
export { rule, finding, hint } from "./findings.js";
