//! Edits inside one block body that keep every other byte: change a value in place,
//! insert an attribute aligned with its neighbours, remove one attribute's line, append a
//! nested block, add a comment line above an attribute.

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use hcl_edit::{Decor, Decorate, Ident, RawString};

/// Text of a raw decor string (empty when unset).
fn raw(r: Option<&RawString>) -> String {
    r.map(|r| r.to_string()).unwrap_or_default()
}

/// The indentation of a structure: what follows the last line break of its prefix.
fn indentation(decor: &Decor) -> String {
    let prefix = raw(decor.prefix());
    match prefix.rfind('\n') {
        Some(i) => prefix[i + 1..].to_string(),
        None => prefix,
    }
}

/// Position of attribute `key` among the body's structures.
pub fn position(body: &Body, key: &str) -> Option<usize> {
    body.iter()
        .position(|s| s.as_attribute().is_some_and(|a| a.has_key(key)))
}

/// The indentation of the body's structures (the first one's), or `fallback`.
pub fn body_indent(body: &Body, fallback: &str) -> String {
    body.iter()
        .next()
        .map(|s| indentation(s.decor()))
        .unwrap_or_else(|| fallback.to_string())
}

/// Replaces the value of attribute `key`, keeping its spacing and trailing comment.
pub fn set_value(body: &mut Body, key: &str, value: Expression) {
    if let Some(mut attr) = body.get_attribute_mut(key) {
        let decor = attr.value_mut().decor().clone();
        let slot = attr.value_mut();
        *slot = value;
        *slot.decor_mut() = decor;
    }
}

/// Inserts `key = value` after the first of `anchors` present (else after the last
/// attribute before any nested block), indented like that neighbour and with its `=` in
/// the neighbour's column when the key fits there (as `terraform fmt` aligns a group).
pub fn insert_attribute(body: &mut Body, key: &str, value: Expression, anchors: &[&str]) {
    let anchor = anchors
        .iter()
        .find_map(|a| position(body, a))
        .or_else(|| last_leading_attribute(body));
    let (index, indent, column) = match anchor.and_then(|i| Some((i, body.get(i)?))) {
        Some((i, s)) => {
            let column = s.as_attribute().map_or(0, |a| {
                a.key.as_str().len() + raw(a.key.decor().suffix()).len()
            });
            (i + 1, indentation(s.decor()), column)
        }
        None => (0, body_indent(body, "  "), 0),
    };
    let pad = column.saturating_sub(key.len()).max(1);
    let mut attr = Attribute::new(Ident::new(key), value);
    attr.key.decor_mut().set_suffix(" ".repeat(pad));
    attr.decor_mut().set_prefix(indent);
    body.insert(index, attr);
}

/// Index of the last attribute of the leading run of attributes (before the first nested
/// block), skipping back over object-valued ones such as `tags`.
fn last_leading_attribute(body: &Body) -> Option<usize> {
    let leading = body.iter().take_while(|s| s.is_attribute()).count();
    (0..leading).rev().find(|&i| {
        body.get(i)
            .and_then(Structure::as_attribute)
            .is_some_and(|a| !matches!(a.value, Expression::Object(_)))
    })
}

/// Removes attribute `key` and its line (with its own trailing comment). Comment lines
/// above it stay, moved onto the next structure.
pub fn remove_attribute(body: &mut Body, key: &str) {
    let Some(index) = position(body, key) else {
        return;
    };
    let removed = body.remove(index);
    let prefix = raw(removed.decor().prefix());
    let Some(cut) = prefix.rfind('\n') else {
        return;
    };
    let kept = &prefix[..=cut];
    if let Some(next) = body.get_mut(index) {
        let next_prefix = raw(next.decor().prefix());
        next.decor_mut().set_prefix(format!("{kept}{next_prefix}"));
    } else {
        let suffix = raw(body.decor().suffix());
        body.decor_mut().set_suffix(format!("{kept}{suffix}"));
    }
}

/// Adds a `# text` line above attribute `key`, indented like it.
pub fn comment_above(body: &mut Body, key: &str, text: &str) {
    let Some(index) = position(body, key) else {
        return;
    };
    if let Some(s) = body.get_mut(index) {
        let prefix = raw(s.decor().prefix());
        let indent = indentation(s.decor());
        s.decor_mut()
            .set_prefix(format!("{prefix}# {text}\n{indent}"));
    }
}

/// Appends a nested block `ident { key = value … }` at the end of the body, after a blank
/// line, indented one `unit` deeper than `indent` inside.
pub fn append_block(body: &mut Body, ident: &str, attrs: &[(&str, Expression)], indent: &str) {
    let unit = unit_of(indent);
    let width = attrs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut block = Block::new(Ident::new(ident));
    for (key, value) in attrs {
        let mut attr = Attribute::new(Ident::new(*key), value.clone());
        attr.key
            .decor_mut()
            .set_suffix(" ".repeat(width - key.len() + 1));
        attr.decor_mut().set_prefix(format!("{indent}{unit}"));
        block.body.push(attr);
    }
    block.body.decor_mut().set_suffix(indent.to_string());
    block.decor_mut().set_prefix(format!("\n{indent}"));
    body.push(block);
}

/// One level of indentation as the file writes it: a tab, or two spaces.
fn unit_of(indent: &str) -> &'static str {
    if indent.starts_with('\t') { "\t" } else { "  " }
}
