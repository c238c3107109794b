//! The severity policy (`policy:` in the config): what aiops may do with a fix.
//!
//! A finding's action starts from its severity (`low` → auto-merge, `medium`/`high` →
//! approval, `critical` → notify only), the first matching override replaces it, and
//! hard limits then make it stricter, never looser: a third-party plugin's finding waits
//! for approval unless the policy names the plugin, `never_auto_merge` paths wait for
//! approval, `never_edit` paths are not changed at all. A group takes the strictest
//! action of its findings.

use std::collections::BTreeMap;
use std::fmt;

use aiops_sdk::Severity;
use glob::{MatchOptions, Pattern};
use serde::{Deserialize, Serialize};

/// What aiops does with a proposed change, least strict first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Merge without a human (local: at once; GitHub: once required checks pass).
    AutoMerge,
    /// Propose the change and wait for a human approval.
    Approval,
    /// Make no change; notify people only.
    NotifyOnly,
    /// The change touches a `never_edit` path: make no change.
    NeverEdit,
}

impl Action {
    /// True when a branch and proposal are made for this action.
    pub fn proposes(self) -> bool {
        matches!(self, Action::AutoMerge | Action::Approval)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::AutoMerge => "auto_merge",
            Action::Approval => "approval",
            Action::NotifyOnly => "notify_only",
            Action::NeverEdit => "never_edit",
        })
    }
}

/// The action of each severity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SeverityActions {
    /// Action for `info` findings (they rarely carry a fix).
    pub info: Action,
    /// Action for `low` findings.
    pub low: Action,
    /// Action for `medium` findings.
    pub medium: Action,
    /// Action for `high` findings.
    pub high: Action,
    /// Action for `critical` findings.
    pub critical: Action,
}

impl Default for SeverityActions {
    fn default() -> Self {
        SeverityActions {
            info: Action::AutoMerge,
            low: Action::AutoMerge,
            medium: Action::Approval,
            high: Action::Approval,
            critical: Action::NotifyOnly,
        }
    }
}

impl SeverityActions {
    fn of(&self, severity: Severity) -> Action {
        match severity {
            Severity::Info => self.info,
            Severity::Low => self.low,
            Severity::Medium => self.medium,
            Severity::High => self.high,
            Severity::Critical => self.critical,
        }
    }
}

/// What an override matches; every given field must match (globs, `*` and `?`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    /// Rule id glob, e.g. `k8s.resources.*`.
    pub rule: Option<String>,
    /// Plugin name glob; an override naming a plugin lets its findings auto-merge.
    pub plugin: Option<String>,
    /// Namespace glob.
    pub namespace: Option<String>,
    /// Cloud account (or subscription) glob.
    pub account: Option<String>,
    /// Region glob.
    pub region: Option<String>,
    /// Resource labels or tags: each key must be present with a value matching the glob.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Severities matched (any of them); empty matches all.
    #[serde(default)]
    pub severity: Vec<Severity>,
}

/// One override: findings it matches get `action`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// Which findings.
    #[serde(rename = "match")]
    pub matcher: Matcher,
    /// Their action.
    pub action: Action,
}

/// The `policy:` section of the config, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Action by severity.
    pub severity: SeverityActions,
    /// Overrides, first match wins.
    pub overrides: Vec<Override>,
    /// Path globs (in the IaC repo) whose changes always wait for approval.
    pub never_auto_merge: Vec<String>,
    /// Path globs aiops never changes.
    pub never_edit: Vec<String>,
}

/// A policy that cannot be used; names the key at fault.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("policy.{key}: invalid glob {pattern:?}: {reason}")]
pub struct PolicyError {
    /// The key, e.g. `overrides[2].match.rule`.
    pub key: String,
    /// The glob as written.
    pub pattern: String,
    /// Why it is invalid.
    pub reason: String,
}

