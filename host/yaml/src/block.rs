//! A fast reader for the block-style YAML that Kubernetes manifests are written in.
//!
//! General YAML parsers were most of a large scan's time (figures in the README); this
//! reader builds the same `serde_json::Value` several times faster. It accepts a strict
//! subset: block mappings and
//! sequences; plain, single- and double-quoted scalars and flow collections, each on
//! one line; literal and folded block scalars (`|`, `|-`, `>`, `>-`); comments; LF or
//! CRLF line breaks. Anything else (anchors, aliases, tags, keep-chomped block
//! scalars, multi-line plain, quoted or flow values, a `:` inside a flow scalar, tabs,
//! a carriage return not ending a line, duplicate or non-string keys, nesting past
//! [`MAX_DEPTH`], invalid YAML) makes it decline with `None`, and the caller parses the
//! document with serde_norway, which also words the errors.
//!
//! Where it accepts, it resolves scalars exactly as serde_norway does (YAML 1.2 core
//! schema: `null`, `~`, `true`, `0x1F`, `1e3`, `.inf`, leading-zero digits as strings),
//! so a document reads the same either way; the tests compare the two on every YAML
//! file of the repository, on those files with random edits and on generated
//! documents.

use serde_json::{Map, Number, Value};

/// Nesting deeper than this is left to serde_norway (which has its own limit).
const MAX_DEPTH: usize = 64;
/// libyaml refuses a simple key whose `:` is further than this from the key's first
/// byte (as written: quotes, escapes and spaces before the `:` count).
const MAX_KEY_LEN: usize = 1024;

/// The document as a JSON value, or `None` when it is outside the subset this reader
/// accepts (including when it is not valid YAML).
pub fn parse(text: &str) -> Option<Value> {
    if !has_only_printable_chars(text) {
        return None;
    }
    let mut reader = Reader {
        // A CR before a LF is part of the line break (libyaml reads CRLF as one).
        lines: text
            .split('\n')
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .collect(),
        pos: 0,
        pending: None,
        depth: 0,
    };
    let Some((indent, _)) = reader.peek() else {
        return Some(Value::Null);
    };
    let value = reader.node(indent)?;
    reader.peek().is_none().then_some(value)
}

/// No tabs or other control characters (a carriage return only before a line feed),
/// and only characters libyaml accepts as printable, without the ones it reads as line
/// breaks (NEL, U+2028, U+2029) or a byte order mark inside the text.
fn has_only_printable_chars(text: &str) -> bool {
    if text
        .split('\r')
        .skip(1)
        .any(|after| !after.starts_with('\n'))
    {
        return false;
    }
    let ascii_ok = |b: u8| matches!(b, b'\n' | b'\r') || (0x20..0x7f).contains(&b);
    if text.is_ascii() {
        return text.bytes().all(ascii_ok);
    }
    text.chars().all(|c| match c {
        '\0'..='\u{7f}' => ascii_ok(c as u8),
        '\u{2028}' | '\u{2029}' | '\u{feff}' => false,
        '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'.. => true,
        _ => false,
    })
}

/// A line's indentation and its text after it, with trailing spaces removed.
type Line<'a> = (usize, &'a str);

/// Walks the lines of one document.
struct Reader<'a> {
    lines: Vec<&'a str>,
    /// Index of the next line not yet consumed.
    pos: usize,
    /// The rest of a consumed `- key: value` line, read as a line of its own at the
    /// key's column.
    pending: Option<Line<'a>>,
    depth: usize,
}

