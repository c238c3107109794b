//! A plugin's config read key by key, with defaults and errors that name the key; every
//! key read also writes its part of the config's JSON Schema, so the schema a plugin
//! publishes comes from the code that parses the config and cannot drift from it.
//!
//! ```
//! use aiops_sdk::knobs::{Knobs, PluginConfig, between};
//!
//! #[derive(Debug, PartialEq)]
//! struct Config { ratio: f64, names: Vec<String> }
//!
//! impl PluginConfig for Config {
//!     const TITLE: &'static str = "example";
//!     fn read(k: &mut Knobs) -> Result<Config, String> {
//!         Ok(Config {
//!             ratio: k.key("ratio", "A share.").number(0.8, between(0.0, 1.0))?,
//!             names: k.key("names", "Some names.").get(vec!["a".to_string()])?,
//!         })
//!     }
//! }
//!
//! assert_eq!(Config::parse(r#"{"ratio": 0.5}"#).unwrap().ratio, 0.5);
//! let err = Config::parse(r#"{"ratio": 2}"#).unwrap_err();
//! assert_eq!(err, "invalid plugin config: `ratio` must be between 0 and 1, got 2");
//! let schema: serde_json::Value = serde_json::from_str(&Config::schema()).unwrap();
//! assert_eq!(schema["properties"]["ratio"]["default"], 0.8);
//! assert_eq!(schema["properties"]["names"]["type"], "array");
//! ```
//!
//! A whole number is an `integer` in the schema:
//!
//! ```
//! use aiops_sdk::knobs::{Knobs, between};
//! let mut k = Knobs::default();
//! assert_eq!(k.key("days", "Days.").whole(7, between(1.0, 35.0)), Ok(7));
//! let schema: serde_json::Value = serde_json::from_str(&k.schema("t")).unwrap();
//! assert_eq!(schema["properties"]["days"]["type"], "integer");
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::plugin::Context;

/// The keys of a plugin's config object, taken one by one; `finish` rejects the rest.
#[derive(Debug, Clone, Default)]
pub struct Knobs {
    left: Map<String, Value>,
    known: Vec<String>,
    properties: Map<String, Value>,
}

/// An error message for `key`, in the form every plugin uses.
pub fn invalid(key: &str, problem: impl std::fmt::Display) -> String {
    format!("invalid plugin config: `{key}` {problem}")
}

/// The range a number knob must lie in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    min: f64,
    min_exclusive: bool,
    max: f64,
}

/// From `min` to `max`, both included.
pub fn between(min: f64, max: f64) -> Bounds {
    Bounds {
        min,
        min_exclusive: false,
        max,
    }
}

/// `min` or more.
pub fn at_least(min: f64) -> Bounds {
    between(min, f64::INFINITY)
}

/// More than `min`.
pub fn above(min: f64) -> Bounds {
    Bounds {
        min_exclusive: true,
        ..at_least(min)
    }
}

impl Bounds {
    /// The same bounds with `max` as the (included) upper one.
    pub fn at_most(self, max: f64) -> Bounds {
        Bounds { max, ..self }
    }

    fn check(&self, key: &str, value: f64) -> Result<f64, String> {
        let (min, max) = (self.min, self.max);
        if !(min..=max).contains(&value) {
            return Err(invalid(
                key,
                if max.is_finite() {
                    format!("must be between {min} and {max}, got {value}")
                } else {
                    format!("must be at least {min}, got {value}")
                },
            ));
        }
        if self.min_exclusive && value <= min {
            return Err(invalid(key, format!("must be above {min}")));
        }
        Ok(value)
    }

    fn schema(&self, schema: &mut Map<String, Value>) {
        let bound = if self.min_exclusive {
            "exclusiveMinimum"
        } else {
            "minimum"
        };
        schema.insert(bound.into(), number(self.min));
        if self.max.is_finite() {
            schema.insert("maximum".into(), number(self.max));
        }
    }
}

/// A number as JSON, whole numbers without a fraction (`4`, not `4.0`).
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// The JSON Schema type of a value (and of its items, for a list of strings).
fn type_of(value: &Value, schema: &mut Map<String, Value>) {
    let t = match value {
        Value::Null => return,
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(items) => {
            if items.iter().all(Value::is_string) {
                schema.insert("items".into(), json!({"type": "string"}));
            }
            "array"
        }
        Value::Object(_) => "object",
    };
    schema.insert("type".into(), json!(t));
}

