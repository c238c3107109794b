//! The field changes of a finding's remediation hint, with their JSON values parsed.

use aiops_sdk::Finding;
use serde_json::Value;

/// One field change of a hint.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// JSON pointer in the raw object.
    pub pointer: String,
    /// The live value, when the hint gives one.
    pub current: Option<Value>,
    /// The proposed value.
    pub proposed: Value,
}

/// The changes of `finding`'s hint; a finding without a hint, or with a value that is not
/// JSON, is an error naming it.
pub fn changes(finding: &Finding) -> Result<Vec<Change>, String> {
    let Some(hint) = &finding.remediation else {
        return Err(format!(
            "the finding carries no remediation hint: `{}` gives no value to set",
            finding.rule
        ));
    };
    if hint.changes.is_empty() {
        return Err("the finding's remediation hint lists no field change".to_string());
    }
    let parse = |text: &str, what: &str, pointer: &str| {
        serde_json::from_str(text)
            .map_err(|e| format!("the hint's {what} value for {pointer} is not JSON ({e}): {text}"))
    };
    hint.changes
        .iter()
        .map(|c| {
            Ok(Change {
                pointer: c.path.clone(),
                current: c
                    .current
                    .as_deref()
                    .map(|t| parse(t, "current", &c.path))
                    .transpose()?,
                proposed: parse(&c.proposed, "proposed", &c.path)?,
            })
        })
        .collect()
}
