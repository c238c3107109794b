//! Refusing documents nested deeper than the parsers' limit in one linear pass, before any
//! parser sees them.
//!
//! serde_norway and serde_json both stop at [`LIMIT`] levels, but serde_norway's YAML
//! scanner spends time growing with the square of the depth before it gets there: a
//! 200 KB file of `[` took 40 s to refuse. The scanners here look at each byte at most
//! once and stop at the first opener past the limit.
//!
//! Only flow collections (`[`, `{`) are counted: block collections nest by indentation,
//! so their depth is bounded by the square root of the file size. Brackets inside quoted
//! scalars, comments and block scalars (`|`, `>`) are not openers; in block context a
//! bracket opens a collection only where a value starts (`key: [`, `- {`), as in YAML.

use std::fmt;

/// The parsers' nesting limit (serde_norway's and serde_json's recursion limit).
pub const LIMIT: usize = 128;

/// Where a document first nests deeper than [`LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep {
    /// 1-based line of the opener past the limit, within the scanned text.
    pub line: usize,
    /// 1-based column (in bytes) of that opener.
    pub column: usize,
}

impl fmt::Display for TooDeep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "recursion limit exceeded at line {} column {}",
            self.line, self.column
        )
    }
}

/// What a scan found, and how much of the text it looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nesting {
    /// Bytes examined: the whole text when it is not too deep, less when it stopped early.
    pub bytes_examined: usize,
    /// The first opener past the limit, if any.
    pub too_deep: Option<TooDeep>,
}

impl Nesting {
    /// `Err` with the place of the first opener past the limit.
    pub fn check(self) -> Result<(), TooDeep> {
        self.too_deep.map_or(Ok(()), Err)
    }
}

