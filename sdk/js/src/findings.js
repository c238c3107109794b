// Rules and finding builders, as the Rust SDK's `Finding::new(..).component(..)`.

/** A rule: stable id, default severity (`low`, `high`…), title and description. */
export function rule(id, severity, title, description) {
  return { id, defaultSeverity: severity, title, description };
}

/** A remediation hint changing one field, with string values written as JSON. */
export function hint(summary, path, current, proposed) {
  return {
    summary,
    changes: [{ path, current: current == null ? null : `"${current}"`, proposed: `"${proposed}"` }],
  };
}

/** A finding of `rule` on `resource` with the rule's severity and title. */
export function finding(rule, resource, message, { component = null, evidence = [], remediation = null } = {}) {
  return {
    rule: rule.id, resourceId: resource.id, component, severity: rule.defaultSeverity,
    title: rule.title, message, evidence, remediation,
  };
}
