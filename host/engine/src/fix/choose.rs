//! Which loaded remediator handles a finding: one whose `info()` lists the finding's
//! rule in `fixes` (the id itself, or a prefix of it, see [`aiops_sdk::model::fixes_rule`])
//! and whose `kinds`, when it lists any, include the resource's kind. An exact rule id wins
//! over a prefix, a longer prefix over a shorter one; among equals, the first by name.
//! Disabled plugins are never chosen.

use std::sync::Arc;

use aiops_sdk::PluginInfo;
pub use aiops_sdk::model::FixMatch as Match;

use aiops_runtime::PluginsConfig;
use aiops_runtime::{LoadedPlugin, RegistrySnapshot};

/// How `info` handles `rule` on a resource of `kind`, if it does.
pub fn matches(info: &PluginInfo, rule: &str, kind: &str) -> Option<Match> {
    if !info.kinds.is_empty() && !info.kinds.iter().any(|k| k == kind || k == "*") {
        return None;
    }
    info.fixes_rule(rule)
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

    fn info(kinds: &[&str], fixes: &[&str]) -> PluginInfo {
        PluginInfo {
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
            fixes: fixes.iter().map(|r| r.to_string()).collect(),
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
            Some(Match::Prefix(14))
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

    #[test]
    fn an_exact_id_beats_a_longer_prefix_which_beats_a_shorter_one() {
        let fixes = info(
            &[],
            &["k8s", "k8s.workloads", "k8s.workloads.hpa-min-equals-max"],
        );
        assert_eq!(
            matches(
                &fixes,
                "k8s.workloads.hpa-min-equals-max",
                "HorizontalPodAutoscaler"
            ),
            Some(Match::Exact)
        );
        assert_eq!(
            matches(&fixes, "k8s.workloads.image-tag-mutable", "Deployment"),
            Some(Match::Prefix(13))
        );
        assert_eq!(
            matches(&fixes, "k8s.resources.cpu-limit-missing", "Deployment"),
            Some(Match::Prefix(3))
        );
        assert!(Match::Exact > Match::Prefix(13) && Match::Prefix(13) > Match::Prefix(3));
        assert_eq!(matches(&fixes, "k8sx.other", "Deployment"), None);
    }
}
