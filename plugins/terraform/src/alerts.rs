//! Azure Monitor fixes in azurerm: re-enable a metric alert, give an alert without one an
//! `action` block, and add a new `azurerm_monitor_metric_alert` for a resource no alert
//! watches, from the plugin config's template.

use aiops_sdk::{Resource, kinds};
use hcl_edit::Decorate;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Structure};
use serde_json::Value;

use crate::attribute::{Assignment, exactly};
use crate::config::Config;
use crate::hint::Change;
use crate::locate::{SOURCE_TAG, Wanted, target_block};
use crate::repo::{BlockRef, Repo};
use crate::value::{Setting, setting};
use crate::{edit, fields, plan};

/// The pointer of a new action.
pub const NEW_ACTION: &str = "/properties/actions/-";
/// The pointer of a new alert.
pub const NEW_ALERT: &str = "/alerts/-";
const ALERT: &str = "azurerm_monitor_metric_alert";
const ACTION_GROUP: &str = "azurerm_monitor_action_group";

/// azurerm resource types defining a monitored resource kind.
pub fn monitored_types(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        kinds::AZURE_VM => &[
            "azurerm_linux_virtual_machine",
            "azurerm_windows_virtual_machine",
            "azurerm_virtual_machine",
        ],
        kinds::AZURE_EVENTHUB_NAMESPACE => &["azurerm_eventhub_namespace"],
        kinds::AZURE_MYSQL_FLEXIBLE_SERVER => &["azurerm_mysql_flexible_server"],
        kinds::AZURE_SQL_SERVER => &["azurerm_mssql_server", "azurerm_sql_server"],
        _ => return None,
    })
}

/// Fixes on an existing alert: `enabled` and a missing action group.
pub fn fix_alert(
    repo: &mut Repo,
    config: &Config,
    target: &Resource,
    changes: &[Change],
) -> Result<(), String> {
    let raw: Value = target.object().map_err(|e| e.to_string())?;
    let name = raw["name"].as_str().unwrap_or(&target.name);
    let alert = target_block(
        repo,
        target,
        Wanted {
            types: &[ALERT],
            attribute: "name",
            value: name,
        },
    )?;
    let mut plan = Vec::new();
    let mut action = None;
    for change in changes {
        if change.pointer == NEW_ACTION {
            let group = config
                .alert_action_group_id
                .as_deref()
                .or_else(|| change.proposed["actionGroupId"].as_str())
                .ok_or_else(|| format!("the hint's {NEW_ACTION} value has no actionGroupId"))?;
            action = Some(group.to_string());
            continue;
        }
        let field = fields::find(fields::METRIC_ALERT, &change.pointer).ok_or_else(|| {
            format!(
                "{} has no Terraform attribute this remediator knows",
                change.pointer
            )
        })?;
        let fields::Place::Own(attribute) = field.place else {
            unreachable!("alert fields live on the alert block")
        };
        plan.push((
            alert,
            Assignment {
                attribute,
                field,
                current: change.current.clone(),
                proposed: change.proposed.clone(),
            },
            exactly as crate::attribute::Matches,
        ));
    }
    let action = match action {
        Some(group) => check_action(repo, alert, &group)?,
        None => None,
    };
    plan::run(repo, plan)?;
    if let Some(reference) = action {
        let body = &mut repo.block_mut(alert).body;
        let indent = edit::body_indent(body, "  ");
        edit::append_block(body, "action", &[("action_group_id", reference)], &indent);
    }
    Ok(())
}

