//! Reading a plugin's config key by key, with defaults and errors that name the key.
//!
//! ```
//! use aiops_sdk::knobs::Knobs;
//!
//! let mut knobs = Knobs::parse(r#"{"ratio": 0.5}"#).unwrap();
//! assert_eq!(knobs.number("ratio", 0.8, 0.0..=1.0).unwrap(), 0.5);
//! assert_eq!(knobs.get("names", vec!["a".to_string()]).unwrap(), ["a"]);
//! knobs.finish().unwrap();
//!
//! let mut bad = Knobs::parse(r#"{"ratio": 2}"#).unwrap();
//! let err = bad.number("ratio", 0.8, 0.0..=1.0).unwrap_err();
//! assert_eq!(err, "invalid plugin config: `ratio` must be between 0 and 1, got 2");
//! ```

use std::ops::RangeInclusive;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::plugin::Context;

/// The keys of a plugin's config object, taken one by one; `finish` rejects the rest.
#[derive(Debug, Clone, Default)]
pub struct Knobs {
    left: Map<String, Value>,
    known: Vec<String>,
}

/// An error message for `key`, in the form every plugin uses.
pub fn invalid(key: &str, problem: impl std::fmt::Display) -> String {
    format!("invalid plugin config: `{key}` {problem}")
}

impl Knobs {
    /// Parses a config document: a JSON object, or empty (no keys).
    pub fn parse(json: &str) -> Result<Knobs, String> {
        let text = if json.trim().is_empty() { "{}" } else { json };
        match serde_json::from_str(text) {
            Ok(Value::Object(left)) => Ok(Knobs {
                left,
                known: Vec::new(),
            }),
            Ok(other) => Err(format!(
                "invalid plugin config: expected a JSON object, got `{other}`"
            )),
            Err(e) => Err(format!("invalid plugin config: {e}")),
        }
    }

    /// The config the host passed to this call.
    pub fn from_context(ctx: &Context<'_>) -> Result<Knobs, String> {
        Knobs::parse(ctx.config_json())
    }

    /// The value of `key` as `T`, or `default` when absent or `null`.
    pub fn get<T: DeserializeOwned>(&mut self, key: &str, default: T) -> Result<T, String> {
        self.known.push(key.to_string());
        match self.left.remove(key) {
            None | Some(Value::Null) => Ok(default),
            Some(value) => serde_json::from_value(value).map_err(|e| invalid(key, e)),
        }
    }

    /// The number at `key` (or `default`), which must lie in `range`.
    pub fn number(
        &mut self,
        key: &str,
        default: f64,
        range: RangeInclusive<f64>,
    ) -> Result<f64, String> {
        let value: f64 = self.get(key, default)?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(invalid(
                key,
                format!(
                    "must be between {} and {}, got {value}",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }

    /// Fails on a key no `get` asked for, listing the known ones.
    pub fn finish(self) -> Result<(), String> {
        match self.left.keys().next() {
            None => Ok(()),
            Some(key) => {
                let mut known = self.known;
                known.sort();
                Err(format!(
                    "invalid plugin config: unknown key `{key}` (known keys: {})",
                    known.join(", ")
                ))
            }
        }
    }
}
