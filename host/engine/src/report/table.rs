//! The human-readable table: one line per finding, a summary, then what failed.
//!
//! When any finding's resource came from a file, a `LOCATION` column names it as
//! `file:line`, relative to the scanned directory, so a CI log points at the line.

use std::io::Write;

use aiops_sdk::Severity;

use aiops_core::{ReportedFinding, ScanReport};

use super::RenderContext;

/// Writes the table. Rows are assembled in one reused line buffer (no formatting
/// machinery per cell): at 16k findings this is what `aiops scan` does last, alone.
pub(super) fn render(
    report: &ScanReport,
    context: &RenderContext,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if report.findings.is_empty() {
        writeln!(out, "No findings.")?;
    } else {
        let resources: Vec<String> = report.findings.iter().map(resource_label).collect();
        let locations: Option<Vec<String>> = report
            .findings
            .iter()
            .any(|f| f.location.is_some())
            .then(|| {
                report
                    .findings
                    .iter()
                    .map(|f| location_label(f, context))
                    .collect()
            });
        let location_width = locations
            .iter()
            .flatten()
            .map(|l| width(l))
            .max()
            .unwrap_or(0)
            .max(LOCATION.len());
        let rule_width = report
            .findings
            .iter()
            .map(|f| width(&f.finding.rule))
            .max()
            .unwrap_or(4)
            .max(4);
        let resource_width = resources.iter().map(|r| width(r)).max().unwrap_or(8).max(8);
        let mut line = String::new();
        push_cell(&mut line, "SEVERITY", SEVERITY_WIDTH);
        push_cell(&mut line, "RULE", rule_width);
        push_cell(&mut line, "RESOURCE", resource_width);
        if locations.is_some() {
            push_cell(&mut line, LOCATION, location_width);
        }
        line.push_str("MESSAGE\n");
        out.write_all(line.as_bytes())?;
        for (i, (f, resource)) in report.findings.iter().zip(&resources).enumerate() {
            line.clear();
            push_cell(
                &mut line,
                severity_label(f.finding.severity),
                SEVERITY_WIDTH,
            );
            push_cell(&mut line, &f.finding.rule, rule_width);
            push_cell(&mut line, resource, resource_width);
            if let Some(locations) = &locations {
                push_cell(&mut line, &locations[i], location_width);
            }
            line.push_str(&f.finding.message);
            line.push('\n');
            out.write_all(line.as_bytes())?;
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
    if report.skipped_documents > 0 {
        writeln!(
            out,
            "skipped {} non-Kubernetes documents",
            report.skipped_documents
        )?;
    }
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

/// Header of the location column.
const LOCATION: &str = "LOCATION";

/// Width of the severity column: its longest label, `CRITICAL`.
const SEVERITY_WIDTH: usize = 8;

/// A severity as the table shows it.
fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "INFO",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

/// Width of `text` in characters, as the columns are aligned.
fn width(text: &str) -> usize {
    text.chars().count()
}

/// Appends `text` padded with spaces to `column` characters, then the two spaces
/// between columns.
fn push_cell(line: &mut String, text: &str, column: usize) {
    line.push_str(text);
    let padding = column.saturating_sub(width(text)) + 2;
    line.extend(std::iter::repeat_n(' ', padding));
}

/// `file:line` relative to the scanned directory, or `-` when the resource came from
/// no file (a live API).
fn location_label(f: &ReportedFinding, context: &RenderContext) -> String {
    match &f.location {
        Some(loc) => format!(
            "{}:{}",
            context.relative_file(&loc.file).display(),
            loc.line
        ),
        None => "-".to_string(),
    }
}

fn resource_label(f: &ReportedFinding) -> String {
    let r = &f.resource;
    let mut label = match &r.namespace {
        Some(ns) => [&r.kind, " ", ns, "/", &r.name].concat(),
        None => [&r.kind, " ", &r.name].concat(),
    };
    if let Some(component) = &r.component {
        label.push_str(" [");
        label.push_str(component);
        label.push(']');
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn render_text(report: &ScanReport, context: &RenderContext) -> String {
        let mut out = Vec::new();
        render(report, context, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn table_lists_findings_summary_and_failures() {
        let text = render_text(&super::super::sample::report(), &RenderContext::default());
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
    fn columns_are_padded_by_characters_to_their_widest_cell() {
        let mut report = super::super::sample::report();
        report.findings[0].resource.namespace = Some("bücher".into());
        report.findings[1].finding.severity = Severity::Critical;
        let text = render_text(&report, &RenderContext::default());
        let rows: Vec<&str> = text.lines().take(3).collect();
        let rule_width = report.findings.iter().map(|f| f.finding.rule.len()).max();
        let resources: Vec<String> = report.findings.iter().map(resource_label).collect();
        let resource_width = resources.iter().map(|r| r.chars().count()).max();
        let (rule_width, resource_width) = (rule_width.unwrap(), resource_width.unwrap());
        let locations = ["manifests/cart.yaml:12", "-"];
        let location_width = locations[0].len();
        let mut expected = vec![format!(
            "{:<8}  {:<rule_width$}  {:<resource_width$}  {:<location_width$}  MESSAGE",
            "SEVERITY", "RULE", "RESOURCE", "LOCATION"
        )];
        for ((f, resource), location) in report.findings.iter().zip(&resources).zip(locations) {
            expected.push(format!(
                "{:<8}  {:<rule_width$}  {:<resource_width$}  {:<location_width$}  {}",
                f.finding.severity.as_str().to_uppercase(),
                f.finding.rule,
                resource,
                location,
                f.finding.message
            ));
        }
        assert_eq!(rows, expected);
        assert!(rows[1].contains("bücher/"), "{text}");
        assert!(rows[2].starts_with("CRITICAL  "), "{text}");
    }

    #[test]
    fn empty_report_says_so_and_still_counts_resources() {
        let report = ScanReport {
            resources_scanned: 3,
            ..Default::default()
        };
        let text = render_text(&report, &RenderContext::default());
        assert!(text.starts_with("No findings.\n"), "{text}");
        assert!(
            text.contains(
                "0 findings (0 critical, 0 high, 0 medium, 0 low, 0 info) in 3 resources"
            ),
            "{text}"
        );
        assert!(!text.contains("skipped"), "{text}");
    }

    #[test]
    fn skipped_documents_are_counted_in_the_summary() {
        let report = ScanReport {
            resources_scanned: 3,
            skipped_documents: 4,
            ..Default::default()
        };
        let text = render_text(&report, &RenderContext::default());
        assert!(
            text.contains("in 3 resources\nskipped 4 non-Kubernetes documents\n"),
            "{text}"
        );
    }

    #[test]
    fn resource_without_namespace_or_container_is_kind_and_name() {
        let mut f = super::super::sample::report().findings.remove(0);
        f.resource.namespace = None;
        f.resource.component = None;
        assert_eq!(resource_label(&f), "Deployment cart");
    }

    #[test]
    fn location_is_file_and_line_relative_to_the_scanned_directory() {
        let mut report = super::super::sample::report();
        report.findings[0].location.as_mut().unwrap().file =
            PathBuf::from("/srv/repo/k8s/overlays/prod/cart.yaml");
        let context = RenderContext {
            scanned_dirs: vec![PathBuf::from("/srv/repo/k8s")],
        };
        let text = render_text(&report, &context);
        let header = text.lines().next().unwrap();
        let first = text.lines().nth(1).unwrap();
        let column = header.find("LOCATION").expect("a location column");
        assert!(
            first[column..].starts_with("overlays/prod/cart.yaml:12  "),
            "{text}"
        );
        assert!(!text.contains("/srv/repo"), "{text}");
    }

    #[test]
    fn no_location_column_when_no_resource_came_from_a_file() {
        let mut report = super::super::sample::report();
        report.findings[0].location = None;
        let text = render_text(&report, &RenderContext::default());
        assert!(!text.contains("LOCATION"), "{text}");
        assert!(
            text.contains("Deployment shop/cart [sidecar]  container sidecar has a problem"),
            "the message follows the resource: {text}"
        );
    }
}
