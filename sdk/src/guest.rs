//! Guest bindings: the WIT contract compiled with wit-bindgen, conversions to the
//! [`crate::model`] types, and the glue behind [`crate::export_detector!`] and
//! [`crate::export_remediator!`]. Plugin authors never touch this module directly.

#![allow(missing_docs)]

/// Bindings of the `detector` world (and of the shared `types`, `log`, `config`).
pub mod detector {
    wit_bindgen::generate!({
        path: "../wit",
        world: "aiops:plugin/detector@0.1.0",
        pub_export_macro: true,
        export_macro_name: "export_detector_world",
        default_bindings_module: "aiops_sdk::guest::detector",
        generate_all,
    });
}

/// Bindings of the `remediator` world, reusing the detector world's shared types.
pub mod remediator {
    wit_bindgen::generate!({
        path: "../wit",
        world: "aiops:plugin/remediator@0.1.0",
        pub_export_macro: true,
        export_macro_name: "export_remediator_world",
        default_bindings_module: "aiops_sdk::guest::remediator",
        with: {
            "aiops:plugin/types@0.1.0": super::detector::aiops::plugin::types,
            "aiops:plugin/log@0.1.0": super::detector::aiops::plugin::log,
            "aiops:plugin/config@0.1.0": super::detector::aiops::plugin::config,
        },
    });
}

use crate::model;
use crate::plugin::{Context, Detector, LogLevel, LogSink, Remediator};
use detector::aiops::plugin::{config as wit_config, log as wit_log, types as wit};

/// Log sink that forwards to the host's `log` import.
struct HostLog;

impl LogSink for HostLog {
    fn write(&self, level: LogLevel, message: &str, fields: &[(&str, &str)]) {
        let level = match level {
            LogLevel::Trace => wit_log::Level::Trace,
            LogLevel::Debug => wit_log::Level::Debug,
            LogLevel::Info => wit_log::Level::Info,
            LogLevel::Warn => wit_log::Level::Warn,
            LogLevel::Error => wit_log::Level::Error,
        };
        let fields: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        wit_log::write(level, message, &fields);
    }
}

/// Sends a panic's message to the host's log at error level before the trap ends the
/// call (the host adds it to the call's error). A pure component's std has nowhere
/// else to print it; a WASI one would print it to a stderr the host only logs.
fn report_panics_to_host() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|panic| {
            wit_log::write(wit_log::Level::Error, &panic.to_string(), &[]);
        }))
    });
}

