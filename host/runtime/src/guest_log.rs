//! The host side of the `log` import, capped: every message and its fields are charged
//! against the call's [`OutputBudget`], each line is cut to [`MAX_LOG_LINE`] bytes, and
//! what was cut or dropped is counted and reported once, when the call ends.

use super::bindings::wit_log::Level;
use super::capped_output::OutputBudget;

/// Longest log line (message and fields) passed on to the host log, in bytes.
pub(crate) const MAX_LOG_LINE: usize = 4 << 10;

/// One call's `log` import: its budget and what it had to drop.
#[derive(Debug)]
pub(crate) struct GuestLog {
    budget: OutputBudget,
    dropped_bytes: usize,
    dropped_messages: usize,
    cut_messages: usize,
}

/// A log line as it goes to the host log: message and fields within the limits.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct LogLine {
    /// The message, perhaps cut.
    pub message: String,
    /// `key=value` pairs separated by spaces, perhaps cut.
    pub fields: String,
}

impl GuestLog {
    /// A log drawing on `budget`.
    pub(crate) fn new(budget: OutputBudget) -> Self {
        GuestLog {
            budget,
            dropped_bytes: 0,
            dropped_messages: 0,
            cut_messages: 0,
        }
    }

    /// The line to log for a guest's `log` call, or `None` when the budget is spent.
    pub(crate) fn line(&mut self, message: &str, fields: &[(String, String)]) -> Option<LogLine> {
        let fields_len: usize = fields.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let wanted = message.len().saturating_add(fields_len);
        let granted = self.budget.take(wanted.min(MAX_LOG_LINE));
        self.dropped_bytes += wanted - granted;
        if granted == 0 {
            self.dropped_messages += 1;
            return None;
        }
        if granted < wanted {
            self.cut_messages += 1;
        }
        let message = prefix(message, granted).to_string();
        let mut room = granted - message.len();
        let mut line = String::new();
        for (k, v) in fields {
            if room == 0 {
                break;
            }
            let pair = format!("{}{k}={v}", if line.is_empty() { "" } else { " " });
            let kept = prefix(&pair, room);
            room -= kept.len();
            line.push_str(kept);
        }
        Some(LogLine {
            message,
            fields: line,
        })
    }

    /// Says once what was cut or dropped, if anything.
    pub(crate) fn report(&self, plugin: &str) {
        if self.dropped_bytes > 0 {
            tracing::warn!(
                plugin,
                dropped_bytes = self.dropped_bytes,
                dropped_messages = self.dropped_messages,
                cut_messages = self.cut_messages,
                max_line = MAX_LOG_LINE,
                "plugin log truncated: over its output budget or line limit"
            );
        }
    }
}

/// Sends a line to the host log at the guest's level, tagged with the plugin.
pub(crate) fn emit(plugin: &str, level: Level, line: &LogLine) {
    let (message, fields) = (&line.message, line.fields.as_str());
    match level {
        Level::Trace => tracing::trace!(plugin, fields, "{message}"),
        Level::Debug => tracing::debug!(plugin, fields, "{message}"),
        Level::Info => tracing::info!(plugin, fields, "{message}"),
        Level::Warn => tracing::warn!(plugin, fields, "{message}"),
        Level::Error => tracing::error!(plugin, fields, "{message}"),
    }
}

/// The longest prefix of `s` of at most `max` bytes ending on a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn lines_are_cut_to_the_maximum_and_the_budget_is_shared() {
        let budget = OutputBudget::new(MAX_LOG_LINE + 10);
        let mut log = GuestLog::new(budget.clone());
        let huge = "é".repeat(MAX_LOG_LINE);
        let first = log.line(&huge, &fields(&[("k", "v")])).unwrap();
        assert!(first.message.len() <= MAX_LOG_LINE && first.message.len() > MAX_LOG_LINE - 2);
        let second = log.line("0123456789abc", &[]).unwrap();
        assert_eq!(second.message, "0123456789");
        assert_eq!(log.line("gone", &fields(&[("a", "b")])), None);
        assert_eq!(log.dropped_messages, 1);
        assert_eq!(log.cut_messages, 2);
        assert_eq!(budget.take(1), 0);
    }

    #[test]
    fn fields_count_against_the_line() {
        let mut log = GuestLog::new(OutputBudget::new(1 << 20));
        let line = log
            .line(
                "m",
                &fields(&[("a", "1"), ("b", &"x".repeat(MAX_LOG_LINE))]),
            )
            .unwrap();
        assert_eq!(line.message, "m");
        assert!(line.fields.starts_with("a=1 b=xxx"));
        assert_eq!(line.message.len() + line.fields.len(), MAX_LOG_LINE);
    }
}
