//! Turns a remediation hint's JSON pointer into steps through a manifest, naming
//! containers instead of indexing them: a Kustomize strategic-merge patch lists
//! containers by name in any order, and a base may order them differently from the
//! object the detector saw.

use serde_json::Value;

/// Lists whose items are merged by `name` (strategic merge) and may be addressed by name.
const NAMED_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// One step from a document's root towards the field to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A mapping key.
    Key(String),
    /// The item called `name` of the container list `list`.
    Container {
        /// `containers`, `initContainers` or `ephemeralContainers`.
        list: String,
        /// The container's name.
        name: String,
    },
}

/// A field path as steps, resolved against the object the finding was made on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    /// The steps; never empty, and the last one is always a [`Step::Key`].
    pub steps: Vec<Step>,
}

impl FieldPath {
    /// Resolves `pointer` (RFC 6901) against `raw`: an index into a container list
    /// becomes that container's name. Any other list index is refused, because its
    /// position in the source cannot be known for sure.
    pub fn resolve(pointer: &str, raw: &Value) -> Result<FieldPath, String> {
        let Some(rest) = pointer.strip_prefix('/') else {
            return Err(format!("`{pointer}` is not a JSON pointer"));
        };
        let tokens: Vec<String> = rest
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        let mut steps = Vec::with_capacity(tokens.len());
        let mut at = Some(raw);
        let mut i = 0;
        while i < tokens.len() {
            let token = &tokens[i];
            let next = tokens.get(i + 1);
            match next.and_then(|n| n.parse::<usize>().ok()) {
                Some(index) if NAMED_LISTS.contains(&token.as_str()) => {
                    let name = at
                        .and_then(|v| v.get(token))
                        .and_then(|list| list.get(index))
                        .and_then(|c| c.get("name"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            format!("`{pointer}`: the resource has no {token} item {index}")
                        })?;
                    steps.push(Step::Container {
                        list: token.clone(),
                        name: name.to_string(),
                    });
                    at = at.and_then(|v| v.get(token)).and_then(|l| l.get(index));
                    i += 2;
                }
                _ => {
                    if token.parse::<usize>().is_ok() && at.is_some_and(Value::is_array) {
                        return Err(format!(
                            "`{pointer}`: a list index outside a container list cannot be located safely"
                        ));
                    }
                    steps.push(Step::Key(token.clone()));
                    at = at.and_then(|v| v.get(token));
                    i += 1;
                }
            }
        }
        match steps.last() {
            Some(Step::Key(_)) => Ok(FieldPath { steps }),
            _ => Err(format!("`{pointer}` does not end at a field")),
        }
    }

    /// The leaf key.
    pub fn leaf(&self) -> &str {
        match self.steps.last() {
            Some(Step::Key(k)) => k,
            _ => "",
        }
    }

    /// A readable path for messages: `spec.template.spec.containers[cart].resources.limits.cpu`.
    pub fn display(&self) -> String {
        let mut out = String::new();
        for step in &self.steps {
            match step {
                Step::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Step::Container { list, name } => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&format!("{list}[{name}]"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn container_indexes_become_names() {
        let raw = json!({"spec": {"template": {"spec": {"initContainers": [{"name": "init"}],
            "containers": [{"name": "a"}, {"name": "b"}]}}}});
        let path = FieldPath::resolve(
            "/spec/template/spec/containers/1/resources/limits/cpu",
            &raw,
        )
        .unwrap();
        assert_eq!(
            path.display(),
            "spec.template.spec.containers[b].resources.limits.cpu"
        );
        assert_eq!(path.leaf(), "cpu");
    }

    #[test]
    fn other_list_indexes_and_missing_containers_are_refused() {
        let raw = json!({"spec": {"volumes": [{"name": "v"}], "containers": []}});
        assert!(FieldPath::resolve("/spec/volumes/0/name", &raw).is_err());
        assert!(FieldPath::resolve("/spec/containers/0/image", &raw).is_err());
        assert!(FieldPath::resolve("spec", &raw).is_err());
    }
}
