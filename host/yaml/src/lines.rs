//! Where things start in manifest text, so a finding can point at its line: YAML split
//! into documents on `---` lines, and the line of each item of a top-level list
//! (`items:` in YAML, `"items": [` in JSON, `"resources": [` in a snapshot).
//!
//! The item scans are cheap passes over text that has already parsed. They are not a
//! parser: callers use their answer only when it counts as many items as the parser
//! found, and fall back to the document's line otherwise.

/// One YAML document of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YamlDoc<'a> {
    /// 1-based line of the file where `text` begins (parser lines are relative to it).
    pub start: usize,
    /// 1-based line of the document's first content (not blank, not a comment).
    pub line: usize,
    /// The document's text.
    pub text: &'a str,
}

/// Splits YAML text into its documents on `---` (and `...`) lines, leaving out
/// documents that hold only blank lines, comments and directives. Content after
/// `--- ` on the marker line belongs to the document that the marker starts.
pub fn split_yaml(text: &str) -> Vec<YamlDoc<'_>> {
    let mut documents = Vec::new();
    let (mut start_byte, mut start_line, mut offset) = (0, 1, 0);
    for (number, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.trim_end();
        let marker = if line == "---" || line == "..." {
            Some(raw.len())
        } else if line.starts_with("--- ") || line.starts_with("---\t") {
            Some(3)
        } else {
            None
        };
        if let Some(skip) = marker {
            documents.push((start_line, &text[start_byte..offset]));
            start_byte = offset + skip;
            start_line = if skip == 3 { number + 1 } else { number + 2 };
        }
        offset += raw.len();
    }
    documents.push((start_line, &text[start_byte..]));
    documents
        .into_iter()
        .filter_map(|(start, text)| {
            let first = text.lines().position(|l| {
                let l = l.trim();
                !l.is_empty() && !l.starts_with('#') && !l.starts_with('%')
            })?;
            Some(YamlDoc {
                start,
                line: start + first,
                text,
            })
        })
        .collect()
}

/// Lines of the entries of the top-level `items:` block sequence of a YAML document.
/// Empty when there is none or it is written in flow style (`items: [...]`).
pub fn yaml_item_lines(doc: &YamlDoc<'_>) -> Vec<usize> {
    let mut top = None;
    let mut in_items = false;
    let mut entry_indent = None;
    let mut lines = Vec::new();
    for (number, raw) in doc.text.lines().enumerate() {
        let line = raw.trim_end();
        let body = line.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        let top = *top.get_or_insert(indent);
        if !in_items {
            in_items = indent == top && is_items_key(body);
            continue;
        }
        let is_entry = body == "-" || body.starts_with("- ");
        match entry_indent {
            None if is_entry && indent >= top => entry_indent = Some(indent),
            None => break,
            Some(expected) if indent < expected || (indent == expected && !is_entry) => break,
            Some(_) => {}
        }
        if is_entry && entry_indent == Some(indent) {
            lines.push(doc.start + number);
        }
    }
    lines
}

/// `items:` (optionally quoted, optionally followed by a comment) with its value on the
/// next lines.
fn is_items_key(body: &str) -> bool {
    ["items:", "\"items\":", "'items':"].iter().any(|key| {
        body.strip_prefix(key)
            .is_some_and(|rest| rest.trim().is_empty() || rest.trim_start().starts_with('#'))
    })
}

/// Lines of the elements of the array under `key` in the top-level object of a JSON
/// text (which must be valid JSON). Empty when there is no such array.
pub fn json_item_lines(text: &str, key: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let (mut depth, mut line, mut i) = (0usize, 1usize, 0usize);
    let mut last_string: &[u8] = b"";
    let (mut in_array, mut expect_item) = (false, false);
    let mut lines = Vec::new();
    while i < bytes.len() {
        let b = bytes[i];
        if expect_item && !b.is_ascii_whitespace() && b != b']' {
            lines.push(line);
            expect_item = false;
        }
        match b {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if depth == 1 {
                    last_string = &bytes[start..i.min(bytes.len())];
                }
            }
            b'[' if depth == 1 && last_string == key.as_bytes() => {
                in_array = true;
                expect_item = true;
                depth += 1;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if in_array && depth == 1 {
                    break;
                }
            }
            b',' if in_array && depth == 2 => expect_item = true,
            _ => {}
        }
        i += 1;
    }
    lines
}

/// Adds `offset` to every `line N` in a YAML parser message, whose lines count from
/// the start of the document rather than of the file.
pub fn shift_lines(message: &str, offset: usize) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("line ") {
        let (before, after) = rest.split_at(at + "line ".len());
        out.push_str(before);
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        match after[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_start_after_their_marker_and_skip_comment_only_parts() {
        let text =
            "# header\n---\n\nkind: A\n--- {kind: B}\n...\n---\n# only a comment\n---\nkind: C\n";
        let docs = split_yaml(text);
        let found: Vec<_> = docs.iter().map(|d| (d.start, d.line)).collect();
        assert_eq!(found, [(3, 4), (5, 5), (10, 10)]);
        assert_eq!(docs[1].text.trim(), "{kind: B}");
    }

    #[test]
    fn indented_dashes_inside_a_block_scalar_do_not_split() {
        let text = "kind: ConfigMap\ndata:\n  x: |\n    ---\n    y: 1\n";
        assert_eq!(split_yaml(text).len(), 1);
    }

    #[test]
    fn yaml_items_are_found_at_either_indentation() {
        let flush = "kind: List\nitems:\n- kind: Pod\n  metadata:\n    name: a\n  spec:\n    containers:\n    - name: c\n\n- kind: Pod\nmetadata: {}\n";
        let doc = YamlDoc {
            start: 5,
            line: 5,
            text: flush,
        };
        assert_eq!(yaml_item_lines(&doc), [7, 14]);
        let indented = "apiVersion: v1\nitems:  # two\n  -\n    kind: Pod\n  # between\n  - kind: Pod\nkind: List\n";
        let doc = YamlDoc {
            start: 1,
            line: 1,
            text: indented,
        };
        assert_eq!(yaml_item_lines(&doc), [3, 6]);
    }

    #[test]
    fn flow_style_items_give_no_lines() {
        let doc = YamlDoc {
            start: 1,
            line: 1,
            text: "kind: List\nitems: [{kind: Pod}]\n",
        };
        assert!(yaml_item_lines(&doc).is_empty());
    }

    #[test]
    fn json_items_are_found_past_nested_arrays_and_tricky_strings() {
        let text = "{\n  \"kind\": \"List\",\n  \"note\": \"items [\\\" ,\",\n  \"items\": [\n    {\"a\": [1, 2]},\n\n    {\n      \"b\": \"}]\"\n    }, 3\n  ],\n  \"x\": [9]\n}";
        assert_eq!(json_item_lines(text, "items"), [5, 7, 9]);
        assert!(json_item_lines(text, "missing").is_empty());
        assert!(json_item_lines("{\"items\": []}", "items").is_empty());
    }

    #[test]
    fn parser_lines_are_shifted_to_file_lines() {
        assert_eq!(
            shift_lines(
                "bad at line 2 column 5, while parsing at line 1 column 1",
                10
            ),
            "bad at line 12 column 5, while parsing at line 11 column 1"
        );
        assert_eq!(shift_lines("no position", 3), "no position");
    }
}
