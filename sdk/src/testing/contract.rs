//! The checks every plugin's tests repeat: its info is well formed, and no input, however
//! broken, makes its detector panic, fail the batch, or judge a resource it did not ask for.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::Value;

use crate::model::{PluginInfo, Resource};
use crate::plugin::{Context, Detector};

use super::{Harness, MemoryLog};

/// A kind no plugin declares.
const FOREIGN_KIND: &str = "aiops.test.foreign-kind";

/// Checks a plugin's info against the contract the host relies on: a kebab-case name, a
/// version and a description; a detector declares rules (unique dotted lower-case ids,
/// each with a title and a one-line description of more than 200 characters) and fixes
/// nothing, a remediator declares fixes and no rules; the config schema, when given, is a
/// JSON object schema that refuses unknown keys. Panics saying what is wrong.
///
/// ```
/// use aiops_sdk::{PluginInfo, RuleInfo, Severity};
/// let info = PluginInfo {
///     name: "x-sizing".into(),
///     version: "0.1.0".into(),
///     description: "Sizes things.".into(),
///     rules: vec![RuleInfo::new("x.sizing.too-big", Severity::Low, "Too big", &"A long story. ".repeat(20))],
///     ..PluginInfo::default()
/// };
/// aiops_sdk::testing::assert_info_is_well_formed(&info);
/// ```
#[track_caller]
pub fn assert_info_is_well_formed(info: &PluginInfo) {
    let name = &info.name;
    assert!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "plugin name `{name}` is kebab-case"
    );
    assert!(!info.version.is_empty(), "{name}: a version");
    assert!(!info.description.is_empty(), "{name}: a description");
    if info.fixes.is_empty() {
        assert!(
            !info.rules.is_empty(),
            "{name}: a detector declares its rules"
        );
    } else {
        assert!(
            info.rules.is_empty(),
            "{name}: a remediator declares what it fixes, not rules"
        );
    }
    let mut ids = Vec::new();
    for rule in &info.rules {
        let id = rule.id.as_str();
        assert!(
            id.split('.').count() >= 2
                && id.split('.').all(|part| {
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                }),
            "{name}: rule id `{id}` is dotted lower-case"
        );
        assert!(!ids.contains(&id), "{name}: rule `{id}` declared twice");
        ids.push(id);
        assert!(!rule.title.is_empty(), "{id}: a title");
        assert!(
            rule.description.len() > 200 && !rule.description.contains('\n'),
            "{id}: a one-line description of a paragraph"
        );
    }
    if !info.config_schema.is_empty() {
        let schema: Value = serde_json::from_str(&info.config_schema)
            .unwrap_or_else(|e| panic!("{name}: the config schema is JSON: {e}"));
        assert_eq!(
            schema["type"], "object",
            "{name}: the schema is an object's"
        );
        assert_eq!(
            schema["additionalProperties"], false,
            "{name}: the schema refuses unknown keys"
        );
        assert!(
            schema["properties"].is_object(),
            "{name}: the schema lists its keys"
        );
    }
}

/// The keys of a plugin's config schema, sorted; panics when the schema lists none.
pub fn schema_keys(info: &PluginInfo) -> Vec<String> {
    let schema: Value = serde_json::from_str(&info.config_schema).expect("the schema is JSON");
    let mut keys: Vec<String> = schema["properties"]
        .as_object()
        .expect("the schema lists its properties")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// Checks that a detector (with the empty config) survives bad input, given `samples`:
/// resources of its kinds it reads fine. An empty batch gives no finding and no log; each sample with a raw
/// object that is not JSON or not an object, with `{}`, with each top-level field of its
/// raw object removed, set to `null` or to a value of the wrong type, and without metrics:
/// it must not panic nor fail the batch, and a resource whose raw object is not JSON gets
/// no finding. Resources of a kind it did not declare never reach it through
/// the host: no finding, no log. Panics naming the input.
#[track_caller]
pub fn assert_robust<P: Detector>(samples: &[Resource]) {
    let harness = Harness::<P>::new();
    let run = harness.detect(vec![]).expect("an empty batch is fine");
    assert!(
        run.findings.is_empty() && run.logs.is_empty(),
        "an empty batch gives no finding and no log: {run:?}"
    );

    let foreign: Vec<Resource> = samples
        .iter()
        .map(|r| Resource {
            kind: FOREIGN_KIND.to_string(),
            ..r.clone()
        })
        .collect();
    let run = harness.detect(foreign).expect("foreign kinds");
    assert!(
        run.findings.is_empty() && run.logs.is_empty(),
        "other kinds never reach the detector: {run:?}"
    );

    for sample in samples {
        for raw in ["{not json", "", "[]", "null", "42", "\"text\""] {
            let broken = Resource {
                raw: raw.to_string(),
                ..sample.clone()
            };
            let what = format!("{} with raw `{raw}`", sample.id);
            let ids = detect_directly::<P>(&what, vec![broken]);
            assert!(
                ids.is_empty() || serde_json::from_str::<Value>(raw).is_ok(),
                "{what}: a raw object that is not JSON gives no finding"
            );
        }
        let mut variants = vec![
            ("raw `{}`".to_string(), "{}".to_string(), true),
            ("no metrics".to_string(), sample.raw.clone(), false),
        ];
        if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(&sample.raw) {
            for key in object.keys() {
                for (how, value) in [
                    ("without", None),
                    ("null", Some(Value::Null)),
                    ("a string", Some(Value::from("?"))),
                    ("a number", Some(Value::from(-1))),
                    ("a list", Some(Value::Array(vec![]))),
                ] {
                    let mut changed = object.clone();
                    match value {
                        None => {
                            changed.remove(key);
                        }
                        Some(v) => {
                            changed.insert(key.clone(), v);
                        }
                    }
                    variants.push((
                        format!("`{key}` {how}"),
                        Value::Object(changed).to_string(),
                        true,
                    ));
                }
            }
        }
        for (how, raw, keep_metrics) in variants {
            let changed = Resource {
                raw,
                metrics: if keep_metrics {
                    sample.metrics.clone()
                } else {
                    vec![]
                },
                ..sample.clone()
            };
            detect_directly::<P>(&format!("{} with {how}", sample.id), vec![changed]);
        }
    }
}

/// Runs `detect` on `resources` as given (no kind filter), failing on a panic or an error;
/// the resource ids of the findings.
#[track_caller]
fn detect_directly<P: Detector>(what: &str, resources: Vec<Resource>) -> Vec<String> {
    let log = MemoryLog::default();
    let ctx = Context::new("{}".to_string(), &log);
    match catch_unwind(AssertUnwindSafe(|| P::detect(&ctx, resources))) {
        Ok(Ok(findings)) => findings.into_iter().map(|f| f.resource_id).collect(),
        Ok(Err(e)) => panic!("{what}: the batch failed: {e}"),
        Err(_) => panic!("{what}: the detector panicked"),
    }
}

/// Checks that a detector refuses each config of `cases` before judging anything: the
/// batch of `resources` fails with an error that starts `invalid plugin config` and
/// contains the case's expected text (the key, say). Panics naming the config.
#[track_caller]
pub fn assert_config_errors<P: Detector>(resources: &[Resource], cases: &[(&str, &str)]) {
    for (config, expected) in cases {
        let err = Harness::<P>::new()
            .config(config)
            .detect(resources.to_vec())
            .expect_err(config);
        assert!(err.starts_with("invalid plugin config"), "{err}");
        assert!(err.contains(expected), "{config}: {err}");
    }
}
