//! A native test harness: run a detector's logic with plain `cargo test`, no wasm.
//!
//! ```
//! use aiops_sdk::testing::{Harness, k8s_resources_from_yaml};
//! # use aiops_sdk::*;
//! # struct Nothing;
//! # impl Detector for Nothing {
//! #     fn info() -> PluginInfo { PluginInfo::default() }
//! #     fn detect(_: &Context<'_>, _: Vec<Resource>) -> Result<Vec<Finding>, String> { Ok(vec![]) }
//! # }
//! let resources = k8s_resources_from_yaml("kind: Pod\nmetadata: {name: p}\n");
//! let run = Harness::<Nothing>::new().config(r#"{"ratio": 2}"#).detect(resources).unwrap();
//! assert!(run.findings.is_empty());
//! ```

mod contract;

pub use contract::{assert_config_errors, assert_info_is_well_formed, assert_robust, schema_keys};

use std::cell::RefCell;
use std::marker::PhantomData;

use serde::Deserialize;

use crate::model::{Finding, Outcome, Resource, SourceFile};
use crate::plugin::{Context, Detector, LogLevel, LogSink, Remediator};

/// One log event a plugin wrote during a harness run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// Level.
    pub level: LogLevel,
    /// Message.
    pub message: String,
    /// Fields.
    pub fields: Vec<(String, String)>,
}

#[derive(Default)]
struct MemoryLog(RefCell<Vec<LogEvent>>);

impl LogSink for MemoryLog {
    fn write(&self, level: LogLevel, message: &str, fields: &[(&str, &str)]) {
        self.0.borrow_mut().push(LogEvent {
            level,
            message: message.to_string(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
    }
}

/// What a detector run produced.
#[derive(Debug, Clone)]
pub struct DetectRun {
    /// Findings in the order the detector returned them.
    pub findings: Vec<Finding>,
    /// Log events written.
    pub logs: Vec<LogEvent>,
}

impl DetectRun {
    /// `(rule, resource id, component)` of every finding, sorted: handy for exact assertions.
    pub fn summary(&self) -> Vec<(String, String, Option<String>)> {
        let mut out: Vec<_> = self
            .findings
            .iter()
            .map(|f| (f.rule.clone(), f.resource_id.clone(), f.component.clone()))
            .collect();
        out.sort();
        out
    }

    /// `[rule, severity, resource id, component]` of every finding, sorted, with `-` for
    /// no component: the rows of a fixture's findings table (see [`findings_table`]).
    pub fn table(&self) -> Vec<[String; 4]> {
        let mut out: Vec<_> = self
            .findings
            .iter()
            .map(|f| {
                [
                    f.rule.clone(),
                    f.severity.to_string(),
                    f.resource_id.clone(),
                    f.component.clone().unwrap_or_else(|| "-".to_string()),
                ]
            })
            .collect();
        out.sort();
        out
    }

    /// Findings of one rule.
    pub fn of_rule(&self, rule: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.rule == rule).collect()
    }

    /// The only finding of `rule`, given as a whole id (`k8s.resources.cpu-limit-missing`)
    /// or as its last dot-separated part(s) (`cpu-limit-missing`); panics, listing every
    /// finding, unless there is exactly one.
    ///
    /// ```
    /// # use aiops_sdk::{*, testing::DetectRun};
    /// # let rule = RuleInfo::new("x.sizing.too-big", Severity::Low, "Too big", "...");
    /// # let r = Resource { id: "r/1".into(), kind: "K".into(), platform: Platform::Other,
    /// #     name: "1".into(), namespace: None, labels: vec![], metrics: vec![], raw: "{}".into() };
    /// let run = DetectRun { findings: vec![Finding::new(&rule, &r, "m")], logs: vec![] };
    /// assert_eq!(run.only("too-big").rule, "x.sizing.too-big");
    /// assert_eq!(run.only("sizing.too-big").rule, "x.sizing.too-big");
    /// assert_eq!(run.only("x.sizing.too-big").rule, "x.sizing.too-big");
    /// ```
    #[track_caller]
    pub fn only(&self, rule: &str) -> &Finding {
        let suffix = format!(".{rule}");
        let found: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.rule == rule || f.rule.ends_with(&suffix))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected exactly one `{rule}` finding, got: {:#?}",
            self.findings
        );
        found[0]
    }
}

/// `(path, current, proposed)` of every change of a finding's remediation hint; panics
/// when the finding has no hint.
///
/// ```
/// # use aiops_sdk::*;
/// use aiops_sdk::testing::{change, changes, hint_summary};
/// # let rule = RuleInfo::new("x.y", Severity::Low, "Y", "...");
/// # let r = Resource { id: "r/1".into(), kind: "K".into(), platform: Platform::Other,
/// #     name: "1".into(), namespace: None, labels: vec![], metrics: vec![], raw: "{}".into() };
/// let hint = RemediationHint {
///     summary: "Run 2 replicas".into(),
///     changes: vec![FieldChange::json("/spec/replicas", Some(1.into()), 2.into())],
/// };
/// let f = Finding::new(&rule, &r, "m").remediation(hint);
/// assert_eq!(changes(&f), [("/spec/replicas", Some("1"), "2")]);
/// assert_eq!(change(&f), ("/spec/replicas", Some("1"), "2"));
/// assert_eq!(hint_summary(&f), "Run 2 replicas");
/// ```
#[track_caller]
pub fn changes(finding: &Finding) -> Vec<(&str, Option<&str>, &str)> {
    hint_of(finding)
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.current.as_deref(), c.proposed.as_str()))
        .collect()
}

