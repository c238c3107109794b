//! Grouping the findings to fix: one group becomes one branch and one proposal.
//!
//! Findings group by resource (the default), by finding, or by the file the resource
//! is defined in. A group's fingerprint is stable across cycles (it hashes the grouping
//! mode and key only), so its branch name `aiops/<short fingerprint>` stays the same; the
//! change hash covers the proposed file contents, so a later cycle sees when the
//! proposal for a group changed.

use std::collections::BTreeMap;

use aiops_core::ReportedFinding;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How findings are put into groups (`gitops.group_by`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One group per resource (all its findings in one change).
    #[default]
    Resource,
    /// One group per finding.
    Finding,
    /// One group per file defining the resources.
    File,
}

impl GroupBy {
    fn name(self) -> &'static str {
        match self {
            GroupBy::Resource => "resource",
            GroupBy::Finding => "finding",
            GroupBy::File => "file",
        }
    }
}

/// A group of findings to fix together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// What the findings share: a resource id, a finding fingerprint or a file path.
    pub key: String,
    /// Stable fingerprint of the group (hex, 32 characters).
    pub fingerprint: String,
    /// Indexes of the member findings in the list given to [`group`], in order.
    pub members: Vec<usize>,
}

impl Group {
    /// The branch aiops proposes the group's change on: `aiops/<first 12 hex of fingerprint>`.
    pub fn branch(&self) -> String {
        format!("aiops/{}", &self.fingerprint[..12])
    }
}

/// The stable fingerprint of a group of mode `by` with `key`.
pub fn group_fingerprint(by: GroupBy, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(by.name().as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// The key of `finding` under `by`; `None` for grouping by file when the resource was
/// not read from a file (it falls back to its resource).
fn key_of(by: GroupBy, finding: &ReportedFinding) -> String {
    match by {
        GroupBy::Resource => finding.resource.id.clone(),
        GroupBy::Finding => aiops_core::fingerprint(finding),
        GroupBy::File => match &finding.location {
            Some(loc) => loc.file.to_string_lossy().into_owned(),
            None => finding.resource.id.clone(),
        },
    }
}

/// Puts `findings` into groups by `by`, groups sorted by key.
pub fn group(findings: &[ReportedFinding], by: GroupBy) -> Vec<Group> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        groups.entry(key_of(by, f)).or_default().push(i);
    }
    groups
        .into_iter()
        .map(|(key, members)| Group {
            fingerprint: group_fingerprint(by, &key),
            key,
            members,
        })
        .collect()
}

/// The hash of a proposed change: the `(path, new content)` pairs, order-independent
/// (hex, 64 characters). Equal hashes mean the same proposal.
pub fn change_hash<'a>(changes: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut sorted: Vec<(&str, &str)> = changes.into_iter().collect();
    sorted.sort();
    let mut h = Sha256::new();
    for (path, after) in sorted {
        h.update((path.len() as u64).to_le_bytes());
        h.update(path.as_bytes());
        h.update((after.len() as u64).to_le_bytes());
        h.update(after.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use aiops_core::{ResourceRef, SourceLocation};
    use aiops_sdk::{Finding, Severity};

    use super::*;

    fn finding(rule: &str, resource: &str, file: Option<&str>) -> ReportedFinding {
        ReportedFinding {
            plugin: "k8s-resources".into(),
            finding: Finding {
                rule: rule.into(),
                resource_id: resource.into(),
                component: None,
                severity: Severity::Low,
                title: "t".into(),
                message: "m".into(),
                evidence: vec![],
                remediation: None,
            },
            resource: ResourceRef {
                id: resource.into(),
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: resource.into(),
                component: None,
            },
            location: file.map(|f| SourceLocation {
                file: PathBuf::from(f),
                document: 0,
                line: 1,
            }),
        }
    }

    fn sample() -> Vec<ReportedFinding> {
        vec![
            finding("cpu", "web", Some("apps/shop.yaml")),
            finding("mem", "web", Some("apps/shop.yaml")),
            finding("cpu", "api", Some("apps/shop.yaml")),
            finding("cpu", "db", None),
        ]
    }

    #[test]
    fn groups_by_resource_finding_and_file() {
        let f = sample();
        let by_resource = group(&f, GroupBy::Resource);
        let members: Vec<(&str, &[usize])> = by_resource
            .iter()
            .map(|g| (g.key.as_str(), g.members.as_slice()))
            .collect();
        assert_eq!(
            members,
            vec![("api", &[2][..]), ("db", &[3]), ("web", &[0, 1])]
        );
        assert_eq!(group(&f, GroupBy::Finding).len(), 4);
        let by_file = group(&f, GroupBy::File);
        let members: Vec<(&str, &[usize])> = by_file
            .iter()
            .map(|g| (g.key.as_str(), g.members.as_slice()))
            .collect();
        assert_eq!(
            members,
            vec![("apps/shop.yaml", &[0, 1, 2][..]), ("db", &[3])]
        );
    }

    #[test]
    fn group_fingerprint_is_stable_and_names_the_branch() {
        let a = group(&sample(), GroupBy::Resource);
        let mut reordered = sample();
        reordered.reverse();
        let b = group(&reordered, GroupBy::Resource);
        let fp = |g: &[Group]| g.iter().map(|g| g.fingerprint.clone()).collect::<Vec<_>>();
        assert_eq!(fp(&a), fp(&b));
        assert_eq!(
            a[0].fingerprint,
            group_fingerprint(GroupBy::Resource, "api")
        );
        assert_ne!(
            group_fingerprint(GroupBy::Resource, "x"),
            group_fingerprint(GroupBy::File, "x")
        );
        let branch = a[0].branch();
        assert!(
            branch.starts_with("aiops/") && branch.len() == 18,
            "{branch}"
        );
    }

    #[test]
    fn change_hash_sees_content_not_order() {
        let h1 = change_hash([("a.yaml", "x: 1\n"), ("b.yaml", "y: 2\n")]);
        let h2 = change_hash([("b.yaml", "y: 2\n"), ("a.yaml", "x: 1\n")]);
        assert_eq!(h1, h2);
        assert_ne!(
            h1,
            change_hash([("a.yaml", "x: 2\n"), ("b.yaml", "y: 2\n")])
        );
        // Boundaries between path and content are part of the hash.
        assert_ne!(change_hash([("ab", "c")]), change_hash([("a", "bc")]));
    }
}
