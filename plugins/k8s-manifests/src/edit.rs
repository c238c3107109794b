//! Reading and writing one field of a YAML document through `yaml-edit`'s lossless
//! syntax tree: only the edited value changes; comments, key order, quoting and layout
//! of everything else stay as they were.
//!
//! Whatever cannot be edited safely is refused with a reason: an anchor, alias, tag or
//! merge key on the path (the edit would change other places too, or not take effect),
//! and a nested value inserted into a flow-style mapping.

use serde_json::Value;
use yaml_edit::{Document, Mapping, YamlNode};

use crate::pointer::{FieldPath, Step};

/// What a document holds at a field path.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// The field is set; its value as text (scalars unquoted).
    Set(String),
    /// The field (or a mapping on the way to it) is not there.
    Absent,
}

/// Reads the field at `path` in `doc`.
pub fn read(doc: &Document, path: &FieldPath) -> Result<Lookup, String> {
    let Some(mut mapping) = doc.as_mapping() else {
        return Err("the document is not a mapping".into());
    };
    let (last, walk) = path.steps.split_last().expect("a field path has steps");
    for step in walk {
        match descend(&mapping, step)? {
            Some(next) => mapping = next,
            None => return Ok(Lookup::Absent),
        }
    }
    let Step::Key(leaf) = last else {
        return Err("the path does not end at a field".into());
    };
    check_entry(&mapping, leaf)?;
    Ok(match mapping.get(leaf.as_str()) {
        None => Lookup::Absent,
        Some(YamlNode::Scalar(s)) if s.is_null() => Lookup::Absent,
        Some(YamlNode::Scalar(s)) => Lookup::Set(s.as_string()),
        Some(other) => Lookup::Set(other.to_string()),
    })
}

/// Sets the field at `path` in `doc` to `value`, creating the mappings on the way.
pub fn write(doc: &Document, path: &FieldPath, value: &Value) -> Result<(), String> {
    let Some(mut mapping) = doc.as_mapping() else {
        return Err("the document is not a mapping".into());
    };
    let (last, walk) = path.steps.split_last().expect("a field path has steps");
    let mut parent: Option<(Mapping, String)> = None;
    let mut missing: Vec<String> = Vec::new();
    for (i, step) in walk.iter().enumerate() {
        match descend(&mapping, step)? {
            Some(next) => {
                if let Step::Key(k) = step {
                    parent = Some((mapping.clone(), k.clone()));
                } else {
                    parent = None;
                }
                mapping = next;
            }
            None => {
                for rest in &walk[i..] {
                    match rest {
                        Step::Key(k) => missing.push(k.clone()),
                        Step::Container { list, name } => {
                            return Err(format!("there is no `{name}` in its {list}"));
                        }
                    }
                }
                break;
            }
        }
    }
    let Step::Key(leaf) = last else {
        return Err("the path does not end at a field".into());
    };
    missing.push(leaf.clone());
    // The value to set at the first missing key: the rest of the path nested around it.
    let mut nested = value.clone();
    for key in missing[1..].iter().rev() {
        nested = Value::Object([(key.clone(), nested)].into_iter().collect());
    }
    let key = &missing[0];
    check_entry(&mapping, key)?;
    if missing.len() == 1
        && let Some(YamlNode::Scalar(old)) = mapping.get(key.as_str())
        && !old.is_null()
        && let Some(text) = scalar_text(&old.value(), value)
    {
        old.set_value(&text);
        return Ok(());
    }
    let nested_is_scalar = !(nested.is_object() || nested.is_array());
    if mapping.is_flow_style() && !nested_is_scalar {
        // `resources: {}` is replaced by a block mapping; anything fuller is left alone.
        match parent {
            Some((outer, outer_key)) if mapping.is_empty() && !outer.is_flow_style() => {
                let mut whole = nested;
                whole = Value::Object([(key.clone(), whole)].into_iter().collect());
                return set(&outer, &outer_key, &whole);
            }
            _ => {
                return Err(format!(
                    "`{key}` would go into a flow-style mapping (`{{...}}`), which cannot take a nested value without rewriting it"
                ));
            }
        }
    }
    set(&mapping, key, &nested)
}