/// `(path, current, proposed)` of the single change of a finding's remediation hint;
/// panics when there is no hint or it has more or fewer than one change.
#[track_caller]
pub fn change(finding: &Finding) -> (&str, Option<&str>, &str) {
    let all = changes(finding);
    assert_eq!(
        all.len(),
        1,
        "expected one change: {:#?}",
        finding.remediation
    );
    all[0]
}

/// The summary of a finding's remediation hint; panics when it has none.
#[track_caller]
pub fn hint_summary(finding: &Finding) -> &str {
    &hint_of(finding).summary
}

#[track_caller]
fn hint_of(finding: &Finding) -> &crate::model::RemediationHint {
    finding.remediation.as_ref().unwrap_or_else(|| {
        panic!(
            "expected a remediation hint on `{}` for {}",
            finding.rule, finding.resource_id
        )
    })
}

/// Runs a plugin type natively with a given config, recording its logs.
pub struct Harness<P> {
    config: String,
    plugin: PhantomData<P>,
}

impl<P> Default for Harness<P> {
    fn default() -> Self {
        Harness {
            config: "{}".to_string(),
            plugin: PhantomData,
        }
    }
}

impl<P> Harness<P> {
    /// A harness with an empty config.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the plugin's config (JSON), as the host would pass it.
    pub fn config(mut self, json: &str) -> Self {
        self.config = json.to_string();
        self
    }
}

impl<P: Detector> Harness<P> {
    /// Runs `detect` on the resources of the kinds the plugin declared, as the host does.
    pub fn detect(&self, resources: Vec<Resource>) -> Result<DetectRun, String> {
        let kinds = P::info().kinds;
        let resources = resources
            .into_iter()
            .filter(|r| kinds.iter().any(|k| k == &r.kind))
            .collect();
        let log = MemoryLog::default();
        let ctx = Context::new(self.config.clone(), &log);
        let findings = P::detect(&ctx, resources)?;
        Ok(DetectRun {
            findings,
            logs: log.0.into_inner(),
        })
    }
}

impl<P: Remediator> Harness<P> {
    /// Runs `remediate` for one finding.
    pub fn remediate(&self, finding: Finding, target: Resource, files: Vec<SourceFile>) -> Outcome {
        let log = MemoryLog::default();
        let ctx = Context::new(self.config.clone(), &log);
        P::remediate(&ctx, finding, target, files)
    }
}

/// Parses Kubernetes YAML (one or more documents) into inventory envelopes.
///
/// Panics with the parser's message on invalid input: it is for test fixtures.
pub fn k8s_resources_from_yaml(yaml: &str) -> Vec<Resource> {
    serde_norway::Deserializer::from_str(yaml)
        .filter_map(|doc| {
            let value = serde_json::Value::deserialize(doc).expect("fixture YAML must parse");
            (!value.is_null()).then(|| {
                crate::k8s::resource_from_object(&value).expect("fixture must be a k8s object")
            })
        })
        .collect()
}

/// Every Kubernetes object of a manifests directory (not recursive), files in name order:
/// YAML files (`.yaml`, `.yml`, multi-document), JSON files (`.json`, one object), and the
/// items of a `List`, as the host's manifests collector reads them. Other files, and
/// documents without a `kind` (an `expected.json` beside the fixtures), are skipped.
///
/// Panics naming the file on unreadable input: it is for test fixtures.
pub fn k8s_resources_from_dir(dir: &std::path::Path) -> Vec<Resource> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    paths.sort();
    let mut resources = Vec::new();
    for path in paths {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "yaml" | "yml" | "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let documents: Vec<serde_json::Value> = serde_norway::Deserializer::from_str(&text)
            .map(|doc| {
                serde_json::Value::deserialize(doc)
                    .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
            })
            // Not Kubernetes objects (an `expected.json` beside the fixtures, Helm
            // values): skipped, as the host's manifests collector skips them.
            .filter(|doc| doc.get("kind").is_some())
            .collect();
        for doc in documents {
            let objects = match (doc["kind"].as_str(), doc["items"].as_array()) {
                (Some(kind), Some(items)) if kind.ends_with("List") => items.clone(),
                _ => vec![doc],
            };
            resources.extend(objects.iter().map(|object| {
                crate::k8s::resource_from_object(object)
                    .unwrap_or_else(|e| panic!("{}: not a Kubernetes object: {e}", path.display()))
            }));
        }
    }
    resources
}