impl<'a> Reader<'a> {
    /// The next line with content (not blank, not a comment), without consuming it.
    fn peek(&mut self) -> Option<Line<'a>> {
        if self.pending.is_some() {
            return self.pending;
        }
        while let Some(line) = self.lines.get(self.pos) {
            let body = line.trim_start_matches(' ');
            if body.is_empty() || body.starts_with('#') {
                self.pos += 1;
                continue;
            }
            return Some((line.len() - body.len(), body.trim_end_matches(' ')));
        }
        None
    }

    /// Consumes the line `peek` returned.
    fn consume(&mut self) {
        if self.pending.take().is_none() {
            self.pos += 1;
        }
    }

    /// The block collection whose first line is the next one, at `indent`.
    fn node(&mut self, indent: usize) -> Option<Value> {
        let (_, body) = self.peek()?;
        if is_entry(body) {
            self.sequence(indent)
        } else {
            self.mapping(indent)
        }
    }

    /// Opens one more level of block collections, or declines past [`MAX_DEPTH`]. Every
    /// collection opens its level itself (some are reached without [`Reader::node`]),
    /// and closes it when it is read; a decline ends the whole document, so the count
    /// only has to be right on success.
    fn open_level(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A block mapping whose keys are at `indent`.
    fn mapping(&mut self, indent: usize) -> Option<Value> {
        self.open_level()?;
        let mut map = Map::new();
        while let Some((at, body)) = self.peek() {
            if at < indent {
                break;
            }
            if at > indent || is_entry(body) {
                return None;
            }
            self.consume();
            let Key::Key(key, rest) = split_key(body)? else {
                return None;
            };
            if map.contains_key(&key) {
                return None;
            }
            let value = self.value(rest, indent, true)?;
            map.insert(key, value);
        }
        self.depth -= 1;
        Some(Value::Object(map))
    }

    /// A block sequence whose `-` are at `indent`.
    fn sequence(&mut self, indent: usize) -> Option<Value> {
        self.open_level()?;
        let mut items = Vec::new();
        while let Some((at, body)) = self.peek() {
            if at < indent || (at == indent && !is_entry(body)) {
                break;
            }
            if at > indent {
                return None;
            }
            self.consume();
            let after = &body[1..];
            let rest = after.trim_start_matches(' ');
            let column = indent + 1 + (after.len() - rest.len());
            let item = if is_entry(rest) {
                return None;
            } else if rest.is_empty() {
                self.value(rest, indent, false)?
            } else if rest.starts_with(['"', '\'']) || !starts_with_indicator(rest) {
                match split_key(rest)? {
                    Key::Key(..) => {
                        self.pending = Some((column, rest));
                        self.mapping(column)?
                    }
                    Key::NotKey => self.value(rest, indent, false)?,
                }
            } else {
                self.value(rest, indent, false)?
            };
            items.push(item);
        }
        self.depth -= 1;
        Some(Value::Array(items))
    }

    /// The value after a key's `:` or an entry's `-`: `rest` is the text after the
    /// indicator and its spaces; `owner` the indentation of the collection it belongs
    /// to. In a mapping (`in_mapping`), a sequence may sit at the key's indentation.
    fn value(&mut self, rest: &str, owner: usize, in_mapping: bool) -> Option<Value> {
        if rest.is_empty() || rest.starts_with('#') {
            return Some(match self.peek() {
                Some((at, _)) if at > owner => self.node(at)?,
                Some((at, body)) if in_mapping && at == owner && is_entry(body) => {
                    self.sequence(at)?
                }
                _ => Value::Null,
            });
        }
        if let Some(header) = rest.strip_prefix('|') {
            return self.block_scalar(header, owner, false).map(Value::String);
        }
        if let Some(header) = rest.strip_prefix('>') {
            return self.block_scalar(header, owner, true).map(Value::String);
        }
        let value = match rest.as_bytes()[0] {
            b'"' | b'\'' => {
                let (text, after) = quoted(rest)?;
                ends_line(after).then_some(Value::String(text))?
            }
            b'{' | b'[' => {
                let (value, after) = flow_node(rest, self.depth)?;
                ends_line(after).then_some(value)?
            }
            _ if starts_with_indicator(rest) => return None,
            _ => resolve_plain(plain_value(rest)?)?,
        };
        // A more indented line after a scalar would continue it (or be an error).
        match self.peek() {
            Some((at, _)) if at > owner => None,
            _ => Some(value),
        }
    }

    /// A block scalar whose header (after `|`, or `>` when `folded`) is `header`, its
    /// lines more indented than `owner`. Keep chomping (`|+`) and indentation
    /// indicators decline. Folding follows libyaml: the break between two lines that
    /// do not start with a space becomes a space, or disappears when empty lines (each
    /// a `\n`) follow it; breaks around more indented lines stay.
    fn block_scalar(&mut self, header: &str, owner: usize, folded: bool) -> Option<String> {
        let (strip, rest) = match header.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, header),
        };
        if !(rest.is_empty() || (rest.starts_with(' ') && ends_line(rest))) {
            return None;
        }
        // Leading blank lines, then the first content line sets the indentation.
        let mut blank_width = 0;
        let mut first = self.pos;
        let indent = loop {
            match self.lines.get(first) {
                Some(line) if line.bytes().all(|b| b == b' ') => {
                    blank_width = blank_width.max(line.len());
                    first += 1;
                }
                Some(line) => break line.len() - line.trim_start_matches(' ').len(),
                None => break 0,
            }
        };
        if indent <= owner {
            // No content: an empty string, whatever the blank lines held.
            return (blank_width <= owner).then(String::new);
        }
        if blank_width > indent {
            return None;
        }
        let mut text = String::new();
        let mut end = first;
        // Empty lines since the last content line (or before the first).
        let mut empty_lines = first - self.pos;
        let mut last_content = None;
        let mut last_more_indented = false;
        while let Some(line) = self.lines.get(end) {
            let spaces = line.len() - line.trim_start_matches(' ').len();
            if spaces < indent && spaces < line.len() {
                break;
            }
            if line.len() <= indent && line.bytes().all(|b| b == b' ') {
                empty_lines += 1;
            } else {
                let content = &line[indent..];
                let more_indented = content.starts_with(' ');
                let after_line = last_content.is_some();
                if folded && after_line && !last_more_indented && !more_indented {
                    if empty_lines == 0 {
                        text.push(' ');
                    }
                } else if after_line {
                    text.push('\n');
                }
                for _ in 0..empty_lines {
                    text.push('\n');
                }
                empty_lines = 0;
                text.push_str(content);
                last_content = Some(end);
                last_more_indented = more_indented;
            }
            end += 1;
        }
        self.pos = end;
        let last = last_content?;
        // Clip keeps the last content line's break, if the text has one there.
        if !strip && last + 1 < self.lines.len() {
            text.push('\n');
        }
        Some(text)
    }
}

