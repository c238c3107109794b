//! The inventory and finding model: plain Rust types mirroring the WIT contract.
//!
//! Pure data with no I/O, shared by the host, the guest bindings and the native test
//! harness, so a detector's logic runs the same natively and in wasm.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad a finding is, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, nothing to fix.
    Info,
    /// Fixed automatically once checks pass.
    Low,
    /// Needs a human approval before a fix merges.
    Medium,
    /// Needs a human approval; likely to hurt soon.
    High,
    /// Hurting now; people are notified, nothing is merged automatically.
    Critical,
}

impl Severity {
    /// Every severity, least severe first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in config, reports and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a severity name that is not one of `info`, `low`, `medium`, `high`, `critical`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown severity `{0}` (expected info, low, medium, high or critical)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownSeverity(s.to_string()))
    }
}

/// Where a resource lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// A Kubernetes cluster or manifest.
    Kubernetes,
    /// Amazon Web Services.
    Aws,
    /// Microsoft Azure.
    Azure,
    /// Anything else.
    Other,
}

/// A summarised utilisation series over the collection window.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Metric {
    /// Metric name as the source calls it, e.g. `CPUUtilization`.
    pub name: String,
    /// Unit, e.g. `percent`, `bytes`, `count`, `cores`.
    pub unit: String,
    /// Length of the window the summary covers, in seconds.
    pub window_seconds: u64,
    /// Average over the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avg: Option<f64>,
    /// Maximum over the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// 95th percentile over the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95: Option<f64>,
    /// Raw points as (unix milliseconds, value), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<(i64, f64)>,
    /// The part of the resource the series belongs to, e.g. a container name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
}

impl Metric {
    /// The window in words for messages: `14 days`, `1 day`, `6 hours`, `90 minutes`, `45 seconds`.
    ///
    /// ```
    /// let m = |window_seconds| aiops_sdk::Metric { window_seconds, ..Default::default() };
    /// assert_eq!(m(1_209_600).window_text(), "14 days");
    /// assert_eq!(m(86_400).window_text(), "1 day");
    /// assert_eq!(m(7_200).window_text(), "2 hours");
    /// assert_eq!(m(5_400).window_text(), "90 minutes");
    /// assert_eq!(m(45).window_text(), "45 seconds");
    /// ```
    pub fn window_text(&self) -> String {
        let s = self.window_seconds;
        let (n, unit) = if s >= 86_400 && s.is_multiple_of(86_400) {
            (s / 86_400, "day")
        } else if s >= 3_600 && s.is_multiple_of(3_600) {
            (s / 3_600, "hour")
        } else if s >= 60 && s.is_multiple_of(60) {
            (s / 60, "minute")
        } else {
            (s, "second")
        };
        let plural = if n == 1 { "" } else { "s" };
        format!("{n} {unit}{plural}")
    }
}

/// One resource of the inventory: a typed envelope plus the raw object as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Stable id, unique in one inventory, e.g. `k8s/Deployment/shop/web`.
    pub id: String,
    /// Kind, e.g. `Deployment` or `aws.rds.db-instance`.
    pub kind: String,
    /// Where the resource lives.
    pub platform: Platform,
    /// The resource's name.
    pub name: String,
    /// Kubernetes namespace, AWS region or Azure resource group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Labels or tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<(String, String)>,
    /// Utilisation metrics, when the collector gathered any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metric>,
    /// The cloud's own object as one JSON document.
    pub raw: String,
}

impl Resource {
    /// Parses the raw object into `T` (a typed view or `serde_json::Value`).
    pub fn object<T: serde::de::DeserializeOwned>(&self) -> Result<T, RawObjectError> {
        serde_json::from_str(&self.raw).map_err(|source| RawObjectError {
            resource: self.id.clone(),
            source,
        })
    }

    /// The value of a label or tag, if set.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The metric named `name` for `component` (`None` for the whole resource).
    pub fn metric(&self, name: &str, component: Option<&str>) -> Option<&Metric> {
        self.metrics
            .iter()
            .find(|m| m.name == name && m.component.as_deref() == component)
    }
}