/// Scans one JSON text.
pub fn json(text: &str) -> Nesting {
    let bytes = text.as_bytes();
    let mut cursor = Cursor::new(bytes);
    let mut depth = 0usize;
    while let Some(b) = cursor.next() {
        match b {
            b'"' => cursor.skip_double_quoted(),
            b'[' | b'{' => {
                depth += 1;
                if depth > LIMIT {
                    return cursor.refuse();
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    cursor.done()
}

/// Scans one YAML document (or a whole multi-document file: `---` does not reset the
/// count, so scan documents one by one where they are split).
pub fn yaml(text: &str) -> Nesting {
    let bytes = text.as_bytes();
    let mut cursor = Cursor::new(bytes);
    let mut depth = 0usize;
    // A value may start here: a bracket or quote opens a collection or a quoted scalar.
    let mut value_start = true;
    // The previous byte was blank (or the line start): a `#` begins a comment.
    let mut after_blank = true;
    // Indentation of the current line.
    let mut indent = 0usize;
    let mut line_start = true;
    while let Some(b) = cursor.peek() {
        if line_start {
            indent = cursor.skip_spaces();
            line_start = false;
            after_blank = true;
            if depth == 0 {
                value_start = true;
            }
            continue;
        }
        cursor.advance();
        match b {
            b'\n' => {
                line_start = true;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                after_blank = true;
                continue;
            }
            b'#' if after_blank => {
                cursor.skip_line();
                line_start = true;
                continue;
            }
            b'"' if value_start => cursor.skip_double_quoted(),
            b'\'' if value_start => cursor.skip_single_quoted(),
            b'|' | b'>' if value_start && depth == 0 => {
                cursor.skip_line();
                cursor.skip_block_scalar(indent);
                line_start = true;
                continue;
            }
            b'[' | b'{' if value_start || depth > 0 => {
                depth += 1;
                if depth > LIMIT {
                    return cursor.refuse();
                }
                value_start = true;
                after_blank = false;
                continue;
            }
            b']' | b'}' if depth > 0 => depth -= 1,
            b',' if depth > 0 => {
                value_start = true;
                after_blank = false;
                continue;
            }
            b'-' | b'?' | b':'
                if cursor
                    .peek()
                    .is_none_or(|n| matches!(n, b' ' | b'\n' | b'\r')) =>
            {
                value_start = true;
                after_blank = false;
                continue;
            }
            b':' if depth > 0 => {
                value_start = true;
                after_blank = false;
                continue;
            }
            _ => {}
        }
        value_start = false;
        after_blank = false;
    }
    cursor.done()
}

/// A forward-only position in the text, counting lines for the error.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
    line_start: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Cursor {
            bytes,
            at: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn advance(&mut self) {
        if self.bytes[self.at] == b'\n' {
            self.line += 1;
            self.line_start = self.at + 1;
        }
        self.at += 1;
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.advance();
        Some(b)
    }

    /// Skips spaces at the line start and returns how many.
    fn skip_spaces(&mut self) -> usize {
        let from = self.at;
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
        self.at - from
    }

    /// Skips to the end of the line (the newline stays).
    fn skip_line(&mut self) {
        while self.peek().is_some_and(|b| b != b'\n') {
            self.at += 1;
        }
        if self.peek() == Some(b'\n') {
            self.advance();
        }
    }

    /// Skips the lines of a block scalar: blank lines and lines indented past `indent`.
    fn skip_block_scalar(&mut self, indent: usize) {
        loop {
            let rest = &self.bytes[self.at..];
            let spaces = rest.iter().take_while(|&&b| b == b' ').count();
            match rest.get(spaces) {
                Some(b'\n') => {}
                Some(b'\r') if rest.get(spaces + 1) == Some(&b'\n') => {}
                Some(_) if spaces > indent => {}
                _ => return,
            }
            self.skip_line();
        }
    }

    /// Skips a double-quoted string whose opening quote was just read.
    fn skip_double_quoted(&mut self) {
        while let Some(b) = self.next() {
            match b {
                b'\\' if self.peek().is_some() => self.advance(),
                b'"' => return,
                _ => {}
            }
        }
    }

    /// Skips a single-quoted YAML scalar (`''` is a quote inside it).
    fn skip_single_quoted(&mut self) {
        while let Some(b) = self.next() {
            if b == b'\'' {
                if self.peek() == Some(b'\'') {
                    self.advance();
                } else {
                    return;
                }
            }
        }
    }

    /// Stops at the opener just read.
    fn refuse(&self) -> Nesting {
        Nesting {
            bytes_examined: self.at,
            too_deep: Some(TooDeep {
                line: self.line,
                column: self.at - self.line_start,
            }),
        }
    }

    fn done(&self) -> Nesting {
        Nesting {
            bytes_examined: self.at,
            too_deep: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bomb(n: usize) -> String {
        "[".repeat(n)
    }

    #[test]
    fn a_bomb_is_refused_after_the_limit_without_reading_the_rest() {
        for n in [LIMIT + 1, 1_000, 100_000, 1_000_000] {
            for scan in [yaml, json] {
                let found = scan(&bomb(n));
                assert_eq!(
                    found.too_deep,
                    Some(TooDeep {
                        line: 1,
                        column: LIMIT + 1
                    })
                );
                assert_eq!(found.bytes_examined, LIMIT + 1, "n = {n}");
            }
        }
    }

    /// Work is linear: every scan looks at each byte at most once, whatever the text.
    #[test]
    fn no_scan_examines_more_bytes_than_the_text_holds() {
        let legal = format!("{}{}", "[".repeat(LIMIT), "]".repeat(LIMIT));
        let padded_bomb = format!(
            "{}\nkind: Pod\nspec: {}\n",
            "# x\n".repeat(50_000),
            bomb(100_000)
        );
        let texts = [
            legal.clone(),
            format!("a: {legal}\nb: '[[['\nc: \"{{\\\"\"\n"),
            padded_bomb.clone(),
            "- [a, {b: [c]}]\n".repeat(10_000),
        ];
        for text in &texts {
            for scan in [yaml, json] {
                assert!(scan(text).bytes_examined <= text.len());
            }
        }
        assert!(yaml(&legal).check().is_ok());
        assert!(json(&legal).check().is_ok());
        let refused = yaml(&padded_bomb).too_deep.unwrap();
        assert_eq!((refused.line, refused.column), (50_003, 6 + LIMIT + 1));
    }

    #[test]
    fn brackets_in_scalars_comments_and_block_scalars_do_not_count() {
        let deep = "[".repeat(LIMIT + 1);
        let texts = [
            format!("a: '{deep}'\n"),
            format!("a: \"{deep}\"\n"),
            format!("a: x{deep}\n"),
            format!("a: 1 # {deep}\n"),
            format!("data:\n  script: |\n    {deep}\n\n    more\nb: 1\n"),
            format!("- >-\n  {deep}\n"),
        ];
        for text in &texts {
            assert_eq!(yaml(text).too_deep, None, "{text}");
            assert_eq!(yaml(text).bytes_examined, text.len(), "{text}");
        }
        assert_eq!(json(&format!("{{\"a\": \"{deep}\"}}")).too_deep, None);
        // Past the block scalar, counting resumes.
        let after = format!("a: |\n  x\nb: {deep}\n");
        assert_eq!(yaml(&after).too_deep.map(|t| t.line), Some(3));
    }

    #[test]
    fn the_limit_itself_is_allowed_in_flow_and_after_block_indicators() {
        let at_limit = format!("- {}{}\n", "[".repeat(LIMIT), "]".repeat(LIMIT));
        assert_eq!(yaml(&at_limit).too_deep, None);
        let past = format!("key: {}1\n", "{a: ".repeat(LIMIT + 1));
        assert_eq!(
            yaml(&past).too_deep,
            Some(TooDeep {
                line: 1,
                column: 5 + 4 * LIMIT + 1
            })
        );
    }
}
