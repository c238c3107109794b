//! From a finding to the field changes to make, and where each goes: the base manifest
//! or the Kustomize patch that sets the value the detector saw.

use aiops_sdk::{Finding, Quantity};
use serde_json::Value;

use crate::config::Config;
use crate::edit::{self, Lookup};
use crate::pointer::{FieldPath, Step};
use crate::sources::{Site, Sources};

/// Probe fields of a container.
const PROBES: [&str; 3] = ["livenessProbe", "readinessProbe", "startupProbe"];

/// One field to change.
#[derive(Debug, Clone)]
pub struct Change {
    /// Where.
    pub path: FieldPath,
    /// The value the detector saw, if any.
    pub current: Option<Value>,
    /// The value to set.
    pub proposed: Value,
}

/// The changes a finding asks for: its hint's field changes, with probe templates from
/// the config; without a hint, what its rule id names (probes, image pull policy) for
/// its container.
pub fn changes(finding: &Finding, raw: &Value, config: &Config) -> Result<Vec<Change>, String> {
    let Some(hint) = &finding.remediation else {
        return from_rule(finding, raw, config);
    };
    if hint.changes.is_empty() {
        return Err("the finding's remediation hint proposes no change".into());
    }
    hint.changes
        .iter()
        .map(|c| {
            let path = FieldPath::resolve(&c.path, raw)?;
            let parse = |what: &str, text: &str| {
                serde_json::from_str::<Value>(text).map_err(|e| {
                    format!("the hint's {what} value for `{}` is not JSON: {e}", c.path)
                })
            };
            let current = c
                .current
                .as_deref()
                .map(|t| parse("current", t))
                .transpose()?;
            let mut proposed = parse("proposed", &c.proposed)?;
            // A configured probe template is the team's standard: it wins over the
            // detector's proposal, which is only used when there is no template.
            if PROBES.contains(&path.leaf()) {
                let empty =
                    proposed.is_null() || proposed.as_object().is_some_and(|o| o.is_empty());
                match config.probe(path.leaf()) {
                    Ok(template) => proposed = template,
                    Err(why) if empty => return Err(why),
                    Err(_) => {}
                }
            }
            Ok(Change {
                path,
                current,
                proposed,
            })
        })
        .collect()
}

/// Changes for a finding without a hint, from what its rule id names.
fn from_rule(finding: &Finding, raw: &Value, config: &Config) -> Result<Vec<Change>, String> {
    let no_hint = || {
        format!(
            "the finding ({}) carries no remediation hint, so there is no proposed value",
            finding.rule
        )
    };
    let rule = finding.rule.as_str();
    let fields: Vec<(&str, Value)> = if rule.contains("pull-policy") {
        vec![(
            "imagePullPolicy",
            Value::String(config.image_pull_policy.clone()),
        )]
    } else if rule.contains("probe") {
        let named: Vec<&str> = PROBES
            .iter()
            .copied()
            .filter(|p| rule.contains(&p[..p.len() - 5]))
            .collect();
        let wanted = if named.is_empty() {
            vec!["livenessProbe", "readinessProbe"]
        } else {
            named
        };
        wanted
            .into_iter()
            .map(|p| config.probe(p).map(|t| (p, t)))
            .collect::<Result<_, _>>()?
    } else {
        return Err(no_hint());
    };
    let container = finding.component.as_deref().ok_or_else(no_hint)?;
    let (list, spec) = find_container(raw, container)
        .ok_or_else(|| format!("the resource has no container `{container}`"))?;
    let mut out = Vec::new();
    for (field, proposed) in fields {
        if raw
            .pointer(&format!("{spec}/{list}"))
            .and_then(|l| l.as_array())
            .is_some_and(|l| {
                l.iter().any(|c| {
                    c.get("name").and_then(Value::as_str) == Some(container)
                        && c.get(field).is_some()
                })
            })
        {
            continue;
        }
        let mut steps: Vec<Step> = spec
            .trim_start_matches('/')
            .split('/')
            .map(|k| Step::Key(k.to_string()))
            .collect();
        steps.push(Step::Container {
            list: list.to_string(),
            name: container.to_string(),
        });
        steps.push(Step::Key(field.to_string()));
        out.push(Change {
            path: FieldPath { steps },
            current: None,
            proposed,
        });
    }
    if out.is_empty() {
        return Err(format!(
            "container `{container}` already sets what rule {rule} asks for"
        ));
    }
    Ok(out)
}