/// The raw object of a resource does not have the expected shape.
#[derive(Debug, thiserror::Error)]
#[error("raw object of resource `{resource}` is not as expected: {source}")]
pub struct RawObjectError {
    /// Id of the resource.
    pub resource: String,
    /// What the JSON parser said.
    #[source]
    pub source: serde_json::Error,
}

/// One proposed field change of a remediation hint. Values are JSON documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Path of the field in the raw object (JSON pointer).
    pub path: String,
    /// Current value as JSON, `None` when absent.
    pub current: Option<String>,
    /// Proposed value as JSON.
    pub proposed: String,
}

impl FieldChange {
    /// A change of the field at `path` (JSON pointer) from `current` (`None` when absent)
    /// to `proposed`, values given as JSON and stored as JSON text.
    ///
    /// ```
    /// let c = aiops_sdk::FieldChange::json("/spec/replicas", Some(serde_json::json!(1)), serde_json::json!(2));
    /// assert_eq!((c.current.as_deref(), c.proposed.as_str()), (Some("1"), "2"));
    /// ```
    pub fn json(
        path: impl Into<String>,
        current: Option<serde_json::Value>,
        proposed: serde_json::Value,
    ) -> Self {
        FieldChange {
            path: path.into(),
            current: current.map(|v| v.to_string()),
            proposed: proposed.to_string(),
        }
    }
}

/// A structured proposed change a remediator can apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemediationHint {
    /// What to change and why, for people.
    pub summary: String,
    /// The field changes.
    pub changes: Vec<FieldChange>,
}

/// A problem a detector found on one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id, e.g. `k8s.resources.cpu-limit-missing`.
    pub rule: String,
    /// Id of the resource the finding is about.
    pub resource_id: String,
    /// The part of the resource concerned, e.g. a container name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// How bad it is.
    pub severity: Severity,
    /// A short title.
    pub title: String,
    /// A sentence or two a person can act on.
    pub message: String,
    /// Key/value facts behind the finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<(String, String)>,
    /// A structured proposed fix, if the detector has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<RemediationHint>,
}

impl Finding {
    /// Starts a finding for `rule` on `resource` with the rule's severity.
    pub fn new(rule: &RuleInfo, resource: &Resource, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.id.clone(),
            resource_id: resource.id.clone(),
            component: None,
            severity: rule.default_severity,
            title: rule.title.clone(),
            message: message.into(),
            evidence: Vec::new(),
            remediation: None,
        }
    }

    /// Names the part of the resource concerned (e.g. a container).
    pub fn component(mut self, component: impl Into<String>) -> Self {
        self.component = Some(component.into());
        self
    }

    /// Adds one evidence fact.
    pub fn evidence(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.evidence.push((key.into(), value.to_string()));
        self
    }

    /// Attaches a remediation hint.
    pub fn remediation(mut self, hint: RemediationHint) -> Self {
        self.remediation = Some(hint);
        self
    }

    /// The value of the evidence fact `key`, if the finding has one (the first, if several).
    ///
    /// ```
    /// # use aiops_sdk::*;
    /// # let rule = RuleInfo::new("x.y", Severity::Low, "Y", "...");
    /// # let r = Resource { id: "r/1".into(), kind: "K".into(), platform: Platform::Other,
    /// #     name: "1".into(), namespace: None, labels: vec![], metrics: vec![], raw: "{}".into() };
    /// let f = Finding::new(&rule, &r, "m").evidence("ratio", 4.5);
    /// assert_eq!(f.evidence_value("ratio"), Some("4.5"));
    /// assert_eq!(f.evidence_value("other"), None);
    /// ```
    pub fn evidence_value(&self, key: &str) -> Option<&str> {
        self.evidence
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A rule a plugin implements, with its documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    /// Stable id; users pin it in config and CI.
    pub id: String,
    /// Severity unless the config overrides it.
    pub default_severity: Severity,
    /// A short title.
    pub title: String,
    /// One paragraph: what the rule checks and why.
    pub description: String,
}