/// The facts about one finding the policy looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingFacts {
    /// Rule id.
    pub rule: String,
    /// Severity (after config overrides).
    pub severity: Option<Severity>,
    /// Plugin that reported it.
    pub plugin: String,
    /// True for plugins aiops ships; others are third-party (untrusted) code.
    pub builtin_plugin: bool,
    /// Namespace of the resource.
    pub namespace: Option<String>,
    /// Cloud account or subscription.
    pub account: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Resource labels or tags.
    pub labels: Vec<(String, String)>,
    /// Paths (in the IaC repo) its fix changes.
    pub paths: Vec<String>,
}

/// The policy's answer for a finding or a group, with the reasons behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The action.
    pub action: Action,
    /// Why, one line per step that set or raised the action.
    pub reasons: Vec<String>,
}

struct CompiledMatcher {
    rule: Option<Pattern>,
    plugin: Option<Pattern>,
    namespace: Option<Pattern>,
    account: Option<Pattern>,
    region: Option<Pattern>,
    labels: Vec<(String, Pattern)>,
    severity: Vec<Severity>,
}

/// A validated policy, ready to decide.
pub struct Policy {
    severity: SeverityActions,
    overrides: Vec<(CompiledMatcher, Action)>,
    never_auto_merge: Vec<Pattern>,
    never_edit: Vec<Pattern>,
}

fn compile(key: String, pattern: &str) -> Result<Pattern, PolicyError> {
    Pattern::new(pattern).map_err(|e| PolicyError {
        key,
        pattern: pattern.to_string(),
        reason: e.msg.to_string(),
    })
}

fn compile_opt(key: String, pattern: &Option<String>) -> Result<Option<Pattern>, PolicyError> {
    pattern.as_deref().map(|p| compile(key, p)).transpose()
}

const PATH_OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

fn matches_opt(pattern: &Option<Pattern>, value: Option<&str>) -> bool {
    match pattern {
        None => true,
        Some(p) => value.is_some_and(|v| p.matches(v)),
    }
}

impl CompiledMatcher {
    fn matches(&self, f: &FindingFacts) -> bool {
        matches_opt(&self.rule, Some(&f.rule))
            && matches_opt(&self.plugin, Some(&f.plugin))
            && matches_opt(&self.namespace, f.namespace.as_deref())
            && matches_opt(&self.account, f.account.as_deref())
            && matches_opt(&self.region, f.region.as_deref())
            && self
                .labels
                .iter()
                .all(|(k, p)| f.labels.iter().any(|(lk, lv)| lk == k && p.matches(lv)))
            && (self.severity.is_empty() || f.severity.is_some_and(|s| self.severity.contains(&s)))
    }
}

impl Policy {
    /// Validates `config` (every glob), naming the key of the first invalid one.
    pub fn new(config: &PolicyConfig) -> Result<Policy, PolicyError> {
        let mut overrides = Vec::with_capacity(config.overrides.len());
        for (i, o) in config.overrides.iter().enumerate() {
            let m = &o.matcher;
            let key = |field: &str| format!("overrides[{i}].match.{field}");
            let mut labels = Vec::with_capacity(m.labels.len());
            for (k, v) in &m.labels {
                labels.push((k.clone(), compile(key(&format!("labels.{k}")), v)?));
            }
            overrides.push((
                CompiledMatcher {
                    rule: compile_opt(key("rule"), &m.rule)?,
                    plugin: compile_opt(key("plugin"), &m.plugin)?,
                    namespace: compile_opt(key("namespace"), &m.namespace)?,
                    account: compile_opt(key("account"), &m.account)?,
                    region: compile_opt(key("region"), &m.region)?,
                    labels,
                    severity: m.severity.clone(),
                },
                o.action,
            ));
        }
        let paths = |name: &str, globs: &[String]| {
            globs
                .iter()
                .enumerate()
                .map(|(i, g)| compile(format!("{name}[{i}]"), g))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Policy {
            severity: config.severity.clone(),
            overrides,
            never_auto_merge: paths("never_auto_merge", &config.never_auto_merge)?,
            never_edit: paths("never_edit", &config.never_edit)?,
        })
    }