/// The expression naming action group `id`: a reference to its block when the files
/// define it (`azurerm_monitor_action_group.ops.id`), else the ARM id as a string.
fn action_group_ref(repo: &Repo, id: &str) -> Expression {
    let name = id.rsplit('/').next().unwrap_or_default();
    for file in &repo.files {
        for s in file.body.iter() {
            let Some(b) = s.as_block() else { continue };
            let kind = b.ident.as_str();
            if !(kind == "resource" || kind == "data")
                || !b.has_labels(&[ACTION_GROUP])
                || b.labels.len() != 2
            {
                continue;
            }
            let named = matches!(b.body.get_attribute("name").map(|a| setting(&a.value)),
                Some(Setting::Literal(Value::String(n))) if n.eq_ignore_ascii_case(name));
            let group = id
                .split('/')
                .skip_while(|p| !p.eq_ignore_ascii_case("resourceGroups"))
                .nth(1);
            let same_group = match (
                b.body
                    .get_attribute("resource_group_name")
                    .map(|a| setting(&a.value)),
                group,
            ) {
                (Some(Setting::Literal(Value::String(rg))), Some(g)) => rg.eq_ignore_ascii_case(g),
                _ => true,
            };
            if named && same_group {
                let prefix = if kind == "data" { "data." } else { "" };
                let text = format!("{prefix}{ACTION_GROUP}.{}.id", b.labels[1].as_str());
                if let Ok(expr) = hcl_edit::parser::parse_expr(&text) {
                    return expr;
                }
            }
        }
    }
    Expression::from(id)
}

/// What to add for action group `id`: `None` when an `action` already names it; an error
/// when the alert's actions are dynamic or name other groups (the file and the live alert
/// differ).
fn check_action(repo: &Repo, alert: BlockRef, id: &str) -> Result<Option<Expression>, String> {
    let body = &repo.block(alert).body;
    let reference = action_group_ref(repo, id);
    if body
        .get_blocks("dynamic")
        .any(|d| d.has_labels(&["action"]))
    {
        return Err(format!(
            "`{}` ({}) builds its actions with a dynamic block: they are computed",
            repo.address(alert),
            repo.site(alert)
        ));
    }
    let wanted = reference.to_string();
    let mut others = Vec::new();
    for action in body.get_blocks("action") {
        let Some(attr) = action.body.get_attribute("action_group_id") else {
            continue;
        };
        let text = attr.value.to_string();
        let same = text.trim() == wanted.trim()
            || matches!(setting(&attr.value), Setting::Literal(Value::String(s)) if s.eq_ignore_ascii_case(id));
        if same {
            return Ok(None);
        }
        others.push(text.trim().to_string());
    }
    if !others.is_empty() {
        return Err(format!(
            "`{}` ({}) already notifies {} in the file, while the live alert has no action \
             group: the source and the resource differ",
            repo.address(alert),
            repo.site(alert),
            others.join(", ")
        ));
    }
    Ok(Some(reference))
}

