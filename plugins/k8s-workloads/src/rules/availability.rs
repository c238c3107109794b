//! Availability rules: single replicas without a PodDisruptionBudget, and HPAs that
//! cannot scale.

use aiops_sdk::{FieldChange, Finding, RemediationHint};
use serde_json::json;

use super::{Checker, Rule};
use crate::inventory::{Hpa, Inventory, Subject};

impl Checker<'_> {
    /// `single-replica-without-pdb` on one Deployment, StatefulSet, ReplicaSet or
    /// ReplicationController.
    pub(super) fn availability(
        &self,
        inventory: &Inventory<'_>,
        subject: &Subject<'_>,
        out: &mut Vec<Finding>,
    ) {
        if !matches!(
            subject.resource.kind.as_str(),
            "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController"
        ) {
            return;
        }
        let hpa = inventory.hpa_for(subject);
        let replicas = match hpa {
            Some(hpa) => hpa.min_replicas,
            None => subject.workload.replicas.unwrap_or(1),
        };
        if replicas != 1 || !inventory.pdbs_for(subject).is_empty() {
            return;
        }
        let label = subject.label();
        let source = match hpa {
            Some(h) => format!("its HPA `{}` keeps a minimum of 1", h.resource.name),
            None => "it runs 1 replica".to_string(),
        };
        let message = format!(
            "{label}: {source} and no PodDisruptionBudget selects its pods, so draining or \
             upgrading its node takes it down."
        );
        let labels = subject.pod_labels();
        let labels_text = labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut finding = Finding::new(
            self.rule(Rule::SingleReplicaWithoutPdb),
            subject.resource,
            message,
        )
        .evidence("replicas", replicas)
        .evidence("pod_labels", labels_text);
        if let Some(h) = hpa {
            finding = finding.evidence("hpa", &h.resource.name);
        }
        if subject.resource.kind == "Deployment" && hpa.is_none() {
            let proposed = self.config.proposed_replicas;
            let current = subject
                .raw()
                .pointer("/spec/replicas")
                .filter(|v| !v.is_null())
                .cloned();
            finding = finding.remediation(RemediationHint {
                summary: format!(
                    "Run {proposed} replicas of {label} so one pod can be evicted while another \
                     serves, then add a PodDisruptionBudget with minAvailable: 1"
                ),
                changes: vec![FieldChange::json(
                    "/spec/replicas",
                    current,
                    json!(proposed),
                )],
            });
        }
        out.push(finding);
    }

    /// `hpa-min-equals-max` on one HPA.
    pub(super) fn hpa(&self, hpa: &Hpa<'_>) -> Option<Finding> {
        let max = hpa.max_replicas?;
        if hpa.min_replicas != max {
            return None;
        }
        let r = hpa.resource;
        let name = match &r.namespace {
            Some(ns) => format!("{ns}/{}", r.name),
            None => r.name.clone(),
        };
        let min_text = if hpa.min_set {
            format!("minReplicas {}", hpa.min_replicas)
        } else {
            "minReplicas (unset, so 1)".to_string()
        };
        let message = format!(
            "HorizontalPodAutoscaler {name} scaling {} `{}` has {min_text} equal to maxReplicas \
             {max}: it can never scale.",
            hpa.target_kind, hpa.target_name
        );
        let factor = self.config.hpa_max_factor;
        let proposed = ((hpa.min_replicas as f64 * factor - 1e-9).ceil() as i64).max(max + 1);
        let hint = RemediationHint {
            summary: format!(
                "Raise maxReplicas of HPA {name} from {max} to {proposed} ({} × {factor}) so it \
                 can scale out under load",
                hpa.min_replicas
            ),
            changes: vec![FieldChange::json(
                "/spec/maxReplicas",
                Some(json!(max)),
                json!(proposed),
            )],
        };
        Some(
            Finding::new(self.rule(Rule::HpaMinEqualsMax), r, message)
                .evidence("api_version", &hpa.api_version)
                .evidence("target", format!("{}/{}", hpa.target_kind, hpa.target_name))
                .evidence("min_replicas", hpa.min_replicas)
                .evidence("max_replicas", max)
                .remediation(hint),
        )
    }
}
