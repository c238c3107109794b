//! Which loaded remediator handles a finding: one whose `info()` lists the finding's
//! rule id (exactly, or a pattern ending in `*` that the id starts with) and whose
//! `kinds`, when it lists any, include the resource's kind. An exact rule id wins over
//! a pattern; among equals, the first by name. Disabled plugins are never chosen.

use std::sync::Arc;

use aiops_sdk::PluginInfo;

use aiops_runtime::PluginsConfig;
use aiops_runtime::{LoadedPlugin, RegistrySnapshot};

/// How well a remediator's info matches a rule id and resource kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Match {
    /// A rule pattern (`k8s.workloads.*`) covers the id.
    Pattern,
    /// The rule id is listed.
    Exact,
}

/// How `info` handles `rule` on a resource of `kind`, if it does.
pub fn matches(info: &PluginInfo, rule: &str, kind: &str) -> Option<Match> {
    if !info.kinds.is_empty() && !info.kinds.iter().any(|k| k == kind || k == "*") {
        return None;
    }
    info.rules
        .iter()
        .filter_map(|r| match r.id.strip_suffix('*') {
            Some(prefix) if rule.starts_with(prefix) => Some(Match::Pattern),
            None if r.id == rule => Some(Match::Exact),
            _ => None,
        })
        .max()
}

/// The enabled remediator of `plugins` that best handles `rule` on `kind`.
pub fn choose(
    plugins: &RegistrySnapshot,
    config: &PluginsConfig,
    rule: &str,
    kind: &str,
) -> Option<Arc<LoadedPlugin>> {
    let mut best: Option<(Match, &Arc<LoadedPlugin>)> = None;
    for plugin in plugins.plugins(aiops_runtime::PluginKind::Remediator) {
        if !config.plugin(plugin.name()).enabled {
            continue;
        }
        let Some(m) = matches(&plugin.info, rule, kind) else {
            continue;
        };
        let better = match best {
            None => true,
            Some((bm, bp)) => m > bm || (m == bm && plugin.name() < bp.name()),
        };
        if better {
            best = Some((m, plugin));
        }
    }
    best.map(|(_, p)| p.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_sdk::{RuleInfo, Severity};

    fn info(kinds: &[&str], rules: &[&str]) -> PluginInfo {
        PluginInfo {
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
            rules: rules
                .iter()
                .map(|r| RuleInfo::new(r, Severity::Info, "", ""))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn exact_ids_patterns_and_kinds() {
        let k8s = info(
            &["Deployment"],
            &["k8s.resources.cpu-limit-missing", "k8s.workloads.*"],
        );
        assert_eq!(
            matches(&k8s, "k8s.resources.cpu-limit-missing", "Deployment"),
            Some(Match::Exact)
        );
        assert_eq!(
            matches(&k8s, "k8s.workloads.probes-missing", "Deployment"),
            Some(Match::Pattern)
        );
        assert_eq!(
            matches(&k8s, "k8s.resources.cpu-limit-missing", "ConfigMap"),
            None
        );
        assert_eq!(matches(&k8s, "aws.rds.public", "Deployment"), None);
        let any_kind = info(&[], &["aws.rds.public"]);
        assert_eq!(
            matches(&any_kind, "aws.rds.public", "aws.rds.db-instance"),
            Some(Match::Exact)
        );
    }
}