/// A flow collection (or, inside one, a scalar) that starts `text` and ends on the same
/// line, and the text after it. Declines what serde_norway might read differently: a
/// `:` in a plain scalar, a `:` without a space after a key, implicit keys or values,
/// empty entries, trailing commas, comments inside.
fn flow_node(text: &str, depth: usize) -> Option<(Value, &str)> {
    if depth > MAX_DEPTH {
        return None;
    }
    match text.as_bytes().first()? {
        b'[' => {
            let mut items = Vec::new();
            let mut rest = text[1..].trim_start_matches(' ');
            if let Some(after) = rest.strip_prefix(']') {
                return Some((Value::Array(items), after));
            }
            loop {
                let (item, after) = flow_node(rest, depth + 1)?;
                items.push(item);
                let after = after.trim_start_matches(' ');
                match after.as_bytes().first()? {
                    b']' => return Some((Value::Array(items), &after[1..])),
                    b',' => rest = after[1..].trim_start_matches(' '),
                    _ => return None,
                }
            }
        }
        b'{' => {
            let mut map = Map::new();
            let mut rest = text[1..].trim_start_matches(' ');
            if let Some(after) = rest.strip_prefix('}') {
                return Some((Value::Object(map), after));
            }
            loop {
                let (key, after) = flow_key(rest)?;
                let after = after.trim_start_matches(' ').strip_prefix(": ")?;
                let (value, after) = flow_node(after.trim_start_matches(' '), depth + 1)?;
                if map.insert(key, value).is_some() {
                    return None;
                }
                let after = after.trim_start_matches(' ');
                match after.as_bytes().first()? {
                    b'}' => return Some((Value::Object(map), &after[1..])),
                    b',' => rest = after[1..].trim_start_matches(' '),
                    _ => return None,
                }
            }
        }
        b'"' | b'\'' => quoted(text).map(|(s, after)| (Value::String(s), after)),
        _ => {
            let (plain, after) = flow_plain(text)?;
            Some((resolve_plain(plain)?, after))
        }
    }
}

/// A key of a flow mapping (quoted, or plain and a string) and the text after it.
fn flow_key(text: &str) -> Option<(String, &str)> {
    let (key, after) = match text.as_bytes().first()? {
        b'"' | b'\'' => quoted(text)?,
        _ => {
            let (plain, after) = flow_plain(text)?;
            if !is_string_plain_key(plain) {
                return None;
            }
            (plain.to_owned(), after)
        }
    };
    // Measured as written, up to the `:` (spaces before it included), as libyaml does.
    (text.len() - after.trim_start_matches(' ').len() <= MAX_KEY_LEN).then_some((key, after))
}

/// A plain scalar inside a flow collection: up to `,`, `]`, `}` or `: `, trailing
/// spaces removed, and the text from there. Declines any other `:`, a nested
/// collection, a comment and an empty scalar.
fn flow_plain(text: &str) -> Option<(&str, &str)> {
    if starts_with_indicator(text) {
        return None;
    }
    let bytes = text.as_bytes();
    let mut end = bytes.len();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b',' | b']' | b'}' => {
                end = i;
                break;
            }
            b':' if bytes.get(i + 1) == Some(&b' ') => {
                end = i;
                break;
            }
            b':' | b'[' | b'{' => return None,
            b'#' if bytes[i - 1] == b' ' => return None,
            _ => {}
        }
    }
    let plain = text[..end].trim_end_matches(' ');
    (!plain.is_empty()).then_some((plain, &text[end..]))
}

/// What the start of a line in a mapping (or after a `-`) is.
enum Key<'a> {
    /// A key and the text after its `:` and spaces.
    Key(String, &'a str),
    /// A scalar without a `:` indicator.
    NotKey,
}

/// Splits `body` into a key and the rest after `: `, when it starts with one. `None`
/// declines keys this reader does not take (non-string plain keys, over-long keys,
/// quoted keys without a plain `: ` after them).
fn split_key(body: &str) -> Option<Key<'_>> {
    let (key, after) = match body.as_bytes()[0] {
        b'"' | b'\'' => quoted(body)?,
        _ => {
            let Some(colon) = value_indicator(body) else {
                return Some(Key::NotKey);
            };
            let key = body[..colon].trim_end_matches(' ');
            // libyaml measures a simple key from its first byte to the `:`.
            if key.is_empty() || colon > MAX_KEY_LEN || !is_string_plain_key(key) {
                return None;
            }
            let rest = body[colon + 1..].trim_start_matches(' ');
            return Some(Key::Key(key.to_owned(), rest));
        }
    };
    match after.strip_prefix(':') {
        // libyaml measures a key as written, quotes and escapes included.
        Some(_) if body.len() - after.len() > MAX_KEY_LEN => None,
        Some(rest) if rest.is_empty() || rest.starts_with(' ') => {
            Some(Key::Key(key, rest.trim_start_matches(' ')))
        }
        Some(_) => None,
        None if ends_line(after) => Some(Key::NotKey),
        None => None,
    }
}

