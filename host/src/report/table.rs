//! The human-readable table: one line per finding, a summary, then what failed.

use std::io::Write;

use aiops_sdk::Severity;

use crate::scan::{ReportedFinding, ScanReport};

/// Writes the table.
pub fn render(report: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    if report.findings.is_empty() {
        writeln!(out, "No findings.")?;
    } else {
        let resources: Vec<String> = report.findings.iter().map(resource_label).collect();
        let rule_width = report
            .findings
            .iter()
            .map(|f| f.finding.rule.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let resource_width = resources.iter().map(String::len).max().unwrap_or(8).max(8);
        writeln!(
            out,
            "{:<8}  {:<rule_width$}  {:<resource_width$}  MESSAGE",
            "SEVERITY", "RULE", "RESOURCE"
        )?;
        for (f, resource) in report.findings.iter().zip(&resources) {
            writeln!(
                out,
                "{:<8}  {:<rule_width$}  {:<resource_width$}  {}",
                f.finding.severity.as_str().to_uppercase(),
                f.finding.rule,
                resource,
                f.finding.message
            )?;
        }
    }
    writeln!(out)?;
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|sev| {
            let n = report
                .findings
                .iter()
                .filter(|f| f.finding.severity == *sev)
                .count();
            format!("{n} {sev}")
        })
        .collect();
    writeln!(
        out,
        "{} findings ({}) in {} resources",
        report.findings.len(),
        counts.join(", "),
        report.resources_scanned
    )?;
    for failure in &report.plugin_failures {
        writeln!(
            out,
            "plugin failed: {}: {}",
            failure.plugin, failure.message
        )?;
    }
    for problem in &report.inventory_problems {
        writeln!(out, "input problem: {problem}")?;
    }
    Ok(())
}

fn resource_label(f: &ReportedFinding) -> String {
    let r = &f.resource;
    let mut label = match &r.namespace {
        Some(ns) => format!("{} {ns}/{}", r.kind, r.name),
        None => format!("{} {}", r.kind, r.name),
    };
    if let Some(container) = &r.container {
        label.push_str(&format!(" [{container}]"));
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lists_findings_summary_and_failures() {
        let mut out = Vec::new();
        render(&super::super::sample::report(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("LOW       k8s.resources.cpu-limit-missing"),
            "{text}"
        );
        assert!(text.contains("Deployment shop/cart [sidecar]"), "{text}");
        assert!(
            text.contains(
                "2 findings (0 critical, 1 high, 0 medium, 1 low, 0 info) in 7 resources"
            ),
            "{text}"
        );
        assert!(
            text.contains("plugin failed: hostile-loop: timed out"),
            "{text}"
        );
        assert!(
            text.contains("input problem: manifests/broken.yaml:3: cannot parse"),
            "{text}"
        );
    }

    #[test]
    fn empty_report_says_so_and_still_counts_resources() {
        let report = ScanReport {
            resources_scanned: 3,
            ..Default::default()
        };
        let mut out = Vec::new();
        render(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("No findings.\n"), "{text}");
        assert!(
            text.contains(
                "0 findings (0 critical, 0 high, 0 medium, 0 low, 0 info) in 3 resources"
            ),
            "{text}"
        );
    }

    #[test]
    fn resource_without_namespace_or_container_is_kind_and_name() {
        let mut f = super::super::sample::report().findings.remove(0);
        f.resource.namespace = None;
        f.resource.container = None;
        assert_eq!(resource_label(&f), "Deployment cart");
    }
}
