//! The `collectors.k8s` config section and the namespace filter it defines.

use std::path::PathBuf;

use serde::Deserialize;

use crate::retry::RetryPolicy;

/// The `collectors.k8s` config section.
///
/// ```yaml
/// collectors:
///   k8s:
///     kubeconfig: /etc/aiops/kubeconfig   # default: $KUBECONFIG, ~/.kube/config, in-cluster
///     context: prod                        # default: the kubeconfig's current context
///     page_size: 500                       # `limit` of every list call
///     namespaces:
///       include: [shop, "team-*"]          # default: every namespace
///       exclude: [kube-system]             # default: none
///     timeout_seconds: 120
/// ```
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct K8sConfig {
    /// Seconds the whole collection may take.
    pub timeout_seconds: u64,
    /// Retries on throttling (429) and brief unavailability (503, 504).
    pub retry: RetryPolicy,
    /// Items per list call (`limit`); the rest follows through `continue` tokens.
    pub page_size: u32,
    /// Which namespaces to read.
    pub namespaces: NamespaceFilter,
    /// A kubeconfig file to use instead of `$KUBECONFIG` / `~/.kube/config` / in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use instead of its current context.
    pub context: Option<String>,
}

impl Default for K8sConfig {
    fn default() -> Self {
        K8sConfig {
            timeout_seconds: 120,
            retry: RetryPolicy::default(),
            page_size: 500,
            namespaces: NamespaceFilter::default(),
            kubeconfig: None,
            context: None,
        }
    }
}

/// Namespaces to include and exclude. Each entry is an exact name or a glob (`*`, `?`,
/// `[abc]`, as in shell patterns): `team-*` matches `team-a` and `team-payments`.
/// An empty `include` means every namespace; `exclude` wins over `include`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NamespaceFilter {
    /// Only these namespaces (names or globs); empty: all.
    pub include: Vec<String>,
    /// Never these namespaces (names or globs).
    pub exclude: Vec<String>,
}

/// A [`NamespaceFilter`] with its patterns compiled.
#[derive(Debug, Clone)]
pub struct Namespaces {
    include: Vec<glob::Pattern>,
    exclude: Vec<glob::Pattern>,
}

impl Namespaces {
    /// Compiles the patterns; a broken one is named in the error.
    pub fn compile(filter: &NamespaceFilter) -> Result<Self, String> {
        let compile = |field: &str, patterns: &[String]| {
            patterns
                .iter()
                .map(|p| {
                    glob::Pattern::new(p).map_err(|err| {
                        format!("collectors.k8s.namespaces.{field}: pattern `{p}`: {err}")
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Namespaces {
            include: compile("include", &filter.include)?,
            exclude: compile("exclude", &filter.exclude)?,
        })
    }

    /// Whether objects of namespace `name` are collected.
    pub fn allows(&self, name: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| p.matches(name)))
            && !self.exclude.iter().any(|p| p.matches(name))
    }

    /// Whether an include list is set (then kinds are listed namespace by namespace).
    pub fn is_restricted(&self) -> bool {
        !self.include.is_empty()
    }

    /// Whether an include entry is a pattern rather than a plain name.
    pub fn has_include_globs(&self) -> bool {
        self.include
            .iter()
            .any(|p| glob::Pattern::escape(p.as_str()) != p.as_str())
    }

    /// The namespaces to list one by one: those of `known` (the cluster's namespaces, when
    /// they could be listed) that pass the filter, else the include entries that are
    /// plain names.
    pub fn targets(&self, known: Option<&[String]>) -> Vec<String> {
        let mut names: Vec<String> = match known {
            Some(known) => known.iter().filter(|n| self.allows(n)).cloned().collect(),
            None => self
                .include
                .iter()
                .map(|p| p.as_str().to_string())
                .filter(|n| glob::Pattern::escape(n) == *n && self.allows(n))
                .collect(),
        };
        names.sort();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> Namespaces {
        Namespaces::compile(&NamespaceFilter {
            include: include.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
        })
        .unwrap()
    }

    #[test]
    fn globs_and_exact_names_include_and_exclude() {
        let all = filter(&[], &[]);
        assert!(all.allows("anything") && !all.is_restricted());
        let f = filter(&["team-*", "shop"], &["team-legacy"]);
        assert!(f.allows("team-a") && f.allows("shop"));
        assert!(!f.allows("team-legacy") && !f.allows("shopping") && !f.allows("default"));
        let known: Vec<String> = ["team-b", "team-legacy", "shop", "kube-system", "team-a"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(f.targets(Some(&known)), ["shop", "team-a", "team-b"]);
        assert_eq!(f.targets(None), ["shop"], "globs need the namespace list");
        assert!(f.has_include_globs() && !filter(&["shop"], &["kube-*"]).has_include_globs());
        assert!(filter(&[], &["kube-*"]).allows("default"));
        assert!(!filter(&[], &["kube-*"]).allows("kube-public"));
    }

    #[test]
    fn a_broken_pattern_is_named() {
        let err = Namespaces::compile(&NamespaceFilter {
            include: vec!["team-[".into()],
            exclude: Vec::new(),
        })
        .unwrap_err();
        assert!(
            err.contains("namespaces.include") && err.contains("team-["),
            "{err}"
        );
    }
}