/// Byte offset of the first `:` that ends a plain key (followed by a space or the end
/// of the line), before any comment.
fn value_indicator(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b':' if bytes.get(i + 1).is_none_or(|&next| next == b' ') => return Some(i),
            b'#' if i > 0 && bytes[i - 1] == b' ' => return None,
            _ => {}
        }
    }
    None
}

/// A plain key that serde_norway reads as this same string: not a null, boolean or
/// number, and not starting with an indicator or `<` (merge keys).
fn is_string_plain_key(key: &str) -> bool {
    let first = key.as_bytes()[0];
    !starts_with_indicator(key)
        && !matches!(first, b'0'..=b'9' | b'+' | b'.' | b'~' | b'<' | b'-')
        && !is_null(key)
        && parse_bool(key).is_none()
}

/// `-` followed by a space or nothing: a block sequence entry.
fn is_entry(body: &str) -> bool {
    body == "-" || body.starts_with("- ")
}

/// Starts with a character that cannot begin a plain scalar in block context (or that
/// this reader leaves to serde_norway).
fn starts_with_indicator(text: &str) -> bool {
    let bytes = text.as_bytes();
    match bytes[0] {
        b'-' => bytes.get(1).is_none_or(|&b| b == b' ') || text.starts_with("---"),
        b'.' => text.starts_with("..."),
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
        | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' => true,
        _ => false,
    }
}

/// Nothing but an optional comment (after at least one space) follows.
fn ends_line(after: &str) -> bool {
    let rest = after.trim_start_matches(' ');
    rest.is_empty() || (rest.len() < after.len() && rest.starts_with('#'))
}

/// A plain scalar's text: up to a comment, trailing spaces removed. `None` when it
/// holds a `: ` (a mapping where none may start).
fn plain_value(rest: &str) -> Option<&str> {
    let text = match rest.find(" #") {
        Some(at) => &rest[..at],
        None => rest,
    }
    .trim_end_matches(' ');
    (!text.contains(": ") && !text.ends_with(':')).then_some(text)
}

/// The single- or double-quoted scalar that starts `text`, on one line: its text and
/// what follows the closing quote.
fn quoted(text: &str) -> Option<(String, &str)> {
    match text.as_bytes().first()? {
        b'"' => double_quoted(&text[1..]),
        b'\'' => single_quoted(&text[1..]),
        _ => None,
    }
}

/// A double-quoted scalar on one line: its text and what follows the closing quote.
fn double_quoted(after_quote: &str) -> Option<(String, &str)> {
    let mut text = String::new();
    let mut chars = after_quote.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((text, &after_quote[at + 1..])),
            '\\' => {
                let (_, escape) = chars.next()?;
                let code_len = match escape {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => {
                        text.push(simple_escape(escape)?);
                        continue;
                    }
                };
                let start = at + 2;
                let hex = after_quote.get(start..start + code_len)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                text.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                for _ in 0..code_len {
                    chars.next();
                }
            }
            c => text.push(c),
        }
    }
    None
}

/// The character a one-letter escape of a double-quoted scalar stands for.
fn simple_escape(escape: char) -> Option<char> {
    Some(match escape {
        '0' => '\0',
        'a' => '\u{7}',
        'b' => '\u{8}',
        't' => '\t',
        'n' => '\n',
        'v' => '\u{b}',
        'f' => '\u{c}',
        'r' => '\r',
        'e' => '\u{1b}',
        ' ' => ' ',
        '"' => '"',
        '/' => '/',
        '\\' => '\\',
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        _ => return None,
    })
}

/// A single-quoted scalar on one line (`''` is a quote): its text and what follows.
fn single_quoted(after_quote: &str) -> Option<(String, &str)> {
    let mut text = String::new();
    let mut rest = after_quote;
    loop {
        let at = rest.find('\'')?;
        text.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        match rest.strip_prefix('\'') {
            Some(after) => {
                text.push('\'');
                rest = after;
            }
            None => return Some((text, rest)),
        }
    }
}

