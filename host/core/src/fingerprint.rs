//! The stable identity of a finding: the same problem on the same resource keeps its
//! fingerprint across runs, restarts and rewordings. Reports print it; the state store
//! and GitOps key on it.

use sha2::{Digest, Sha256};

use crate::finding::ReportedFinding;

/// A stable fingerprint of a finding, hex-encoded: plugin, rule, resource id,
/// component, and the `resource` evidence (which CPU or memory quantity, so two
/// findings of one rule on one container stay apart). It leaves out anything that
/// changes while the problem stays the same (message, numbers, whether a hint exists).
pub fn fingerprint(f: &ReportedFinding) -> String {
    let mut hasher = Sha256::new();
    let quantity = f
        .finding
        .evidence
        .iter()
        .find(|(k, _)| k == "resource")
        .map_or("", |(_, v)| v.as_str());
    for part in [
        f.plugin.as_str(),
        f.finding.rule.as_str(),
        f.resource.id.as_str(),
        f.finding.component.as_deref().unwrap_or(""),
        quantity,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use aiops_sdk::{Finding, RemediationHint, Severity};

    use super::*;
    use crate::finding::ResourceRef;

    fn finding() -> ReportedFinding {
        ReportedFinding {
            plugin: "k8s-resources".into(),
            finding: Finding {
                rule: "k8s.resources.cpu-limit-missing".into(),
                resource_id: "k8s/Deployment/shop/cart".into(),
                severity: Severity::Low,
                title: "CPU limit missing".into(),
                message: "container app has no CPU limit".into(),
                component: Some("app".into()),
                evidence: vec![("resource".into(), "cpu".into())],
                remediation: None,
            },
            resource: ResourceRef {
                id: "k8s/Deployment/shop/cart".into(),
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: "cart".into(),
                component: Some("app".into()),
            },
            location: None,
        }
    }

    #[test]
    fn fingerprint_ignores_wording_and_hints_but_not_container_or_quantity() {
        let base = &finding();
        let mut reworded = base.clone();
        reworded.finding.message = "other words".into();
        reworded.finding.evidence.push(("limit".into(), "2".into()));
        reworded.finding.remediation = Some(RemediationHint {
            summary: "set it".into(),
            changes: Vec::new(),
        });
        assert_eq!(fingerprint(base), fingerprint(&reworded));
        assert_eq!(fingerprint(base).len(), 32);

        let mut other_container = base.clone();
        other_container.finding.component = Some("sidecar".into());
        let mut memory = base.clone();
        memory.finding.evidence = vec![("resource".into(), "memory".into())];
        assert_ne!(fingerprint(base), fingerprint(&other_container));
        assert_ne!(fingerprint(base), fingerprint(&memory));
    }
}