/// Sets `key` of `mapping` to a JSON value: scalars directly, nested values as block YAML.
fn set(mapping: &Mapping, key: &str, value: &Value) -> Result<(), String> {
    match value {
        Value::String(s) => put(mapping, key, s.as_str()),
        Value::Bool(b) => put(mapping, key, *b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => put(mapping, key, i),
            None => put(mapping, key, n.as_f64().unwrap_or_default()),
        },
        Value::Null => return Err(format!("`{key}`: a null value is not a fix")),
        Value::Array(_) | Value::Object(_) => {
            let text = serde_norway::to_string(value)
                .map_err(|e| format!("`{key}`: cannot write the value as YAML: {e}"))?;
            let snippet: Document = text
                .parse()
                .map_err(|e| format!("`{key}`: cannot read back the value: {e}"))?;
            if let Some(m) = snippet.as_mapping() {
                put(mapping, key, m);
            } else if let Some(s) = snippet.as_sequence() {
                put(mapping, key, s);
            } else {
                return Err(format!("`{key}`: unexpected value shape"));
            }
        }
    }
    Ok(())
}

/// Keys a new key goes before, when present, following Kubernetes' usual order
/// (`requests` before `limits`, `replicas` before `selector` or `template`); any
/// other new key goes last.
const GOES_BEFORE: [(&str, &str); 3] = [
    ("requests", "limits"),
    ("replicas", "selector"),
    ("replicas", "template"),
];

/// Sets `key`: in place when it exists, else at its conventional position.
fn put(mapping: &Mapping, key: &str, value: impl yaml_edit::AsYaml) {
    if !mapping.contains_key(key)
        && let Some((_, next)) = GOES_BEFORE
            .iter()
            .find(|(k, next)| *k == key && mapping.contains_key(*next))
    {
        mapping.insert_before(*next, key, value);
        return;
    }
    mapping.set(key, value);
}

/// The text replacing a scalar whose source text is `old`, in the same quoting style:
/// `"..."` stays double-quoted, `'...'` single-quoted, and a plain scalar stays plain
/// when the new string reads back as the same string (else it is double-quoted).
/// `None` for values that are not scalars.
fn scalar_text(old: &str, value: &Value) -> Option<String> {
    let s = match value {
        Value::String(s) => s,
        Value::Number(n) => return Some(n.to_string()),
        Value::Bool(b) => return Some(b.to_string()),
        _ => return None,
    };
    let double = || serde_json::to_string(s).unwrap_or_default();
    Some(if old.starts_with('"') {
        double()
    } else if old.starts_with('\'') {
        format!("'{}'", s.replace('\'', "''"))
    } else if !s.is_empty()
        && !s.contains(['\n', '#', ':'])
        && serde_norway::from_str::<Value>(s).is_ok_and(|v| v.as_str() == Some(s))
    {
        s.clone()
    } else {
        double()
    })
}

/// One step down: the mapping under a key, or the named container of a list.
/// `Ok(None)` when it is not there.
fn descend(mapping: &Mapping, step: &Step) -> Result<Option<Mapping>, String> {
    match step {
        Step::Key(key) => {
            check_entry(mapping, key)?;
            match mapping.get(key.as_str()) {
                None => Ok(None),
                Some(YamlNode::Mapping(m)) => Ok(Some(m)),
                Some(YamlNode::Scalar(s)) if s.is_null() => Ok(None),
                Some(YamlNode::Alias(_)) => Err(format!("`{key}` is an alias")),
                Some(YamlNode::TaggedNode(_)) => Err(format!("`{key}` carries a tag")),
                Some(_) => Err(format!("`{key}` is not a mapping")),
            }
        }
        Step::Container { list, name } => {
            check_entry(mapping, list)?;
            let items = match mapping.get(list.as_str()) {
                None => return Ok(None),
                Some(YamlNode::Sequence(s)) => s,
                Some(YamlNode::Scalar(s)) if s.is_null() => return Ok(None),
                Some(_) => return Err(format!("`{list}` is not a list")),
            };
            for item in items.values() {
                let text = item.to_string();
                if starts_with_node_property(&text) {
                    return Err(format!(
                        "an item of `{list}` carries an anchor, alias or tag"
                    ));
                }
                let Some(container) = item.as_mapping() else {
                    continue;
                };
                if let Some(YamlNode::Scalar(n)) = container.get("name")
                    && n.as_string() == *name
                {
                    check_mapping(container)?;
                    return Ok(Some(container.clone()));
                }
            }
            Ok(None)
        }
    }
}

/// Refuses a mapping with a merge key (`<<`): values may come from elsewhere.
fn check_mapping(mapping: &Mapping) -> Result<(), String> {
    if mapping.keys().any(|k| k.to_string().trim() == "<<") {
        return Err("a merge key (`<<`) is on the path".into());
    }
    Ok(())
}