/// The resources of an inventory snapshot document (`{"format": "aiops.inventory/v1",
/// "resources": [...]}`), the host's fixture format.
///
/// Panics with the parser's message on invalid input: it is for test fixtures.
pub fn resources_from_snapshot(json: &str) -> Vec<Resource> {
    let mut doc: serde_json::Value = serde_json::from_str(json).expect("snapshot JSON must parse");
    serde_json::from_value(doc["resources"].take()).expect("snapshot resources must deserialise")
}

/// The rows of a Markdown findings table (`| rule | severity | resource id | component | ... |`)
/// whose rule starts with `rule_prefix`, sorted, cells without backticks: compare them with
/// [`DetectRun::table`].
///
/// ```
/// let md = "| rule | severity | resource id | component |\n|--|--|--|--|\n\
///           | `x.b` | low | `r/2` | - |\n| `x.a` | high | `r/1` | `app` |\n";
/// let rows = aiops_sdk::testing::findings_table(md, "x.");
/// assert_eq!(rows[0], ["x.a", "high", "r/1", "app"].map(String::from));
/// assert_eq!(rows.len(), 2);
/// ```
pub fn findings_table(markdown: &str, rule_prefix: &str) -> Vec<[String; 4]> {
    let mut rows: Vec<[String; 4]> = markdown
        .lines()
        .filter_map(|line| {
            let cells: Vec<String> = line
                .trim()
                .strip_prefix('|')?
                .split('|')
                .map(|cell| cell.trim().trim_matches('`').to_string())
                .collect();
            (cells.len() >= 4 && cells[0].starts_with(rule_prefix)).then(|| {
                [
                    cells[0].clone(),
                    cells[1].clone(),
                    cells[2].clone(),
                    cells[3].clone(),
                ]
            })
        })
        .collect();
    rows.sort();
    rows
}

/// Source files from `(path, content)` pairs, for remediator tests.
pub fn source_files(pairs: &[(&str, &str)]) -> Vec<SourceFile> {
    pairs
        .iter()
        .map(|(path, content)| SourceFile {
            path: path.to_string(),
            content: content.to_string(),
        })
        .collect()
}

/// The new content of `path` in a remediator's outcome: `None` when the outcome has no
/// edit for it; panics (with the reason) on a cannot-fix.
pub fn edited<'a>(outcome: &'a Outcome, path: &str) -> Option<&'a str> {
    match outcome {
        Outcome::Edits(edits) => edits
            .iter()
            .find(|e| e.path == path)
            .map(|e| e.content.as_str()),
        Outcome::CannotFix(why) => panic!("expected edits, got cannot-fix: {why}"),
    }
}

/// A finding of `rule` on `resource` for `component`, with one field change
/// (`current` and `proposed` as JSON text), as detectors emit them.
pub fn finding_with_change(
    rule: &str,
    resource: &Resource,
    component: Option<&str>,
    path: &str,
    current: Option<&str>,
    proposed: &str,
) -> Finding {
    Finding {
        rule: rule.to_string(),
        resource_id: resource.id.clone(),
        component: component.map(str::to_string),
        severity: crate::Severity::Medium,
        title: rule.to_string(),
        message: String::new(),
        evidence: Vec::new(),
        remediation: Some(crate::RemediationHint {
            summary: format!("set {path}"),
            changes: vec![crate::FieldChange {
                path: path.to_string(),
                current: current.map(str::to_string),
                proposed: proposed.to_string(),
            }],
        }),
    }
}

/// Checks a config schema against its parser: the schema is a JSON object schema; the
/// empty config parses; every key it lists accepts `null` (its default), and every
/// `default` it documents parses to the same config as the empty one. Panics naming the key.
///
/// ```
/// use aiops_sdk::knobs::{Knobs, PluginConfig, at_least};
/// #[derive(Debug, PartialEq)]
/// struct C(f64);
/// impl PluginConfig for C {
///     const TITLE: &'static str = "c";
///     fn read(k: &mut Knobs) -> Result<C, String> {
///         Ok(C(k.key("ratio", "A ratio.").number(4.0, at_least(1.0))?))
///     }
/// }
/// aiops_sdk::testing::assert_schema_matches_defaults(&C::schema(), C::parse);
/// ```
#[track_caller]
pub fn assert_schema_matches_defaults<C: PartialEq + std::fmt::Debug>(
    schema: &str,
    parse: impl Fn(&str) -> Result<C, String>,
) {
    let schema: serde_json::Value = serde_json::from_str(schema).expect("the schema is JSON");
    assert_eq!(schema["type"], "object", "the schema describes an object");
    let defaults = parse("{}").expect("the empty config parses");
    let properties = schema["properties"]
        .as_object()
        .expect("the schema lists its properties");
    for (key, property) in properties {
        let with =
            |value: serde_json::Value| serde_json::json!({ key.as_str(): value }).to_string();
        assert_eq!(
            parse(&with(serde_json::Value::Null)).as_ref(),
            Ok(&defaults),
            "`{key}`: null gives the default"
        );
        if let Some(default) = property.get("default") {
            assert_eq!(
                parse(&with(default.clone())).as_ref(),
                Ok(&defaults),
                "`{key}`: the schema's default {default} is the parser's"
            );
        }
    }
}