impl RuleInfo {
    /// Builds a rule description.
    pub fn new(id: &str, default_severity: Severity, title: &str, description: &str) -> Self {
        RuleInfo {
            id: id.to_string(),
            default_severity,
            title: title.to_string(),
            description: description.to_string(),
        }
    }
}

/// What a plugin is and what it handles.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PluginInfo {
    /// Unique plugin name.
    pub name: String,
    /// The plugin's own version.
    pub version: String,
    /// One line about what it does.
    pub description: String,
    /// Resource kinds a detector wants, or a remediator edits (empty: any).
    pub kinds: Vec<String>,
    /// Rules a detector emits; empty for a remediator.
    pub rules: Vec<RuleInfo>,
    /// What a remediator fixes: rule ids or prefixes of them (see [`fixes_rule`]);
    /// empty for a detector.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<String>,
    /// JSON Schema of the config, or empty.
    pub config_schema: String,
    /// True when each resource is judged on its own, so the host may split a batch
    /// across cores. Leave false when any rule looks across resources.
    #[serde(default)]
    pub per_resource: bool,
}

impl PluginInfo {
    /// The rule with `id`, if this plugin declares it.
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// How well this remediator's `fixes` cover `rule`: the best match of its entries.
    pub fn fixes_rule(&self, rule: &str) -> Option<FixMatch> {
        self.fixes.iter().filter_map(|f| fixes_rule(f, rule)).max()
    }
}

/// How a `fixes` entry covers a rule id; a better match compares greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FixMatch {
    /// A prefix of this many bytes covers the id.
    Prefix(usize),
    /// The entry is the id.
    Exact,
}

/// Whether the `fixes` entry `entry` covers `rule`: the same id, a prefix ending in `*`
/// that the id starts with (`k8s.work*`), or a prefix of whole dot-separated parts
/// (`k8s.workloads` or `k8s.workloads.` cover `k8s.workloads.hpa-min-equals-max`).
///
/// ```
/// use aiops_sdk::model::{FixMatch, fixes_rule};
/// assert_eq!(fixes_rule("k8s.resources.cpu-limit-missing", "k8s.resources.cpu-limit-missing"), Some(FixMatch::Exact));
/// assert_eq!(fixes_rule("k8s.workloads", "k8s.workloads.hpa-min-equals-max"), Some(FixMatch::Prefix(13)));
/// assert_eq!(fixes_rule("k8s.workloads.", "k8s.workloads.hpa-min-equals-max"), Some(FixMatch::Prefix(13)));
/// assert_eq!(fixes_rule("k8s.workloads.*", "k8s.workloads.hpa-min-equals-max"), Some(FixMatch::Prefix(14)));
/// assert_eq!(fixes_rule("k8s.work", "k8s.workloads.hpa-min-equals-max"), None);
/// assert_eq!(fixes_rule("k8s.work*", "k8s.workloads.hpa-min-equals-max"), Some(FixMatch::Prefix(8)));
/// ```
pub fn fixes_rule(entry: &str, rule: &str) -> Option<FixMatch> {
    if entry == rule {
        return Some(FixMatch::Exact);
    }
    if let Some(stem) = entry.strip_suffix('*') {
        return rule
            .starts_with(stem)
            .then_some(FixMatch::Prefix(stem.len()));
    }
    let stem = entry.strip_suffix('.').unwrap_or(entry);
    let covered = !stem.is_empty()
        && rule
            .strip_prefix(stem)
            .is_some_and(|rest| rest.starts_with('.'));
    covered.then_some(FixMatch::Prefix(stem.len()))
}

/// A file of the IaC repository, path relative to its root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Path relative to the repository root.
    pub path: String,
    /// Whole content.
    pub content: String,
}

/// What a remediator answers for one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// New contents of the changed files.
    Edits(Vec<SourceFile>),
    /// Why no safe fix exists.
    CannotFix(String),
}