fn with_host_context<R>(f: impl FnOnce(&Context<'_>) -> R) -> R {
    report_panics_to_host();
    let sink = HostLog;
    let ctx = Context::new(wit_config::get(), &sink);
    f(&ctx)
}

/// Runs a [`Detector`] behind the `detect` export.
pub fn detect<D: Detector>(resources: Vec<wit::Resource>) -> Result<Vec<wit::Finding>, String> {
    crate::set_guest_frees(true);
    let resources = resources.into_iter().map(resource_from_wit).collect();
    let findings = with_host_context(|ctx| D::detect(ctx, resources));
    let result = findings.map(|f| f.into_iter().map(finding_to_wit).collect());
    // The instance is dropped after this call: freeing the result is wasted work.
    crate::set_guest_frees(false);
    result
}

/// Runs a [`Remediator`] behind the `remediate` export.
pub fn remediate<R: Remediator>(
    finding: wit::Finding,
    target: wit::Resource,
    files: Vec<remediator::exports::aiops::plugin::remediate::SourceFile>,
) -> remediator::exports::aiops::plugin::remediate::Outcome {
    use remediator::exports::aiops::plugin::remediate as r;
    let files = files
        .into_iter()
        .map(|f| model::SourceFile {
            path: f.path,
            content: f.content,
        })
        .collect();
    let outcome = with_host_context(|ctx| {
        R::remediate(
            ctx,
            finding_from_wit(finding),
            resource_from_wit(target),
            files,
        )
    });
    match outcome {
        model::Outcome::Edits(files) => r::Outcome::Edits(
            files
                .into_iter()
                .map(|f| r::SourceFile {
                    path: f.path,
                    content: f.content,
                })
                .collect(),
        ),
        model::Outcome::CannotFix(why) => r::Outcome::CannotFix(why),
    }
}

/// Runs a plugin's `info` behind the `info` export, with panics reported to the host.
pub fn info(info: fn() -> model::PluginInfo) -> wit::PluginInfo {
    report_panics_to_host();
    info_to_wit(info())
}

/// Runs a remediator's `info` behind the `info` export: its name, what it fixes and
/// the kinds it edits (`rules` and `per_resource` are a detector's and not sent).
pub fn remediator_info(info: fn() -> model::PluginInfo) -> wit::RemediatorInfo {
    report_panics_to_host();
    let info = info();
    wit::RemediatorInfo {
        name: info.name,
        version: info.version,
        description: info.description,
        fixes: info.fixes,
        kinds: info.kinds,
        config_schema: info.config_schema,
    }
}

/// Converts plugin info to its WIT form.
fn info_to_wit(info: model::PluginInfo) -> wit::PluginInfo {
    wit::PluginInfo {
        name: info.name,
        version: info.version,
        description: info.description,
        kinds: info.kinds,
        rules: info
            .rules
            .into_iter()
            .map(|r| wit::RuleInfo {
                id: r.id,
                default_severity: severity_to_wit(r.default_severity),
                title: r.title,
                description: r.description,
            })
            .collect(),
        config_schema: info.config_schema,
        per_resource: info.per_resource,
    }
}

fn severity_to_wit(s: model::Severity) -> wit::Severity {
    match s {
        model::Severity::Info => wit::Severity::Info,
        model::Severity::Low => wit::Severity::Low,
        model::Severity::Medium => wit::Severity::Medium,
        model::Severity::High => wit::Severity::High,
        model::Severity::Critical => wit::Severity::Critical,
    }
}

fn severity_from_wit(s: wit::Severity) -> model::Severity {
    match s {
        wit::Severity::Info => model::Severity::Info,
        wit::Severity::Low => model::Severity::Low,
        wit::Severity::Medium => model::Severity::Medium,
        wit::Severity::High => model::Severity::High,
        wit::Severity::Critical => model::Severity::Critical,
    }
}

fn resource_from_wit(r: wit::Resource) -> model::Resource {
    model::Resource {
        id: r.id,
        kind: r.kind,
        platform: match r.platform {
            wit::Platform::Kubernetes => model::Platform::Kubernetes,
            wit::Platform::Aws => model::Platform::Aws,
            wit::Platform::Azure => model::Platform::Azure,
            wit::Platform::Other => model::Platform::Other,
        },
        name: r.name,
        namespace: r.namespace,
        labels: r.labels,
        metrics: r
            .metrics
            .into_iter()
            .map(|m| model::Metric {
                name: m.name,
                unit: m.unit,
                window_seconds: m.window_seconds,
                avg: m.avg,
                max: m.max,
                p95: m.p95,
                points: m.points,
                component: m.component,
            })
            .collect(),
        raw: r.raw,
    }
}

fn hint_to_wit(h: model::RemediationHint) -> wit::RemediationHint {
    wit::RemediationHint {
        summary: h.summary,
        changes: h
            .changes
            .into_iter()
            .map(|c| wit::FieldChange {
                path: c.path,
                current: c.current,
                proposed: c.proposed,
            })
            .collect(),
    }
}

fn hint_from_wit(h: wit::RemediationHint) -> model::RemediationHint {
    model::RemediationHint {
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
    }
}

fn finding_to_wit(f: model::Finding) -> wit::Finding {
    wit::Finding {
        rule: f.rule,
        resource_id: f.resource_id,
        component: f.component,
        severity: severity_to_wit(f.severity),
        title: f.title,
        message: f.message,
        evidence: f.evidence,
        remediation: f.remediation.map(hint_to_wit),
    }
}

fn finding_from_wit(f: wit::Finding) -> model::Finding {
    model::Finding {
        rule: f.rule,
        resource_id: f.resource_id,
        component: f.component,
        severity: severity_from_wit(f.severity),
        title: f.title,
        message: f.message,
        evidence: f.evidence,
        remediation: f.remediation.map(hint_from_wit),
    }
}

/// Exports a type implementing [`crate::Detector`] as this component's `detector` world.
///
/// ```ignore
/// struct MyDetector;
/// impl aiops_sdk::Detector for MyDetector { /* ... */ }
/// aiops_sdk::export_detector!(MyDetector);
/// ```
#[macro_export]
macro_rules! export_detector {
    ($ty:ty) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            struct __AiopsDetectorExport;
            impl $crate::guest::detector::exports::aiops::plugin::detect::Guest
                for __AiopsDetectorExport
            {
                fn info() -> $crate::guest::detector::aiops::plugin::types::PluginInfo {
                    $crate::guest::info(<$ty as $crate::Detector>::info)
                }
                fn detect(
                    resources: ::std::vec::Vec<
                        $crate::guest::detector::aiops::plugin::types::Resource,
                    >,
                ) -> ::std::result::Result<
                    ::std::vec::Vec<$crate::guest::detector::aiops::plugin::types::Finding>,
                    ::std::string::String,
                > {
                    $crate::guest::detect::<$ty>(resources)
                }
            }
            $crate::guest::detector::export_detector_world!(
                __AiopsDetectorExport with_types_in $crate::guest::detector
            );
        };
    };
}

/// Exports a type implementing [`crate::Remediator`] as this component's `remediator` world.
#[macro_export]
macro_rules! export_remediator {
    ($ty:ty) => {
        #[cfg(target_family = "wasm")]
        const _: () = {
            struct __AiopsRemediatorExport;
            impl $crate::guest::remediator::exports::aiops::plugin::remediate::Guest
                for __AiopsRemediatorExport
            {
                fn info() -> $crate::guest::detector::aiops::plugin::types::RemediatorInfo {
                    $crate::guest::remediator_info(<$ty as $crate::Remediator>::info)
                }
                fn remediate(
                    finding: $crate::guest::detector::aiops::plugin::types::Finding,
                    target: $crate::guest::detector::aiops::plugin::types::Resource,
                    files: ::std::vec::Vec<
                        $crate::guest::remediator::exports::aiops::plugin::remediate::SourceFile,
                    >,
                ) -> $crate::guest::remediator::exports::aiops::plugin::remediate::Outcome {
                    $crate::guest::remediate::<$ty>(finding, target, files)
                }
            }
            $crate::guest::remediator::export_remediator_world!(
                __AiopsRemediatorExport with_types_in $crate::guest::remediator
            );
        };
    };
}