/// Refuses an entry whose value carries an anchor, alias or tag, and a mapping with a
/// merge key.
fn check_entry(mapping: &Mapping, key: &str) -> Result<(), String> {
    check_mapping(mapping)?;
    if let Some(entry) = mapping.find_entry_by_key(key) {
        let text = entry.to_string();
        let after_colon = text
            .split_once(':')
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        if starts_with_node_property(after_colon) {
            return Err(format!(
                "`{key}` carries an anchor, alias or tag; editing it would change other places too"
            ));
        }
    }
    Ok(())
}

/// True when a node's text starts with an anchor (`&`), alias (`*`) or tag (`!`).
fn starts_with_node_property(text: &str) -> bool {
    matches!(text.trim_start().chars().next(), Some('&' | '*' | '!'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(keys: &[&str]) -> FieldPath {
        FieldPath {
            steps: keys.iter().map(|k| Step::Key(k.to_string())).collect(),
        }
    }

    fn doc(text: &str) -> Document {
        text.parse().unwrap()
    }

    #[test]
    fn sets_a_scalar_keeping_its_comment() {
        let d = doc("a:\n  b: 1   # keep\n  c: x\n");
        write(&d, &path(&["a", "b"]), &json!(2)).unwrap();
        assert_eq!(d.to_string(), "a:\n  b: 2   # keep\n  c: x\n");
    }

    #[test]
    fn keeps_the_quoting_style_of_a_replaced_scalar() {
        let d = doc("a: \"2\"  # c\nb: '3'\nc: 4Gi\nd: x\n");
        write(&d, &path(&["a"]), &json!("1")).unwrap();
        write(&d, &path(&["b"]), &json!("it's")).unwrap();
        write(&d, &path(&["c"]), &json!("8Gi")).unwrap();
        write(&d, &path(&["d"]), &json!("1")).unwrap();
        assert_eq!(
            d.to_string(),
            "a: \"1\"  # c\nb: 'it''s'\nc: 8Gi\nd: \"1\"\n"
        );
    }

    #[test]
    fn creates_missing_mappings_in_block_style() {
        let d = doc("a:\n  c: x\n");
        write(&d, &path(&["a", "r", "q"]), &json!("100m")).unwrap();
        let r = doc("r:\n  limits:\n    cpu: 1\n");
        write(&r, &path(&["r", "requests", "cpu"]), &json!("1")).unwrap();
        assert_eq!(
            r.to_string(),
            "r:\n  requests:\n    cpu: '1'\n  limits:\n    cpu: 1\n"
        );
        assert_eq!(d.to_string(), "a:\n  c: x\n  r:\n    q: 100m\n");
        assert_eq!(
            read(&d, &path(&["a", "r", "q"])),
            Ok(Lookup::Set("100m".into()))
        );
        assert_eq!(read(&d, &path(&["a", "z"])), Ok(Lookup::Absent));
    }

    #[test]
    fn refuses_anchors_aliases_and_merge_keys_on_the_path() {
        let d = doc("x: &base\n  b: 1\ny: *base\nz:\n  <<: *base\n  c: 2\n");
        assert!(
            write(&d, &path(&["x", "b"]), &json!(2))
                .unwrap_err()
                .contains("anchor")
        );
        assert!(read(&d, &path(&["y", "b"])).unwrap_err().contains("alias"));
        assert!(
            write(&d, &path(&["z", "c"]), &json!(3))
                .unwrap_err()
                .contains("merge")
        );
    }

    #[test]
    fn flow_mappings_take_scalars_but_not_nested_values() {
        let d = doc("r:\n  q: {cpu: 1, memory: 2}\n");
        write(&d, &path(&["r", "q", "cpu"]), &json!("2")).unwrap();
        assert_eq!(d.to_string(), "r:\n  q: {cpu: \"2\", memory: 2}\n");
        let err = write(&d, &path(&["r", "q", "x", "y"]), &json!("1")).unwrap_err();
        assert!(err.contains("flow-style"), "{err}");
    }

    #[test]
    fn an_empty_flow_mapping_becomes_a_block() {
        let d = doc("c:\n  resources: {}\n  name: x\n");
        write(
            &d,
            &path(&["c", "resources", "requests", "cpu"]),
            &json!("100m"),
        )
        .unwrap();
        let text = d.to_string();
        assert!(
            text.contains("resources:\n    requests:\n      cpu: 100m\n"),
            "{text}"
        );
        assert!(text.ends_with("  name: x\n"), "{text}");
    }
}
