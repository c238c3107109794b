//! Size rules for what a plugin hands back: `info()` (kept for the plugin's lifetime)
//! and each finding. The hostcall budgets ([`super::hostcall_fuel`]) bound the total
//! copied while lifting; these bound each count and string, so one field cannot take
//! the whole budget or flood a report.

use aiops_sdk::model::PluginInfo;

use super::bindings::wit::Finding;

/// Longest short text: a name, version, kind, rule id or title.
pub(crate) const MAX_NAME: usize = 256;
/// Longest description, message, summary or evidence value.
pub(crate) const MAX_TEXT: usize = 64 << 10;
/// Longest config schema.
pub(crate) const MAX_SCHEMA: usize = 256 << 10;
/// Most kinds a detector may declare.
pub(crate) const MAX_KINDS: usize = 256;
/// Most rules a plugin may declare.
pub(crate) const MAX_RULES: usize = 1_024;
/// Most evidence entries or field changes of one finding.
pub(crate) const MAX_ENTRIES: usize = 256;
/// Longest error string kept from a guest.
pub(crate) const MAX_GUEST_ERROR: usize = 4 << 10;

/// Checks the counts and lengths of what `info()` answered.
pub(crate) fn check_info(info: &PluginInfo) -> Result<(), String> {
    short("version", &info.version)?;
    long("description", &info.description, MAX_TEXT)?;
    long("config schema", &info.config_schema, MAX_SCHEMA)?;
    count("kinds", info.kinds.len(), MAX_KINDS)?;
    for kind in &info.kinds {
        short("a kind", kind)?;
    }
    count("fixes", info.fixes.len(), MAX_RULES)?;
    for entry in &info.fixes {
        short("a fixes entry", entry)?;
    }
    count("rules", info.rules.len(), MAX_RULES)?;
    for rule in &info.rules {
        short("a rule id", &rule.id)?;
        short("a rule title", &rule.title)?;
        long("a rule description", &rule.description, MAX_TEXT)?;
    }
    Ok(())
}

/// Checks the counts and lengths of each finding of a call.
pub(crate) fn check_findings(findings: &[Finding]) -> Result<(), String> {
    for (i, f) in findings.iter().enumerate() {
        let at = |what: &str| format!("finding {i}: {what}");
        let check = || -> Result<(), String> {
            short("rule", &f.rule)?;
            long("resource id", &f.resource_id, MAX_TEXT)?;
            if let Some(component) = &f.component {
                short("component", component)?;
            }
            short("title", &f.title)?;
            long("message", &f.message, MAX_TEXT)?;
            count("evidence", f.evidence.len(), MAX_ENTRIES)?;
            for (k, v) in &f.evidence {
                short("an evidence key", k)?;
                long("an evidence value", v, MAX_TEXT)?;
            }
            if let Some(hint) = &f.remediation {
                long("the remediation summary", &hint.summary, MAX_TEXT)?;
                count("the remediation changes", hint.changes.len(), MAX_ENTRIES)?;
                for c in &hint.changes {
                    long("a change's path", &c.path, MAX_TEXT)?;
                    long("a change's proposed value", &c.proposed, MAX_TEXT)?;
                    if let Some(current) = &c.current {
                        long("a change's current value", current, MAX_TEXT)?;
                    }
                }
            }
            Ok(())
        };
        check().map_err(|why| at(&why))?;
    }
    Ok(())
}

/// A guest's error string cut to [`MAX_GUEST_ERROR`] bytes.
pub(crate) fn cut(mut message: String) -> String {
    if message.len() > MAX_GUEST_ERROR {
        let mut end = MAX_GUEST_ERROR;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}

fn short(what: &str, value: &str) -> Result<(), String> {
    long(what, value, MAX_NAME)
}

fn long(what: &str, value: &str, max: usize) -> Result<(), String> {
    if value.len() > max {
        return Err(format!("{what} is {} bytes, more than {max}", value.len()));
    }
    Ok(())
}

fn count(what: &str, n: usize, max: usize) -> Result<(), String> {
    if n > max {
        return Err(format!("{n} {what}, more than {max}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_with_too_many_rules_or_a_long_kind_is_refused() {
        let mut info = PluginInfo {
            name: "p".into(),
            version: "1".into(),
            kinds: vec!["Pod".into()],
            ..PluginInfo::default()
        };
        assert_eq!(check_info(&info), Ok(()));
        info.kinds.push("k".repeat(MAX_NAME + 1));
        assert!(
            check_info(&info)
                .unwrap_err()
                .contains("a kind is 257 bytes")
        );
        info.kinds.pop();
        info.kinds = vec!["Pod".into(); MAX_KINDS + 1];
        assert!(check_info(&info).unwrap_err().contains("257 kinds"));
    }

    #[test]
    fn a_long_guest_error_is_cut_on_a_character_boundary() {
        let cut = cut("é".repeat(MAX_GUEST_ERROR));
        assert!(cut.len() <= MAX_GUEST_ERROR + "…".len());
        assert!(cut.ends_with('…'));
    }
}