/// A plain scalar's value as serde_norway resolves it; `None` for integers beyond
/// 64 bits, which this reader leaves to it.
fn resolve_plain(text: &str) -> Option<Value> {
    if is_null(text) {
        return Some(Value::Null);
    }
    if let Some(b) = parse_bool(text) {
        return Some(Value::Bool(b));
    }
    // Only these can start a number (`inf` and `nan` without a dot are strings).
    if !matches!(text.as_bytes()[0], b'0'..=b'9' | b'+' | b'-' | b'.') {
        return Some(Value::String(text.to_owned()));
    }
    if let Some(n) = parse_unsigned(text, u64::from_str_radix) {
        return Some(Value::Number(n.into()));
    }
    if let Some(n) = parse_negative(text, i64::from_str_radix) {
        return Some(Value::Number(n.into()));
    }
    if parse_unsigned(text, u128::from_str_radix).is_some()
        || parse_negative(text, i128::from_str_radix).is_some()
    {
        return None;
    }
    if !digits_but_not_number(text)
        && let Some(float) = parse_f64(text)
    {
        return Some(Number::from_f64(float).map_or(Value::Null, Value::Number));
    }
    Some(Value::String(text.to_owned()))
}

fn is_null(text: &str) -> bool {
    matches!(text, "null" | "Null" | "NULL" | "~")
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// A parser of integers in a radix, as `u64::from_str_radix`.
type FromStrRadix<T> = fn(&str, u32) -> Result<T, std::num::ParseIntError>;

/// Radix prefixes and the radix each stands for.
const RADIXES: [(&str, u32); 3] = [("0x", 16), ("0o", 8), ("0b", 2)];

/// A non-negative integer: decimal, or `0x`, `0o`, `0b` (after an optional `+`).
fn parse_unsigned<T>(text: &str, from_str_radix: FromStrRadix<T>) -> Option<T> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    for (prefix, radix) in RADIXES {
        if let Some(digits) = unsigned.strip_prefix(prefix) {
            if digits.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(n) = from_str_radix(digits, radix) {
                return Some(n);
            }
        }
    }
    if unsigned.starts_with(['+', '-']) || digits_but_not_number(text) {
        return None;
    }
    from_str_radix(unsigned, 10).ok()
}

/// A negative integer: decimal, or `-0x`, `-0o`, `-0b`.
fn parse_negative<T>(text: &str, from_str_radix: FromStrRadix<T>) -> Option<T> {
    for (prefix, radix) in RADIXES {
        if let Some(digits) = text.strip_prefix('-').and_then(|t| t.strip_prefix(prefix))
            && let Ok(n) = from_str_radix(&format!("-{digits}"), radix)
        {
            return Some(n);
        }
    }
    if digits_but_not_number(text) {
        return None;
    }
    from_str_radix(text, 10).ok()
}

