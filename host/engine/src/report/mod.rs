//! Rendering a [`ScanReport`]: a table for people, JSON for scripts, SARIF for code
//! scanning UIs. One module per format.

mod json;
mod sarif;
mod table;

use std::io::Write;

use aiops_core::ScanReport;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for terminals.
    Table,
    /// A JSON array of findings.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

impl Format {
    /// Every format, in the order help texts list them.
    pub const ALL: [Format; 3] = [Format::Table, Format::Json, Format::Sarif];

    /// The name the command line and config spell it with.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown report format `{s}`: expected table, json or sarif"))
    }
}

/// Writes `report` in `format`.
pub fn render(report: &ScanReport, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Table => table::render(report, out),
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, out),
    }
}

/// Writes `value` as indented JSON and a newline. serde_json writes in many small
/// pieces (indents, quotes, separators), so they go through a buffer of this function's
/// own rather than one dynamic `Write` call each: a fifth of the CPU of
/// `aiops scan --format json` at 16k findings went to those calls.
fn write_pretty_json(out: &mut dyn Write, value: &impl serde::Serialize) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, value)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_parse_for_the_command_line() {
        let parsed: Format = "sarif".parse().unwrap();
        assert_eq!(parsed, Format::Sarif);
        assert_eq!(Format::Json.to_string(), "json");
    }
}

#[cfg(test)]
pub(crate) mod sample {
    //! A small report shared by the format tests.
    use std::path::PathBuf;

    use aiops_sdk::{Finding, RuleInfo, Severity};

    use aiops_core::{InventoryProblem, SourceLocation};
    use aiops_core::{PluginFailure, ReportedFinding, ResourceRef, ScanReport};

    pub(crate) fn report() -> ScanReport {
        let rule = RuleInfo::new(
            "k8s.resources.cpu-limit-missing",
            Severity::Low,
            "CPU limit missing",
            "Explains.",
        );
        let high = RuleInfo::new(
            "k8s.resources.limit-below-request",
            Severity::High,
            "Limit below request",
            "Invalid.",
        );
        let finding = |rule: &RuleInfo, container: &str| Finding {
            rule: rule.id.clone(),
            resource_id: "k8s/Deployment/shop/cart".into(),
            component: Some(container.into()),
            severity: rule.default_severity,
            title: rule.title.clone(),
            message: format!("container {container} has a problem"),
            evidence: vec![("resource".into(), "cpu".into())],
            remediation: None,
        };
        let resource = |container: &str| ResourceRef {
            id: "k8s/Deployment/shop/cart".into(),
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "cart".into(),
            component: Some(container.into()),
        };
        ScanReport {
            findings: vec![
                ReportedFinding {
                    plugin: "k8s-resources".into(),
                    finding: finding(&rule, "app"),
                    resource: resource("app"),
                    location: Some(SourceLocation {
                        file: PathBuf::from("manifests/cart.yaml"),
                        document: 1,
                        line: 12,
                    }),
                },
                ReportedFinding {
                    plugin: "k8s-resources".into(),
                    finding: finding(&high, "sidecar"),
                    resource: resource("sidecar"),
                    location: None,
                },
            ],
            plugin_failures: vec![PluginFailure {
                plugin: "hostile-loop".into(),
                message: "timed out after 500 ms (CPU deadline)".into(),
            }],
            inventory_problems: vec![InventoryProblem {
                source: "manifests/broken.yaml".into(),
                line: Some(3),
                message: "cannot parse document 0".into(),
            }],
            rules: vec![
                ("k8s-resources".into(), rule),
                ("k8s-resources".into(), high),
            ],
            resources_scanned: 7,
            skipped_documents: 0,
        }
    }
}
