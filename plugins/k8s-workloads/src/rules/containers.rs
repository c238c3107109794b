//! Per-container rules: liveness and readiness probes, mutable image tags and their pull
//! policy.

use std::cell::OnceCell;

use aiops_sdk::k8s::{ContainerRef, ContainerRole};
use aiops_sdk::{FieldChange, Finding, RemediationHint};
use serde_json::{Map, Value, json};

use super::{Checker, Rule};
use crate::image::Tag;
use crate::inventory::Subject;

/// The keys of a probe that say how it checks (the rest are timings).
const PROBE_HANDLERS: [&str; 4] = ["httpGet", "tcpSocket", "grpc", "exec"];

/// One container of one workload: what a container finding is about.
struct Site<'a> {
    subject: &'a Subject<'a>,
    container: &'a ContainerRef<'a>,
    /// [`Site::label`], built at most once.
    label: OnceCell<String>,
}

impl Site<'_> {
    fn name(&self) -> &str {
        &self.container.container.name
    }

    /// "Container `api` of Deployment shop/web". Texts that every finding of a scan
    /// carries are joined with `concat` (one allocation) rather than built by `format!`,
    /// whose machinery is slow in wasm.
    fn label(&self) -> &str {
        self.label
            .get_or_init(|| ["Container `", self.name(), "` of ", &self.subject.label()].concat())
    }

    fn finding(&self, rule: &aiops_sdk::RuleInfo, message: String) -> Finding {
        Finding::new(rule, self.subject.resource, message).component(self.name())
    }

    /// True for an init container that keeps running beside the app (a native sidecar).
    fn is_sidecar(&self) -> bool {
        matches!(self.container.role, ContainerRole::Init(_))
            && self.container.container.restart_policy.as_deref() == Some("Always")
    }

    /// The first `containerPort` declared, if any.
    fn first_port(&self) -> Option<i64> {
        self.container.container.first_port()
    }
}

impl Checker<'_> {
    /// The container rules on every container of one workload.
    pub(super) fn containers(&self, subject: &Subject<'_>, out: &mut Vec<Finding>) {
        for container in subject.workload.containers() {
            let site = Site {
                subject,
                container: &container,
                label: OnceCell::new(),
            };
            let long_running = !subject.runs_to_completion()
                && (matches!(container.role, ContainerRole::App(_)) || site.is_sidecar());
            if long_running {
                out.extend(self.liveness(&site));
                out.extend(self.readiness(&site));
            }
            self.image(&site, out);
        }
    }

    fn liveness(&self, site: &Site<'_>) -> Option<Finding> {
        let c = site.container.container;
        if c.liveness_probe.is_some() {
            return None;
        }
        let message = [
            site.label(),
            " has no liveness probe, so the kubelet never restarts it when it hangs.",
        ]
        .concat();
        let mut finding = site.finding(self.rule(Rule::LivenessProbeMissing), message);
        if c.startup_probe.is_some() {
            finding = finding.evidence("startup_probe", "set");
        }
        let Some(port) = site.first_port() else {
            return Some(finding);
        };
        let probe = json!({"tcpSocket": {"port": port}});
        let summary = [
            "Add a liveness probe to container `",
            site.name(),
            "`: a TCP check on port ",
            &port.to_string(),
            ", which restarts the process once it stops accepting connections",
        ]
        .concat();
        Some(finding.remediation(probe_hint(site, "livenessProbe", probe, summary)))
    }

    fn readiness(&self, site: &Site<'_>) -> Option<Finding> {
        let c = site.container.container;
        if c.readiness_probe.is_some() {
            return None;
        }
        let message = [
            site.label(),
            " has no readiness probe, so it receives traffic before it is ready and while it \
             cannot serve.",
        ]
        .concat();
        let finding = site.finding(self.rule(Rule::ReadinessProbeMissing), message);
        let from_liveness = c.liveness_probe.as_ref().and_then(handler);
        let (probe, how) = match (from_liveness, site.first_port()) {
            (Some(probe), _) => (probe, "the same check as its liveness probe".to_string()),
            (None, Some(port)) => (
                json!({"tcpSocket": {"port": port}}),
                ["a TCP check on port ", &port.to_string()].concat(),
            ),
            (None, None) => return Some(finding),
        };
        let summary = [
            "Add a readiness probe to container `",
            site.name(),
            "`: ",
            &how,
            ", so Services only send it traffic once it answers",
        ]
        .concat();
        Some(finding.remediation(probe_hint(site, "readinessProbe", probe, summary)))
    }

    /// `image-tag-mutable` and `image-pull-policy-unset` on one container.
    fn image(&self, site: &Site<'_>, out: &mut Vec<Finding>) {
        let c = site.container.container;
        let Some(image) = c.image.as_deref().filter(|i| !i.trim().is_empty()) else {
            return;
        };
        let tag = Tag::of(image);
        if !tag.is_mutable() {
            return;
        }
        let why = match tag {
            Tag::Missing => "no tag, which means `latest`",
            _ => "the `latest` tag",
        };
        let message = format!(
            "{} runs image `{image}` with {why}: the code behind it can change at any pod start.",
            site.label()
        );
        out.push(
            site.finding(self.rule(Rule::ImageTagMutable), message)
                .evidence("image", image)
                .evidence("tag", tag.describe()),
        );
        if c.image_pull_policy.is_some() {
            return;
        }
        let message = format!(
            "{} uses the mutable image `{image}` without an imagePullPolicy; the default \
             changes with the tag.",
            site.label()
        );
        let hint = RemediationHint {
            summary: format!(
                "Set imagePullPolicy of container `{}` to Always, so every pod start pulls the \
                 current `{image}`",
                site.name()
            ),
            changes: vec![FieldChange::json(
                format!("{}/imagePullPolicy", site.container.pointer),
                None,
                json!("Always"),
            )],
        };
        out.push(
            site.finding(self.rule(Rule::ImagePullPolicyUnset), message)
                .evidence("image", image)
                .remediation(hint),
        );
    }
}

/// The handler part of a probe (`httpGet`, `tcpSocket`, `grpc` or `exec`), without timings.
fn handler(probe: &Value) -> Option<Value> {
    let map: Map<String, Value> = PROBE_HANDLERS
        .iter()
        .filter_map(|k| probe.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    (!map.is_empty()).then_some(Value::Object(map))
}

fn probe_hint(site: &Site<'_>, field: &str, probe: Value, summary: String) -> RemediationHint {
    RemediationHint {
        summary,
        changes: vec![FieldChange::json(
            [&site.container.pointer, "/", field].concat(),
            None,
            probe,
        )],
    }
}