/// A new alert from a `/alerts/-` hint on a monitored resource.
pub fn add_alert(
    repo: &mut Repo,
    config: &Config,
    target: &Resource,
    changes: &[Change],
) -> Result<(), String> {
    let [change] = changes else {
        return Err("a new-alert hint must hold exactly one change".to_string());
    };
    if change.pointer != NEW_ALERT {
        return Err(format!(
            "{} has no Terraform attribute this remediator knows",
            change.pointer
        ));
    }
    let spec = &change.proposed;
    let text = |key: &str| {
        spec[key]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("the hint's new alert has no `{key}`"))
    };
    let name = text("name")?;
    let metric = text("metric")?;
    let operator = text("operator")?;
    let scope = spec["scopes"][0]
        .as_str()
        .ok_or_else(|| "the hint's new alert has no scope".to_string())?;
    let threshold = config
        .alert_thresholds
        .get(&metric)
        .copied()
        .or_else(|| spec["threshold"].as_f64())
        .ok_or_else(|| "the hint's new alert has no threshold".to_string())?;
    let group = config
        .alert_action_group_id
        .clone()
        .or_else(|| spec["actionGroupId"].as_str().map(str::to_string))
        .ok_or_else(|| {
            "no action group: neither the hint nor alert_action_group_id gives one".to_string()
        })?;
    let raw: Value = target.object().map_err(|e| e.to_string())?;
    let namespace = raw["type"].as_str().ok_or_else(|| {
        format!(
            "the raw object of `{}` has no `type` to take the metric namespace from",
            target.id
        )
    })?;

    // Already added (by a previous run or by hand)?
    for r in repo.resources(&[ALERT]) {
        if matches!(repo.block(r).body.get_attribute("name").map(|a| setting(&a.value)),
            Some(Setting::Literal(Value::String(n))) if n == name)
        {
            return Ok(());
        }
    }

    // The watched resource's block, when the files define it: referenced, not copied.
    let types = monitored_types(&target.kind).unwrap_or(&[]);
    let watched = target_block(
        repo,
        target,
        Wanted {
            types,
            attribute: "name",
            value: &target.name,
        },
    )
    .ok();
    if watched.is_none() && target.label(SOURCE_TAG).is_some() {
        // A tag that names a block we cannot use is an error, not a reason to fall back.
        target_block(
            repo,
            target,
            Wanted {
                types,
                attribute: "name",
                value: &target.name,
            },
        )?;
    }
    if covered(repo, watched, scope)? {
        return Ok(());
    }
    let scope_expr = match watched {
        Some(r) => parse(&format!("[{}.id]", repo.address(r)))?,
        None => parse(&format!("[{}]", Expression::from(scope)))?,
    };
    let rg_expr = match (&config.alert_resource_group_name, watched) {
        (Some(rg), _) => Expression::from(rg.as_str()),
        (None, Some(r)) => match repo.block(r).body.get_attribute("resource_group_name") {
            Some(a) => {
                let mut v = a.value.clone();
                v.decor_mut().clear();
                v
            }
            None => resource_group_of(scope)?,
        },
        (None, None) => resource_group_of(scope)?,
    };
    let file = alert_file(repo, config, watched)?;
    let label = label_of(&name);
    if repo
        .resources(&[ALERT])
        .any(|r| repo.address(r) == format!("{ALERT}.{label}"))
    {
        return Err(format!(
            "a block `{ALERT}.{label}` already exists with another name: pick the new alert's \
             name by hand"
        ));
    }
    let action = action_group_ref(repo, &group);
    let threshold_expr = crate::value::literal(&serde_json::json!(threshold))?;
    let threshold_expr = if threshold.fract() == 0.0 {
        Expression::from(threshold as i64)
    } else {
        threshold_expr
    };
    let indent = indent_unit(&repo.files[file].text);
    let top: Vec<(&str, Expression)> = vec![
        ("name", Expression::from(name.as_str())),
        ("resource_group_name", rg_expr),
        ("scopes", scope_expr),
        (
            "description",
            Expression::from(format!(
                "{metric} above {} on {} (added by aiops)",
                crate::value::show(&serde_json::json!(threshold)),
                target.name
            )),
        ),
        (
            "severity",
            Expression::from(u64::from(config.alert_severity)),
        ),
        (
            "frequency",
            Expression::from(config.alert_frequency.as_str()),
        ),
        (
            "window_size",
            Expression::from(config.alert_window_size.as_str()),
        ),
    ];
    let criteria: Vec<(&str, Expression)> = vec![
        ("metric_namespace", Expression::from(namespace)),
        ("metric_name", Expression::from(metric.as_str())),
        (
            "aggregation",
            Expression::from(config.alert_aggregation.as_str()),
        ),
        ("operator", Expression::from(operator.as_str())),
        ("threshold", threshold_expr),
    ];
    let mut out = String::new();
    out.push_str(&format!("resource \"{ALERT}\" \"{label}\" {{\n"));
    aligned(&mut out, &top, &indent);
    out.push_str(&format!("\n{indent}criteria {{\n"));
    aligned(&mut out, &criteria, &format!("{indent}{indent}"));
    out.push_str(&format!("{indent}}}\n\n{indent}action {{\n"));
    aligned(
        &mut out,
        &[("action_group_id", action)],
        &format!("{indent}{indent}"),
    );
    out.push_str(&format!("{indent}}}\n}}\n"));
    let parsed = hcl_edit::parser::parse_body(&out)
        .map_err(|e| format!("the new alert does not parse: {e}"))?;
    let Some(Structure::Block(block)) = parsed.into_iter().next() else {
        return Err("the new alert is not a block".to_string());
    };
    push_block(repo, file, block);
    Ok(())
}