/// The list (`containers`, `initContainers`) and pod spec pointer of a named container.
fn find_container<'a>(raw: &Value, name: &str) -> Option<(&'a str, &'a str)> {
    let kind = raw.get("kind").and_then(Value::as_str)?;
    let spec = aiops_sdk::k8s::pod_spec_pointer(kind)?;
    ["containers", "initContainers"]
        .into_iter()
        .find_map(|list| {
            raw.pointer(&format!("{spec}/{list}"))?
                .as_array()?
                .iter()
                .any(|c| c.get("name").and_then(Value::as_str) == Some(name))
                .then_some((list, spec))
        })
}

/// Makes one change in the document where it belongs; `Ok(false)` when the source
/// already has the proposed value (nothing to do).
pub fn apply(sources: &Sources, base: Site, change: &Change) -> Result<bool, String> {
    let field = change.path.display();
    for patch in &sources.opaque {
        if patch.touches.iter().any(|t| touches(t, &change.path)) {
            return Err(format!(
                "`{field}` is changed by {} in {}, which k8s-manifests cannot edit",
                patch.what, patch.kustomization
            ));
        }
    }
    let read = |site: Site| {
        edit::read(&sources.doc(site), &change.path)
            .map_err(|why| format!("{}: {why}", sources.describe(site)))
    };
    let base_value = read(base)?;
    let mut patched: Vec<(Site, String)> = Vec::new();
    for &site in &sources.patches {
        if let Lookup::Set(v) = read(site)? {
            patched.push((site, v));
        }
    }
    let proposed = &change.proposed;
    let already = |v: &Lookup| matches!(v, Lookup::Set(t) if same(t, proposed));
    let target = match &change.current {
        Some(current) => {
            let seen = patched
                .iter()
                .rev()
                .find(|(_, v)| same(v, current))
                .map(|(s, _)| *s)
                .or_else(|| {
                    matches!(&base_value, Lookup::Set(v) if same(v, current)).then_some(base)
                });
            match seen {
                Some(site) => site,
                None if already(&base_value)
                    || patched.last().is_some_and(|(_, v)| same(v, proposed)) =>
                {
                    return Ok(false);
                }
                None => {
                    let (site, value) = match (patched.last(), &base_value) {
                        (Some((s, v)), _) => (*s, v.clone()),
                        (None, Lookup::Set(v)) => (base, v.clone()),
                        (None, Lookup::Absent) => (base, "nothing".to_string()),
                    };
                    return Err(format!(
                        "{} sets `{field}` to {value}, but the finding saw {}: the source and the inventory differ, so the source is not changed",
                        sources.describe(site),
                        show(current)
                    ));
                }
            }
        }
        None => match &base_value {
            Lookup::Absent => base,
            v if already(v) => return Ok(false),
            Lookup::Set(v) => {
                return Err(format!(
                    "{} sets `{field}` to {v}, but the finding saw no value: the source and the inventory differ, so the source is not changed",
                    sources.describe(base)
                ));
            }
        },
    };
    edit::write(&sources.doc(target), &change.path, proposed)
        .map_err(|why| format!("{}: {why}", sources.describe(target)))?;
    Ok(true)
}

/// Whether a patch path (JSON pointer, or the text of an inline patch) may touch `path`:
/// conservative, by key names.
fn touches(patch: &str, path: &FieldPath) -> bool {
    let after_container = path
        .steps
        .iter()
        .rposition(|s| matches!(s, Step::Container { .. }))
        .map_or(path.steps.len() - 1, |i| i + 1);
    path.steps[after_container..].iter().any(|s| match s {
        Step::Key(k) => patch.contains(&format!("/{k}")) || patch.contains(&format!("{k}:")),
        Step::Container { .. } => false,
    })
}

/// Whether a source value (text) equals a JSON value, Kubernetes quantities compared
/// exactly (`1Gi` equals `1024Mi`, `0.5` equals `500m`).
pub fn same(text: &str, value: &Value) -> bool {
    let as_text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return serde_norway::from_str::<Value>(text).is_ok_and(|v| &v == value),
    };
    if text == as_text {
        return true;
    }
    matches!((Quantity::parse(text), Quantity::parse(&as_text)), (Ok(a), Ok(b)) if a == b)
}

/// A JSON value for messages: strings bare.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
