//! # {{name}}
//!
//! An aiops remediator: applies the replicas hint of
//! `k8s.workloads.single-replica-without-pdb` findings to the YAML manifest that
//! defines the workload, changing only that line. Start here: list the rules you fix
//! in [`FIXES`], edit [`set_spec_field`], and run `aiops plugin test` on the fixtures.

use aiops_sdk::{Context, Finding, Outcome, PluginInfo, Remediator, Resource, SourceFile};

/// The rule ids (or prefixes of them) this remediator fixes.
pub const FIXES: [&str; 1] = ["k8s.workloads.single-replica-without-pdb"];

/// The `{{name}}` remediator.
pub struct {{type}};

impl Remediator for {{type}} {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "{{name}}".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            description: "Sets spec.replicas in Kubernetes YAML manifests".to_string(),
            kinds: vec!["Deployment".to_string()],
            fixes: FIXES.iter().map(|id| id.to_string()).collect(),
            ..Default::default()
        }
    }

    fn remediate(
        _ctx: &Context<'_>,
        finding: Finding,
        target: Resource,
        files: Vec<SourceFile>,
    ) -> Outcome {
        let Some(change) = finding
            .remediation
            .iter()
            .flat_map(|hint| &hint.changes)
            .find(|c| c.path == "/spec/replicas")
        else {
            return Outcome::CannotFix("the finding has no hint for /spec/replicas".into());
        };
        for file in files {
            if let Some(content) = set_spec_field(&file.content, &target, "replicas", &change.proposed)
            {
                return Outcome::Edits(vec![SourceFile {
                    path: file.path,
                    content,
                }]);
            }
        }
        Outcome::CannotFix(format!("no YAML document defines {}", target.id))
    }
}

/// Sets `spec.KEY: VALUE` in the document of `yaml` that defines `target` (a block
/// `spec:` mapping indented by two spaces), replacing the line or adding it under
/// `spec:`; `None` when no document of `yaml` is `target`'s.
pub fn set_spec_field(yaml: &str, target: &Resource, key: &str, value: &str) -> Option<String> {
    let lines: Vec<&str> = yaml.split_inclusive('\n').collect();
    let mut start = 0;
    while start < lines.len() {
        let end = (start + 1..lines.len())
            .find(|&i| lines[i].trim_end() == "---")
            .unwrap_or(lines.len());
        let doc = &lines[start..end];
        let defines = |k: &str, v: &str| {
            doc.iter()
                .any(|l| l.trim_end() == format!("{k}: {v}") || l.trim_end() == format!("  {k}: {v}"))
        };
        if defines("kind", &target.kind) && defines("name", &target.name) {
            let spec = doc.iter().position(|l| l.trim_end() == "spec:")?;
            let field = format!("  {key}:");
            let new_line = format!("  {key}: {value}\n");
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            match doc.iter().position(|l| l.starts_with(&field)) {
                Some(i) => out[start + i] = new_line,
                None => out.insert(start + spec + 1, new_line),
            }
            return Some(out.concat());
        }
        start = end + 1;
    }
    None
}

aiops_sdk::export_remediator!({{type}});
