//! Conversions between the host-side WIT bindings and the SDK's model types.

use aiops_sdk::model;

use super::bindings::wit;

/// Converts an inventory resource to its WIT form (strings are cloned once).
pub(crate) fn resource_to_wit(r: &model::Resource) -> wit::Resource {
    wit::Resource {
        id: r.id.clone(),
        kind: r.kind.clone(),
        platform: match r.platform {
            model::Platform::Kubernetes => wit::Platform::Kubernetes,
            model::Platform::Aws => wit::Platform::Aws,
            model::Platform::Azure => wit::Platform::Azure,
            model::Platform::Other => wit::Platform::Other,
        },
        name: r.name.clone(),
        namespace: r.namespace.clone(),
        labels: r.labels.clone(),
        metrics: r
            .metrics
            .iter()
            .map(|m| wit::Metric {
                name: m.name.clone(),
                unit: m.unit.clone(),
                window_seconds: m.window_seconds,
                avg: m.avg,
                max: m.max,
                p95: m.p95,
                points: m.points.clone(),
                component: m.component.clone(),
            })
            .collect(),
        raw: r.raw.clone(),
    }
}

/// Converts a severity from its WIT form.
pub(crate) fn severity_from_wit(s: wit::Severity) -> model::Severity {
    match s {
        wit::Severity::Info => model::Severity::Info,
        wit::Severity::Low => model::Severity::Low,
        wit::Severity::Medium => model::Severity::Medium,
        wit::Severity::High => model::Severity::High,
        wit::Severity::Critical => model::Severity::Critical,
    }
}

/// Converts a severity to its WIT form.
pub(crate) fn severity_to_wit(s: model::Severity) -> wit::Severity {
    match s {
        model::Severity::Info => wit::Severity::Info,
        model::Severity::Low => wit::Severity::Low,
        model::Severity::Medium => wit::Severity::Medium,
        model::Severity::High => wit::Severity::High,
        model::Severity::Critical => wit::Severity::Critical,
    }
}

/// Converts a finding from its WIT form.
pub(crate) fn finding_from_wit(f: wit::Finding) -> model::Finding {
    model::Finding {
        rule: f.rule,
        resource_id: f.resource_id,
        component: f.component,
        severity: severity_from_wit(f.severity),
        title: f.title,
        message: f.message,
        evidence: f.evidence,
        remediation: f.remediation.map(|h| model::RemediationHint {
            summary: h.summary,
            changes: h
                .changes
                .into_iter()
                .map(|c| model::FieldChange {
                    path: c.path,
                    current: c.current,
                    proposed: c.proposed,
                })
                .collect(),
        }),
    }
}

/// Converts a finding to its WIT form (for remediators).
pub(crate) fn finding_to_wit(f: &model::Finding) -> wit::Finding {
    wit::Finding {
        rule: f.rule.clone(),
        resource_id: f.resource_id.clone(),
        component: f.component.clone(),
        severity: severity_to_wit(f.severity),
        title: f.title.clone(),
        message: f.message.clone(),
        evidence: f.evidence.clone(),
        remediation: f.remediation.as_ref().map(|h| wit::RemediationHint {
            summary: h.summary.clone(),
            changes: h
                .changes
                .iter()
                .map(|c| wit::FieldChange {
                    path: c.path.clone(),
                    current: c.current.clone(),
                    proposed: c.proposed.clone(),
                })
                .collect(),
        }),
    }
}

/// Converts plugin info from its WIT form.
pub(crate) fn info_from_wit(i: wit::PluginInfo) -> model::PluginInfo {
    model::PluginInfo {
        name: i.name,
        version: i.version,
        description: i.description,
        kinds: i.kinds,
        rules: i
            .rules
            .into_iter()
            .map(|r| model::RuleInfo {
                id: r.id,
                default_severity: severity_from_wit(r.default_severity),
                title: r.title,
                description: r.description,
            })
            .collect(),
        config_schema: i.config_schema,
        per_resource: i.per_resource,
        fixes: Vec::new(),
    }
}

/// Converts a remediator's info from its WIT form.
pub(crate) fn remediator_info_from_wit(i: wit::RemediatorInfo) -> model::PluginInfo {
    model::PluginInfo {
        name: i.name,
        version: i.version,
        description: i.description,
        kinds: i.kinds,
        rules: Vec::new(),
        fixes: i.fixes,
        config_schema: i.config_schema,
        per_resource: false,
    }
}
