//! Rendering a [`ScanReport`]: a table for people, JSON for scripts, SARIF for code
//! scanning UIs, OpenReports `Report`s for Kubernetes policy tooling. One module per
//! format.

mod json;
mod policyreport;
mod sarif;
mod table;

use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// OpenReports `openreports.io/v1alpha1` `Report`s (one per namespace) and a
    /// `ClusterReport`, as a Kubernetes `List`.
    PolicyReport,
}

impl Format {
    /// Every format, in the order help texts list them.
    pub const ALL: [Format; 4] = [
        Format::Table,
        Format::Json,
        Format::Sarif,
        Format::PolicyReport,
    ];

    /// The name the command line and config spell it with.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::PolicyReport => "policyreport",
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
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.map(Format::name).to_vec();
                format!(
                    "unknown report format `{s}`: expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// What a report needs to know about the scan besides its findings.
#[derive(Debug, Clone, Default)]
pub struct RenderContext {
    /// The directories the scan read manifests from (`--manifests DIR`,
    /// `--source manifests:DIR`): the table shows file locations relative to them.
    pub scanned_dirs: Vec<PathBuf>,
}

impl RenderContext {
    /// `file` relative to the first scanned directory that holds it, else as given.
    pub fn relative_file<'a>(&self, file: &'a Path) -> &'a Path {
        self.scanned_dirs
            .iter()
            .find_map(|dir| file.strip_prefix(dir).ok())
            .filter(|rel| !rel.as_os_str().is_empty())
            .unwrap_or(file)
    }
}

/// Writes `report` in `format`, with no scanned directories known.
pub fn render(report: &ScanReport, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    render_with(report, format, &RenderContext::default(), out)
}

/// Writes `report` in `format`; `context` says which directories were scanned.
pub fn render_with(
    report: &ScanReport,
    format: Format,
    context: &RenderContext,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Table => table::render(report, context, out),
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::PolicyReport => {
            policyreport::render(report, context, std::time::SystemTime::now(), out)
        }
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
        let policy: Format = "policyreport".parse().unwrap();
        assert_eq!(policy, Format::PolicyReport);
        let err = "yaml".parse::<Format>().unwrap_err();
        assert!(err.contains("table, json, sarif, policyreport"), "{err}");
    }

    #[test]
    fn files_are_shown_relative_to_the_scanned_directory_that_holds_them() {
        let context = RenderContext {
            scanned_dirs: vec![PathBuf::from("./other"), PathBuf::from("./repo/k8s")],
        };
        assert_eq!(
            context.relative_file(Path::new("./repo/k8s/base/cart.yaml")),
            Path::new("base/cart.yaml")
        );
        assert_eq!(
            context.relative_file(Path::new("/elsewhere/x.yaml")),
            Path::new("/elsewhere/x.yaml")
        );
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