impl Knobs {
    /// Parses a config document: a JSON object, or empty (no keys).
    pub fn parse(json: &str) -> Result<Knobs, String> {
        let text = if json.trim().is_empty() { "{}" } else { json };
        match serde_json::from_str(text) {
            Ok(Value::Object(left)) => Ok(Knobs {
                left,
                ..Knobs::default()
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

    /// Starts reading `key`, described for the schema by `about`.
    pub fn key(&mut self, key: &'static str, about: &'static str) -> Knob<'_> {
        let mut schema = Map::new();
        schema.insert("description".into(), json!(about));
        Knob {
            knobs: self,
            key,
            schema,
            one_of: None,
        }
    }

    /// The value of `key` as `T`, or `default` when absent or `null` (undescribed).
    pub fn get<T: Serialize + DeserializeOwned>(
        &mut self,
        key: &'static str,
        default: T,
    ) -> Result<T, String> {
        self.key(key, "").get(default)
    }

    /// The number at `key` (or `default`), which must lie in `range` (undescribed).
    pub fn number(
        &mut self,
        key: &'static str,
        default: f64,
        range: std::ops::RangeInclusive<f64>,
    ) -> Result<f64, String> {
        self.key(key, "")
            .number(default, between(*range.start(), *range.end()))
    }

    /// Fails on a key nobody asked for, listing the known ones.
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

    /// The JSON Schema of a config object holding the keys read so far, titled `title`.
    pub fn schema(&self, title: &str) -> String {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": title,
            "type": "object",
            "additionalProperties": false,
            "properties": self.properties,
        });
        serde_json::to_string_pretty(&schema).expect("a schema serialises")
    }

    fn take(&mut self, key: &str, schema: Map<String, Value>) -> Option<Value> {
        self.known.push(key.to_string());
        self.properties
            .insert(key.to_string(), Value::Object(schema));
        match self.left.remove(key) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        }
    }
}

/// One key being read: what the schema says about it, then its value.
pub struct Knob<'k> {
    knobs: &'k mut Knobs,
    key: &'static str,
    schema: Map<String, Value>,
    one_of: Option<&'static [&'static str]>,
}

impl Knob<'_> {
    /// Adds schema keywords the reader does not write itself (e.g. a `pattern` checked by
    /// the plugin's own parser, or the shape of an object's values).
    pub fn schema(mut self, keywords: Value) -> Self {
        if let Value::Object(keywords) = keywords {
            self.schema.extend(keywords);
        }
        self
    }

    /// The value must be one of `values` (a string).
    pub fn one_of(mut self, values: &'static [&'static str]) -> Self {
        self.schema.insert("enum".into(), json!(values));
        self.one_of = Some(values);
        self
    }

    /// The value as `T`, or `default` when absent or `null`.
    pub fn get<T: Serialize + DeserializeOwned>(mut self, default: T) -> Result<T, String> {
        let default_json = serde_json::to_value(&default).unwrap_or(Value::Null);
        if !self.schema.contains_key("type") && !self.schema.contains_key("enum") {
            type_of(&default_json, &mut self.schema);
        }
        if !default_json.is_null() {
            self.schema.insert("default".into(), default_json);
        }
        let (key, one_of) = (self.key, self.one_of);
        let value = match self.knobs.take(key, self.schema) {
            None => default,
            Some(value) => serde_json::from_value(value).map_err(|e| invalid(key, e))?,
        };
        if let Some(values) = one_of {
            let text = serde_json::to_value(&value).unwrap_or(Value::Null);
            if !text.as_str().is_some_and(|t| values.contains(&t)) {
                return Err(invalid(
                    key,
                    format!("must be one of {}", values.join(", ")),
                ));
            }
        }
        Ok(value)
    }

    /// The number (or `default`), within `bounds`.
    pub fn number(mut self, default: f64, bounds: Bounds) -> Result<f64, String> {
        self.schema.entry("type").or_insert_with(|| json!("number"));
        bounds.schema(&mut self.schema);
        self.schema.insert("default".into(), number(default));
        let key = self.key;
        let value = match self.knobs.take(key, self.schema) {
            None => default,
            Some(value) => serde_json::from_value(value).map_err(|e| invalid(key, e))?,
        };
        bounds.check(key, value)
    }

    /// A whole number (or `default`), within `bounds`.
    pub fn whole(mut self, default: i64, bounds: Bounds) -> Result<i64, String> {
        self.schema.insert("type".into(), json!("integer"));
        let key = self.key;
        let value = self.number(default as f64, bounds)?;
        if value.fract() == 0.0 {
            Ok(value as i64)
        } else {
            Err(invalid(key, format!("must be a whole number, got {value}")))
        }
    }
}

/// A plugin's config type read through [`Knobs`]: gives it parsing (unknown keys
/// refused), its JSON Schema and reading from the call's context.
pub trait PluginConfig: Sized {
    /// The schema's title: the plugin's name.
    const TITLE: &'static str;

    /// Reads every key (with its default when absent).
    fn read(knobs: &mut Knobs) -> Result<Self, String>;

    /// Checks across keys, after every key was read; nothing by default.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }

    /// Reads and validates a config document (JSON object, or empty for the defaults).
    fn parse(json: &str) -> Result<Self, String> {
        let mut knobs = Knobs::parse(json)?;
        let config = Self::read(&mut knobs)?;
        knobs.finish()?;
        config.check()?;
        Ok(config)
    }

    /// Reads and validates the config the host passed; the error names the offending key.
    fn from_context(ctx: &Context<'_>) -> Result<Self, String> {
        Self::parse(ctx.config_json())
    }

    /// The JSON Schema of the config, as the plugin publishes it in its info.
    fn schema() -> String {
        let mut knobs = Knobs::default();
        Self::read(&mut knobs).expect("the defaults are a valid config");
        knobs.schema(Self::TITLE)
    }
}