/// A finite float, or `.inf`, `-.inf`, `.nan` in their three spellings.
fn parse_f64(text: &str) -> Option<f64> {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    match unsigned {
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        _ => {}
    }
    match text {
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    unsigned.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Leading zeros followed by digits (`007`): a string in YAML 1.2.
fn digits_but_not_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::split_yaml;
    use serde_json::json;
    use std::path::Path;

    /// What serde_norway reads, or `None` when it refuses the text.
    fn norway(text: &str) -> Option<Value> {
        serde_norway::from_str::<Value>(text).ok()
    }

    /// Asserts that wherever this reader accepts `text`, serde_norway reads the same
    /// value; returns whether it accepted.
    /// The same holds with CRLF line breaks.
    fn agrees(text: &str) -> bool {
        agrees_as_written(&text.replace('\n', "\r\n"));
        agrees_as_written(text)
    }

    fn agrees_as_written(text: &str) -> bool {
        let Some(fast) = parse(text) else {
            return false;
        };
        match norway(text) {
            Some(slow) => assert_eq!(fast, slow, "the two readers differ on:\n{text:?}"),
            None => panic!("accepted what serde_norway refuses:\n{text:?}\nas {fast}"),
        }
        true
    }

    #[test]
    fn a_typical_manifest_reads_as_serde_norway_reads_it() {
        let text = "\
# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/name: web   # trailing comment
    tier: 'front''end'
  annotations:
    note: \"caf\\u00e9 \\\"quoted\\\"\"
    empty:
    url: http://example.com/a#b
spec:
  replicas: 3
  paused: false
  selector: {matchLabels: {app: web}}
";
        assert!(agrees(text));
        assert!(agrees_as_written(&text.replace('\n', "\r\n")));
        assert_eq!(
            parse(text).unwrap()["spec"]["selector"],
            json!({"matchLabels": {"app": "web"}})
        );
        let text = "\
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/app:1.2.0
        args:
          - --port=8080
          - -v
        resources:
          requests: {cpu: 250m}
          limits:
            cpu: \"1\"
            memory: 512Mi
        ports:
        -   containerPort: 8080
            protocol: TCP
      -
        name: sidecar
      volumes: []
";
        assert!(agrees(text));
        assert_eq!(
            parse(text).unwrap()["spec"]["template"]["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 8080, "protocol": "TCP"}])
        );
    }

    #[test]
    fn scalars_resolve_as_in_serde_norway() {
        let scalars = [
            "0",
            "7",
            "007",
            "-0",
            "+1",
            "-12",
            "0x1F",
            "-0x1F",
            "0o17",
            "0b101",
            "0x",
            "1e3",
            "1.5",
            ".5",
            "1.",
            "1.30",
            "+.inf",
            "-.inf",
            ".NaN",
            ".nan",
            "inf",
            "nan",
            "1_000",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775809",
            "99999999999999999999999999999999999999999",
            "1e400",
            "+-1",
            "0x+1",
            "true",
            "True",
            "TRUE",
            "tRUE",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "null",
            "Null",
            "~",
            "NULL",
            "nUll",
            "250m",
            "1Gi",
            "0.5",
            "1e-3",
            "-",
            "-x",
            "--x",
            "a:b",
            "a:",
            "a :b",
            "a#b",
            "a #b",
            "é",
            "1.2.3",
            "12:30",
            "2001-12-14",
            "0.",
            "+",
            ".",
            "...",
            "..x",
            "-.5",
            "+0x10",
            "0b",
            "0o",
            "1__0",
            "0xFFFFFFFFFFFFFFFFFF",
        ];
        let mut accepted = 0;
        for scalar in scalars {
            for text in [
                format!("key: {scalar}\n"),
                format!("- {scalar}\n"),
                format!("a:\n  - {scalar} # c\n"),
            ] {
                accepted += usize::from(agrees(&text));
            }
        }
        assert!(accepted > scalars.len() * 2, "accepted only {accepted}");
        assert_eq!(parse("k: 0x1F\n"), Some(json!({"k": 31})));
        assert_eq!(parse("k: 007\n"), Some(json!({"k": "007"})));
        assert_eq!(parse("k: .inf\n"), Some(json!({"k": null})));
    }

    #[test]
    fn quoted_scalars_and_keys() {
        for text in [
            "\"a b\": 1\n'c''d': x\n",
            "k: \"\\x41\\u00e9\\U0001F600\\t\\n\\\\\\/\\0\\e\\N\\_\\L\\P\"\n",
            "k: \"unterminated\n",
            "k: \"bad escape \\q\"\n",
            "k: \"\\uD800\"\n",
            "k: 'it''s'\n",
            "k: 'a' # c\n",
            "k: 'a'#c\n",
            "k: 'a' b\n",
            "\"k\":1\n",
            "\"k\" : 1\n",
            "- \"a\"\n- 'b': c\n",
            "k: \"multi\n  line\"\n",
            "k: \"\"\n",
            "'': 1\n",
        ] {
            agrees(text);
        }
        assert!(agrees("\"a b\": 1\n'c''d': x\n"));
        assert!(agrees("k: 'it''s'\n"));
        assert!(!agrees("k: \"multi\n  line\"\n"));
    }

    #[test]
    fn literal_and_folded_block_scalars() {
        let cases = [
            ("k: |\n  a\n  b\n", true),
            ("k: |-\n  a\n\n  b\n\n\nn: 1\n", true),
            (
                "k: |\n\n  a\n   b\n  # not a comment\n# a comment\nn: 1\n",
                true,
            ),
            ("k: |\n  a", true),
            ("k: |-\n  a", true),
            ("k: |\nn: 1\n", true),
            ("k: | # c\n    x\n", true),
            ("- |\n  x\n- y\n", true),
            ("- a: |\n    x\n  b: 1\n", true),
            ("k: |\n      \n    x\n", false),
            ("k: |+\n  a\n\n", false),
            ("k: |2\n    a\n", false),
            ("k: >\n  a\n  b\n", true),
            (
                "k: >-\n  a\n  b\n\n  c\n   d\n  e\n\n\n   f\n  g\nn: 1\n",
                true,
            ),
            ("k: >\n\n  a\n\n\n  b \n    \n  c\n", true),
            ("- >\n  a\n  # b\n- c\n", true),
            ("k: >+\n  a\n", false),
            ("k: |\n    a\n  b: 1\n", false),
            ("k: |\n  a  \n    \n  b\n", true),
        ];
        for (text, accepted) in cases {
            assert_eq!(agrees(text), accepted, "{text}");
        }
        assert_eq!(parse("k: |-\n  a\n\n  b\n"), Some(json!({"k": "a\n\nb"})));
    }

    #[test]
    fn structures_outside_the_subset_are_declined() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "? a\n: b\n",
            "a: 1\na: 2\n",
            "1: a\n",
            "true: a\n",
            "a: b\n  c\n",
            "a:\n  b\n",
            "a: b: c\n",
            "a:\tb\n",
            "a: b\rc: d\n",
            "a: b\r\r\n",
            "- - a\n",
            "a: [1,\n  2]\n",
            "a: {b: 1, b: 2}\n",
            "a: {b:1}\n",
            "a: [b, ]\n",
            "a: [b,,c]\n",
            "a: [http://x]\n",
            "a: {b}\n",
            "a: [b: c]\n",
            "a: [b #c]\n",
            "a:\n  b: 1\n c: 2\n",
            "a: 1\n- b\n",
            "<<: {}\n",
            "%YAML 1.2\n",
            "just a scalar\n",
            "a: b\n\u{2028}c: d\n",
        ] {
            assert!(!agrees(text), "accepted:\n{text}");
        }
        assert_eq!(parse(""), Some(Value::Null));
        assert_eq!(parse("# only a comment\n\n"), Some(Value::Null));
    }

    /// Found by a differential fuzzer: libyaml measures a key as written.
    #[test]
    fn keys_are_measured_as_written_up_to_their_colon() {
        let long = "a".repeat(MAX_KEY_LEN - 2);
        for (key, accepted) in [
            (format!("\"{long}\""), true),
            (format!("\"{long}a\""), false),
            (format!("'{long}a'"), false),
            (format!("\"{}\"", "\\x41".repeat(256)), false),
            (format!("a{}", " ".repeat(MAX_KEY_LEN - 1)), true),
            (format!("a{}", " ".repeat(MAX_KEY_LEN)), false),
        ] {
            for text in [
                format!("{key}: 1\n"),
                format!("x: 1\n{key}: 1\n"),
                format!("- {key}: 1\n"),
                format!("k: {{{key}: 1}}\n"),
            ] {
                assert_eq!(agrees(&text), accepted, "{text}");
            }
        }
    }

    /// Found by a differential fuzzer: `- key:` entries and sequences at their key's
    /// indentation nest without passing through `node`; deep nesting must decline
    /// (serde_norway stops at 128 levels) rather than recurse until the stack ends.
    #[test]
    fn deep_nesting_declines_on_every_path() {
        let chain = |levels: usize| -> String {
            (0..levels)
                .map(|i| format!("{}- k:\n", " ".repeat(2 * i)))
                .collect()
        };
        assert!(agrees(&chain(MAX_DEPTH / 4)));
        assert!(!agrees(&chain(65)));
        // Deep enough to overflow a test thread's stack had the reader kept recursing.
        assert!(parse(&chain(4_000)).is_none());
        assert!(parse(&format!("k:\n{}", chain(4_000))).is_none());
    }

    #[test]
    fn sequences_at_and_below_their_key() {
        for text in [
            "a:\n- 1\n- 2\nb:\n  - x\n  -\n  - - y\n",
            "a:\n- 1\n- 2\nb:\n  - x\n  -\n  - y\n",
            "- a: 1\n  b:\n  - c\n  d: 2\n- e\n",
            "-\n  a: 1\n-\n- b\n",
            "  a: 1\n  b: 2\n",
            "a:\n  - x\n - y\n",
        ] {
            agrees(text);
        }
        assert!(agrees("a:\n- 1\n- 2\nb:\n  - x\n  -\n  - y\n"));
        assert!(agrees("- a: 1\n  b:\n  - c\n  d: 2\n- e\n"));
    }

    /// Every YAML document in the repository's fixtures and configs.
    #[test]
    fn every_yaml_file_in_the_repository_reads_alike() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["local-dev", "config", "deploy", "host/tests", "tests"] {
            collect_yaml(&root.join(dir), &mut files);
        }
        assert!(files.len() > 20, "found only {files:?}");
        let (mut documents, mut accepted) = (0, 0);
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for doc in split_yaml(&text) {
                documents += 1;
                accepted += usize::from(agrees(doc.text));
            }
        }
        // The fixtures are ordinary manifests: nearly all of them take the fast path.
        assert!(accepted * 10 >= documents * 9, "{accepted} of {documents}");
    }

    /// The repository's documents with a few random edits each (a character removed,
    /// inserted or doubled; a line removed, doubled, swapped, indented or outdented by
    /// one, or given a suffix): mostly invalid or changed YAML, which this reader must
    /// decline or read as serde_norway does.
    #[test]
    fn mutated_repository_documents_read_alike() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        collect_yaml(&root.join("local-dev"), &mut files);
        let texts: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        let documents: Vec<&str> = texts
            .iter()
            .flat_map(|t| split_yaml(t).into_iter().map(|d| d.text))
            .collect();
        assert!(!documents.is_empty());
        let mut next = random(0x9e37_79b9_7f4a_7c15);
        let (mut accepted, runs) = (0, 3000);
        for _ in 0..runs {
            let mut text = documents[next(documents.len())].to_owned();
            for _ in 0..1 + next(3) {
                mutate(&mut next, &mut text);
            }
            accepted += usize::from(agrees(&text));
        }
        assert!(accepted * 10 >= runs, "accepted {accepted} of {runs}");
    }

    /// One random edit of `text`.
    fn mutate(next: &mut impl FnMut(usize) -> usize, text: &mut String) {
        const INSERTS: [&str; 12] = [" ", "-", ":", "#", "'", "\"", "{", "[", "|", "&", "\n", "é"];
        let at = |text: &String, n: usize| {
            let mut i = n.min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        if text.is_empty() {
            text.push_str(INSERTS[next(INSERTS.len())]);
            return;
        }
        match next(3) {
            0 => {
                let i = at(text, next(text.len()));
                match next(3) {
                    0 if i < text.len() => {
                        text.remove(i);
                    }
                    1 if i < text.len() => {
                        let c = text[i..].chars().next().unwrap();
                        text.insert(i, c);
                    }
                    _ => text.insert_str(i, INSERTS[next(INSERTS.len())]),
                }
            }
            _ => {
                let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
                let i = next(lines.len());
                match next(6) {
                    0 => drop(lines.remove(i)),
                    1 => lines.insert(i, lines[i].clone()),
                    2 => lines[i].insert(0, ' '),
                    3 if lines[i].starts_with(' ') => drop(lines[i].remove(0)),
                    4 => {
                        let j = next(lines.len());
                        lines.swap(i, j);
                    }
                    _ => lines[i].push_str([" ", " # c", ":", "#", " x"][next(5)]),
                }
                *text = lines.join("\n");
            }
        }
    }

    /// A deterministic xorshift generator: `next(n)` is in `0..n`.
    fn random(mut state: u64) -> impl FnMut(usize) -> usize {
        move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        }
    }

    fn collect_yaml(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect_yaml(&path, files);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                files.push(path);
            }
        }
    }

    /// Documents built at random from pieces that sit at the subset's edges; wherever
    /// this reader accepts one, serde_norway reads the same.
    #[test]
    fn generated_documents_read_alike() {
        let mut next = random(0x2545_f491_4f6c_dd1d);
        let (mut accepted, runs) = (0, 5000);
        for _ in 0..runs {
            let mut text = String::new();
            generate(&mut next, &mut text, 0, 0);
            accepted += usize::from(agrees(&text));
        }
        assert!(accepted * 4 >= runs, "accepted {accepted} of {runs}");
    }

    const KEYS: [&str; 12] = [
        "name",
        "app.kubernetes.io/name",
        "\"quoted key\"",
        "'single'",
        "a b",
        "x-y",
        "on",
        "k#v",
        "null",
        "1",
        "-k",
        "k ",
    ];
    const SCALARS: [&str; 36] = [
        "plain",
        "250m",
        "1",
        "0.5",
        "007",
        "0x1f",
        "true",
        "~",
        "\"dq\\n\"",
        "'sq'''",
        "{}",
        "[]",
        "a # comment",
        "a#b",
        "http://x:80/y",
        "-v",
        "1e3",
        "",
        "# only",
        "é ü",
        "a: b",
        "[1]",
        "&a x",
        "\"open",
        "|",
        "|-",
        ".inf",
        "- x",
        "[a, 'b', \"c\", 1, ~]",
        "{a: 1, \"b\": [x, {c: d}]}",
        "[a b, -1, .5 ]",
        "{a: }",
        "[a,]",
        "{a:1}",
        "[x: y]",
        "[{}, []]",
    ];

    /// Appends a random block node at `indent` to `text`: a mapping, or a sequence
    /// whose entries may be compact mappings (`- key: value`).
    fn generate(
        next: &mut impl FnMut(usize) -> usize,
        text: &mut String,
        indent: usize,
        depth: usize,
    ) {
        let pad = " ".repeat(indent);
        let entries = 1 + next(3);
        let sequence = next(3) == 0;
        for _ in 0..entries {
            text.push_str(&pad);
            let owner = if sequence {
                text.push_str(["- ", "-  ", "-"][next(3)]);
                if text.ends_with('-') {
                    text.push('\n');
                    generate(next, text, indent + 2, depth + 1);
                    continue;
                }
                if depth < 3 && next(3) == 0 {
                    // A compact mapping: its first key on the entry's line.
                    let column = text.len() - text.rfind('\n').map_or(0, |at| at + 1);
                    let mut map = String::new();
                    while map.is_empty() || map[column..].starts_with('-') {
                        map.clear();
                        generate(next, &mut map, column, depth + 1);
                    }
                    text.push_str(&map[column..]);
                    continue;
                }
                indent
            } else {
                text.push_str(KEYS[next(KEYS.len())]);
                text.push(':');
                indent
            };
            match next(6) {
                0 if depth < 3 => {
                    text.push('\n');
                    let child = owner + [0, 1, 2, 4][next(4)];
                    generate(next, text, child, depth + 1);
                }
                1 => {
                    text.push_str([" |", " >"][next(2)]);
                    text.push_str(["", "-", "+", " # c"][next(4)]);
                    text.push('\n');
                    for _ in 0..next(5) {
                        let width = owner + 1 + next(3);
                        text.push_str(&" ".repeat(width));
                        text.push_str(["line", "", "# hash", "  deeper", "trailing  "][next(5)]);
                        text.push('\n');
                    }
                }
                _ => {
                    text.push(' ');
                    text.push_str(SCALARS[next(SCALARS.len())]);
                    text.push('\n');
                }
            }
            if next(8) == 0 {
                text.push_str(["\n", "# c\n", "   # indented comment\n", "  \n"][next(4)]);
            }
        }
        if depth == 0 && next(4) == 0 {
            text.pop();
        }
    }
}