    /// The action for one finding, with its reasons.
    pub fn decide(&self, f: &FindingFacts) -> Decision {
        let mut reasons = Vec::new();
        let severity = f.severity.unwrap_or(Severity::Medium);
        let mut action = self.severity.of(severity);
        reasons.push(format!(
            "severity {} → {action}",
            format!("{severity:?}").to_lowercase()
        ));
        let mut plugin_named = false;
        if let Some((i, (m, a))) = self
            .overrides
            .iter()
            .enumerate()
            .find(|(_, (m, _))| m.matches(f))
        {
            action = *a;
            plugin_named = m.plugin.is_some();
            reasons.push(format!("override {i} → {action}"));
        }
        let mut raise = |to: Action, why: String| {
            if action < to {
                action = to;
                reasons.push(why);
            }
        };
        if !f.builtin_plugin && !plugin_named {
            raise(
                Action::Approval,
                format!(
                    "plugin {} is third-party and not named by the policy → approval",
                    f.plugin
                ),
            );
        }
        for path in &f.paths {
            if let Some(p) = self
                .never_auto_merge
                .iter()
                .find(|p| p.matches_with(path, PATH_OPTIONS))
            {
                raise(
                    Action::Approval,
                    format!("{path} matches never_auto_merge {} → approval", p.as_str()),
                );
            }
            if let Some(p) = self
                .never_edit
                .iter()
                .find(|p| p.matches_with(path, PATH_OPTIONS))
            {
                raise(
                    Action::NeverEdit,
                    format!("{path} matches never_edit {} → no change", p.as_str()),
                );
            }
        }
        Decision { action, reasons }
    }