/// `false` when no alert in the files scopes the resource (by a reference to its block or
/// its ARM id), `true` when an enabled one does (the source already has what the fix adds); an
/// error when a disabled one does: re-enabling it (azure.monitor.alert-disabled) is the fix.
fn covered(repo: &Repo, watched: Option<BlockRef>, arm_id: &str) -> Result<bool, String> {
    let reference = watched.map(|r| format!("{}.id", repo.address(r)));
    for r in repo.resources(&[ALERT]) {
        let body = &repo.block(r).body;
        let Some(scopes) = body.get_attribute("scopes") else {
            continue;
        };
        let text = scopes.value.to_string();
        let names_it = reference.as_ref().is_some_and(|reference| {
            text.split(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
                .any(|w| w == reference)
        }) || text
            .to_ascii_lowercase()
            .contains(&format!("\"{}\"", arm_id.to_ascii_lowercase()));
        if !names_it {
            continue;
        }
        let enabled = body.get_attribute("enabled").map(|a| setting(&a.value));
        return match enabled {
            Some(Setting::Literal(Value::Bool(false))) => Err(format!(
                "`{}` ({}) already watches this resource but is disabled: enabling it \
                 (azure.monitor.alert-disabled) is the fix, not a second alert",
                repo.address(r),
                repo.site(r)
            )),
            Some(Setting::Computed(how)) => Err(format!(
                "`{}` ({}) watches this resource, with enabled set by {how}",
                repo.address(r),
                repo.site(r)
            )),
            _ => Ok(true),
        };
    }
    Ok(false)
}

fn parse(text: &str) -> Result<Expression, String> {
    hcl_edit::parser::parse_expr(text).map_err(|e| format!("`{text}` does not parse: {e}"))
}

/// `key = value` lines with their `=` aligned, as `terraform fmt` writes them.
fn aligned(out: &mut String, attrs: &[(&str, Expression)], indent: &str) {
    let width = attrs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in attrs {
        let mut value = value.clone();
        value.decor_mut().clear();
        out.push_str(&format!("{indent}{key:<width$} = {value}\n"));
    }
}

/// The resource group (`/resourceGroups/NAME/`) of an ARM id, as a string literal.
fn resource_group_of(arm_id: &str) -> Result<Expression, String> {
    arm_id
        .split('/')
        .skip_while(|p| !p.eq_ignore_ascii_case("resourceGroups"))
        .nth(1)
        .map(Expression::from)
        .ok_or_else(|| format!("`{arm_id}` names no resource group"))
}

/// A Terraform label from an alert name: letters, digits, `_` and `-`, `-` as `_`.
fn label_of(name: &str) -> String {
    let mut label: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !label.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        label.insert(0, '_');
    }
    label
}

/// The file new alerts go to: the configured one when passed, else one that already holds
/// metric alerts, else the one defining the watched resource.
fn alert_file(repo: &Repo, config: &Config, watched: Option<BlockRef>) -> Result<usize, String> {
    if let Some(path) = &config.alert_file
        && let Some(i) = repo
            .files
            .iter()
            .position(|f| crate::repo::normalise(&f.path) == crate::repo::normalise(path))
    {
        return Ok(i);
    }
    if let Some(r) = repo.resources(&[ALERT]).next() {
        return Ok(r.file);
    }
    watched.map(|r| r.file).ok_or_else(|| {
        format!(
            "no file to add the alert to: none of the files passed ({}) defines the resource or \
             holds metric alerts, and alert_file is not among them",
            repo.file_list()
        )
    })
}

/// One level of indentation in a file: its first indented line's, else two spaces.
fn indent_unit(text: &str) -> String {
    text.lines()
        .find_map(|l| {
            let trimmed = l.trim_start();
            let n = l.len() - trimmed.len();
            (n > 0 && !trimmed.is_empty()).then(|| l[..n].to_string())
        })
        .unwrap_or_else(|| "  ".to_string())
}

/// Appends a top-level block to a file after a blank line.
fn push_block(repo: &mut Repo, file: usize, mut block: Block) {
    let f = &mut repo.files[file];
    f.changed = true;
    // Whatever ends the file (comments, blank lines) stays before the new block.
    let tail = f
        .body
        .decor()
        .suffix()
        .map(|s| s.to_string())
        .unwrap_or_default();
    f.body.decor_mut().set_suffix("");
    let separator = if tail.is_empty() && f.body.is_empty() {
        ""
    } else {
        "\n"
    };
    block.decor_mut().set_prefix(format!("{tail}{separator}"));
    f.body.push(block);
}
