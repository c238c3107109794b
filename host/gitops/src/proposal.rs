//! What a group's proposal says: the commit title, the body that explains the
//! findings, evidence, change and policy, and the trailers that let a later cycle
//! recognise aiops's own commits.

use aiops_core::ReportedFinding;

use crate::policy::Decision;

/// Trailer naming the group a commit proposes a change for.
pub const GROUP_TRAILER: &str = "Aiops-Group";
/// Trailer with the hash of the proposed change.
pub const CHANGE_TRAILER: &str = "Aiops-Change";
/// Trailer naming one finding the commit fixes (one per finding).
pub const FINGERPRINT_TRAILER: &str = "Aiops-Fingerprint";

/// The text of one proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalText {
    /// One-line title.
    pub title: String,
    /// The explanation (Markdown).
    pub body: String,
}

impl ProposalText {
    /// The commit message: title, body, then the trailers.
    pub fn commit_message(&self, group: &str, change: &str, fingerprints: &[String]) -> String {
        let mut message = format!("{}\n\n{}\n\n", self.title, self.body.trim_end());
        message.push_str(&format!(
            "{GROUP_TRAILER}: {group}\n{CHANGE_TRAILER}: {change}\n"
        ));
        for fp in fingerprints {
            message.push_str(&format!("{FINGERPRINT_TRAILER}: {fp}\n"));
        }
        message
    }
}

/// The value of trailer `key` in a commit message, if present.
pub fn trailer<'a>(message: &'a str, key: &str) -> Option<&'a str> {
    message.lines().rev().find_map(|line| {
        line.strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(": "))
            .map(str::trim)
    })
}

/// The title and body of a proposal fixing `findings` with `diffstat` files, under
/// `decision`.
pub fn describe(
    findings: &[&ReportedFinding],
    files: &[String],
    decision: &Decision,
) -> ProposalText {
    let mut rules: Vec<&str> = findings.iter().map(|f| f.finding.rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let mut resources: Vec<String> = findings
        .iter()
        .map(|f| {
            let r = &f.resource;
            match &r.namespace {
                Some(ns) => format!("{} {ns}/{}", r.kind, r.name),
                None => format!("{} {}", r.kind, r.name),
            }
        })
        .collect();
    resources.sort_unstable();
    resources.dedup();
    let on = if resources.len() == 1 {
        resources[0].clone()
    } else {
        format!("{} resources", resources.len())
    };
    let title = if rules.len() == 1 {
        format!("aiops: fix {} on {on}", rules[0])
    } else {
        format!("aiops: fix {} findings on {on}", findings.len())
    };
    let mut body = String::from("## Findings\n\n");
    for f in findings {
        let r = &f.resource;
        let component = r
            .component
            .as_deref()
            .map(|c| format!(" (`{c}`)"))
            .unwrap_or_default();
        body.push_str(&format!(
            "- **{}** `{}` on `{}`{component}: {}\n",
            f.finding.severity.as_str(),
            f.finding.rule,
            r.id,
            f.finding.message
        ));
        for (key, value) in &f.finding.evidence {
            body.push_str(&format!("  - {key}: `{value}`\n"));
        }
        if let Some(hint) = &f.finding.remediation {
            body.push_str(&format!("  - fix: {}\n", hint.summary));
        }
    }
    body.push_str("\n## Change\n\n");
    for file in files {
        body.push_str(&format!("- `{file}`\n"));
    }
    body.push_str(&format!(
        "\n## Policy\n\n{}: {}\n",
        decision.action,
        decision.reasons.join("; ")
    ));
    ProposalText { title, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_are_read_back() {
        let text = ProposalText {
            title: "t".into(),
            body: "b\n".into(),
        };
        let m = text.commit_message("g1", "c1", &["f1".into(), "f2".into()]);
        assert_eq!(trailer(&m, GROUP_TRAILER), Some("g1"));
        assert_eq!(trailer(&m, CHANGE_TRAILER), Some("c1"));
        assert_eq!(trailer(&m, "Nope"), None);
        assert!(m.starts_with("t\n\nb\n\nAiops-Group: g1\n"));
    }
}