    /// The action for a group: the strictest of its findings' (approval for an empty group).
    pub fn decide_group<'a>(
        &self,
        findings: impl IntoIterator<Item = &'a FindingFacts>,
    ) -> Decision {
        let mut strictest: Option<Decision> = None;
        for f in findings {
            let d = self.decide(f);
            if strictest.as_ref().is_none_or(|s| d.action > s.action) {
                strictest = Some(d);
            }
        }
        strictest.unwrap_or(Decision {
            action: Action::Approval,
            reasons: vec!["empty group → approval".to_string()],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(rule: &str, severity: Severity) -> FindingFacts {
        FindingFacts {
            rule: rule.into(),
            severity: Some(severity),
            plugin: "k8s-resources".into(),
            builtin_plugin: true,
            namespace: Some("shop".into()),
            paths: vec!["apps/shop/deploy.yaml".into()],
            ..Default::default()
        }
    }

    fn policy(yaml: &str) -> Policy {
        let config: PolicyConfig = serde_norway::from_str(yaml).unwrap();
        Policy::new(&config).unwrap()
    }

    #[test]
    fn default_actions_follow_severity() {
        let p = Policy::new(&PolicyConfig::default()).unwrap();
        for (severity, action) in [
            (Severity::Low, Action::AutoMerge),
            (Severity::Medium, Action::Approval),
            (Severity::High, Action::Approval),
            (Severity::Critical, Action::NotifyOnly),
        ] {
            assert_eq!(
                p.decide(&facts("r", severity)).action,
                action,
                "{severity:?}"
            );
        }
    }

    #[test]
    fn overrides_and_limits_table() {
        let p = policy(
            r#"
overrides:
  - match: { labels: { env: prod } }
    action: approval
  - match: { rule: "k8s.hpa.*", namespace: "shop" }
    action: auto_merge
  - match: { plugin: "acme-*" }
    action: auto_merge
  - match: { region: "eu-*", account: "1234" }
    action: notify_only
never_auto_merge: ["prod/**"]
never_edit: ["secrets/*.yaml"]
"#,
        );
        let base = facts("k8s.resources.cpu", Severity::Low);
        let cases: Vec<(&str, FindingFacts, Action)> = vec![
            ("low builtin", base.clone(), Action::AutoMerge),
            (
                "env=prod label",
                FindingFacts {
                    labels: vec![("env".into(), "prod".into())],
                    ..base.clone()
                },
                Action::Approval,
            ),
            (
                "rule glob and namespace relax medium",
                FindingFacts {
                    rule: "k8s.hpa.min".into(),
                    severity: Some(Severity::Medium),
                    ..base.clone()
                },
                Action::AutoMerge,
            ),
            (
                "rule glob, other namespace",
                FindingFacts {
                    rule: "k8s.hpa.min".into(),
                    severity: Some(Severity::Medium),
                    namespace: Some("pay".into()),
                    ..base.clone()
                },
                Action::Approval,
            ),
            (
                "third-party plugin waits",
                FindingFacts {
                    plugin: "contrib".into(),
                    builtin_plugin: false,
                    ..base.clone()
                },
                Action::Approval,
            ),
            (
                "third-party plugin named by the policy",
                FindingFacts {
                    plugin: "acme-cost".into(),
                    builtin_plugin: false,
                    ..base.clone()
                },
                Action::AutoMerge,
            ),
            (
                "account and region",
                FindingFacts {
                    account: Some("1234".into()),
                    region: Some("eu-west-1".into()),
                    ..base.clone()
                },
                Action::NotifyOnly,
            ),
            (
                "region alone does not match",
                FindingFacts {
                    region: Some("eu-west-1".into()),
                    ..base.clone()
                },
                Action::AutoMerge,
            ),
            (
                "never_auto_merge path",
                FindingFacts {
                    paths: vec!["prod/eu/app.yaml".into()],
                    ..base.clone()
                },
                Action::Approval,
            ),
            (
                "never_auto_merge does not lower critical",
                FindingFacts {
                    paths: vec!["prod/app.yaml".into()],
                    severity: Some(Severity::Critical),
                    ..base.clone()
                },
                Action::NotifyOnly,
            ),
            (
                "never_edit path",
                FindingFacts {
                    paths: vec!["secrets/db.yaml".into()],
                    ..base.clone()
                },
                Action::NeverEdit,
            ),
            (
                "never_edit single star stays in one directory",
                FindingFacts {
                    paths: vec!["secrets/sub/db.yaml".into()],
                    ..base.clone()
                },
                Action::AutoMerge,
            ),
        ];
        for (name, f, want) in cases {
            let d = p.decide(&f);
            assert_eq!(d.action, want, "{name}: {:?}", d.reasons);
        }
    }

    #[test]
    fn group_takes_the_strictest() {
        let p = Policy::new(&PolicyConfig::default()).unwrap();
        let low = facts("a", Severity::Low);
        let high = facts("b", Severity::High);
        assert_eq!(p.decide_group([&low]).action, Action::AutoMerge);
        assert_eq!(p.decide_group([&low, &high]).action, Action::Approval);
        let critical = facts("c", Severity::Critical);
        assert_eq!(p.decide_group([&critical, &low]).action, Action::NotifyOnly);
    }

    #[test]
    fn unknown_key_is_named() {
        let err = serde_norway::from_str::<PolicyConfig>("never_merge: [a]")
            .unwrap_err()
            .to_string();
        assert!(err.contains("never_merge"), "{err}");
        let err = serde_norway::from_str::<PolicyConfig>(
            "overrides:\n  - match: { rules: x }\n    action: approval",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("rules"), "{err}");
        let err = serde_norway::from_str::<PolicyConfig>("severity: { low: merge }")
            .unwrap_err()
            .to_string();
        assert!(err.contains("merge"), "{err}");
    }

    #[test]
    fn invalid_glob_names_the_key() {
        let config: PolicyConfig = serde_norway::from_str(
            "overrides:\n  - match: { rule: ok }\n    action: approval\n  - match: { rule: \"a[\" }\n    action: approval",
        )
        .unwrap();
        let err = Policy::new(&config).err().unwrap();
        assert_eq!(err.key, "overrides[1].match.rule");
        let config: PolicyConfig = serde_norway::from_str("never_edit: [\"ok\", \"b[\"]").unwrap();
        assert_eq!(Policy::new(&config).err().unwrap().key, "never_edit[1]");
    }
}
