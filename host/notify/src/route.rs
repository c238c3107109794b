//! The route tree, Alertmanager's way: routes are tried in order and the first that
//! matches takes the event, unless it says `continue`; a matching route's children are
//! tried first and the route itself takes the event when none of them does; channel and
//! grouping settings are inherited from the parent. An event no route takes goes to the
//! default channel.

use std::time::Duration;

use crate::config::{ConfigError, NotificationsConfig, RouteConfig, parse_duration};
use crate::facts::EventFacts;

/// Where one event goes: a route's channel, group and timings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The route's path (`routes[1].routes[0]`, or `default`).
    pub route: String,
    /// The channel.
    pub channel: String,
    /// The group the event joins (`namespace=shop`).
    pub group_key: String,
    /// A new group's wait.
    pub group_wait: Duration,
    /// The wait between a group's messages.
    pub group_interval: Duration,
    /// How long before the same event about the same subject is sent again.
    pub repeat_interval: Duration,
}

#[derive(Debug, Clone)]
struct Settings {
    channel: String,
    group_by: Vec<String>,
    group_wait: Duration,
    group_interval: Duration,
    repeat_interval: Duration,
}

/// The compiled route tree.
#[derive(Debug, Clone)]
pub struct Router {
    routes: Vec<RouteConfig>,
    root: Settings,
}

fn duration(v: &Option<String>, inherited: Duration) -> Duration {
    v.as_deref()
        .and_then(|d| parse_duration(d).ok())
        .unwrap_or(inherited)
}

impl Router {
    /// The router of a validated `notifications:` section.
    pub fn new(config: &NotificationsConfig) -> Result<Router, ConfigError> {
        config.validate()?;
        Ok(Router {
            routes: config.routes.clone(),
            root: Settings {
                channel: config
                    .default_channel
                    .clone()
                    .unwrap_or_else(|| "log".into()),
                group_by: Vec::new(),
                group_wait: Duration::ZERO,
                group_interval: Duration::ZERO,
                repeat_interval: Duration::ZERO,
            },
        })
    }

    /// Where `facts`'s event goes (at least one target).
    pub fn route(&self, facts: &EventFacts) -> Vec<Target> {
        let mut out = Vec::new();
        walk(&self.routes, facts, &self.root, "routes", &mut out);
        if out.is_empty() {
            out.push(target("default".into(), &self.root, facts));
        }
        out
    }
}

fn walk(
    routes: &[RouteConfig],
    facts: &EventFacts,
    parent: &Settings,
    prefix: &str,
    out: &mut Vec<Target>,
) -> bool {
    let mut matched = false;
    for (i, route) in routes.iter().enumerate() {
        if !route.matcher.matches(facts) {
            continue;
        }
        matched = true;
        let settings = Settings {
            channel: route
                .channel
                .clone()
                .unwrap_or_else(|| parent.channel.clone()),
            group_by: route
                .group_by
                .clone()
                .unwrap_or_else(|| parent.group_by.clone()),
            group_wait: duration(&route.group_wait, parent.group_wait),
            group_interval: duration(&route.group_interval, parent.group_interval),
            repeat_interval: duration(&route.repeat_interval, parent.repeat_interval),
        };
        let path = format!("{prefix}[{i}]");
        if !walk(
            &route.routes,
            facts,
            &settings,
            &format!("{path}.routes"),
            out,
        ) {
            out.push(target(path, &settings, facts));
        }
        if !route.continue_ {
            break;
        }
    }
    matched
}

fn target(route: String, s: &Settings, facts: &EventFacts) -> Target {
    let group_key = s
        .group_by
        .iter()
        .map(|name| format!("{name}={}", facts.group_value(name)))
        .collect::<Vec<_>>()
        .join(",");
    Target {
        route,
        channel: s.channel.clone(),
        group_key,
        group_wait: s.group_wait,
        group_interval: s.group_interval,
        repeat_interval: s.repeat_interval,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiops_state::OutboxEvent;
    use serde_json::json;

    fn event(
        kind: &str,
        severity: &str,
        rule: &str,
        namespace: &str,
        team: Option<&str>,
    ) -> EventFacts {
        let mut labels = serde_json::Map::new();
        if let Some(t) = team {
            labels.insert("team".into(), json!(t));
        }
        EventFacts::of(&OutboxEvent {
            id: 1,
            at: 0,
            kind: kind.into(),
            subject: format!("fp-{rule}-{namespace}"),
            severity: Some(severity.into()),
            cycle: Some(1),
            payload: json!({
                "rule": rule,
                "plugin": "k8s-workloads",
                "resource": {"id": format!("k8s/Deployment/{namespace}/app"), "namespace": namespace},
                "labels": labels,
            }),
            dedup_key: "k".into(),
        })
    }

    fn router(yaml: &str) -> Router {
        Router::new(&serde_norway::from_str(yaml).unwrap()).unwrap()
    }

    const TREE: &str = r#"
channels:
  ops-mail: {type: webhook, url: "http://127.0.0.1:1/ops"}
  payments-teams: {type: webhook, url: "http://127.0.0.1:1/pay"}
  audit: {type: webhook, url: "http://127.0.0.1:1/audit"}
routes:
  - match: {severity: [high, critical]}
    channel: ops-mail
    continue: true
  - match: {labels: {team: payments}}
    channel: payments-teams
    group_by: [namespace]
    group_wait: 30s
    routes:
      - match: {event: ["remediation.*"]}
        channel: audit
  - match: {rule: "aws.*"}
    channel: audit
    group_by: [account, rule]
"#;

    /// (route, channel, group key).
    type Expected = (&'static str, &'static str, &'static str);

    #[test]
    fn routes_match_in_order_continue_and_nest_like_alertmanager() {
        let r = router(TREE);
        // (event, expected (route, channel, group) targets)
        let cases: Vec<(EventFacts, Vec<Expected>)> = vec![
            (
                event("finding.new", "high", "k8s.x", "shop", Some("payments")),
                vec![
                    ("routes[0]", "ops-mail", ""),
                    ("routes[1]", "payments-teams", "namespace=shop"),
                ],
            ),
            (
                event("finding.new", "low", "k8s.x", "shop", Some("payments")),
                vec![("routes[1]", "payments-teams", "namespace=shop")],
            ),
            (
                event(
                    "remediation.merged",
                    "low",
                    "k8s.x",
                    "pay",
                    Some("payments"),
                ),
                vec![("routes[1].routes[0]", "audit", "namespace=pay")],
            ),
            (
                event("finding.new", "medium", "k8s.x", "shop", Some("search")),
                vec![("default", "log", "")],
            ),
            (
                event("finding.new", "critical", "k8s.x", "shop", None),
                vec![("routes[0]", "ops-mail", "")],
            ),
        ];
        for (facts, expected) in cases {
            let got: Vec<(String, String, String)> = r
                .route(&facts)
                .into_iter()
                .map(|t| (t.route, t.channel, t.group_key))
                .collect();
            let expected: Vec<(String, String, String)> = expected
                .into_iter()
                .map(|(a, b, c)| (a.into(), b.into(), c.into()))
                .collect();
            assert_eq!(got, expected, "{facts:?}");
        }
    }

    #[test]
    fn children_inherit_channel_and_timings() {
        let r = router(
            "routes: [{group_by: [rule], group_wait: 10s, repeat_interval: 4h, routes: [{match: {severity: [low]}}]}]",
        );
        let t = &r.route(&event("finding.new", "low", "k8s.a", "ns", None))[0];
        assert_eq!(t.route, "routes[0].routes[0]");
        assert_eq!(t.channel, "log");
        assert_eq!(t.group_key, "rule=k8s.a");
        assert_eq!(t.group_wait, Duration::from_secs(10));
        assert_eq!(t.repeat_interval, Duration::from_secs(4 * 3600));
    }

    #[test]
    fn cloud_facts_come_from_the_resource_id() {
        let f = EventFacts::of(&OutboxEvent {
            id: 1,
            at: 0,
            kind: "finding.new".into(),
            subject: "s".into(),
            severity: Some("high".into()),
            cycle: None,
            payload: json!({"rule": "aws.rds.x", "resource": {"id": "arn:aws:rds:eu-west-1:123456789012:db:orders"}}),
            dedup_key: "k".into(),
        });
        assert_eq!(f.account.as_deref(), Some("123456789012"));
        assert_eq!(f.region.as_deref(), Some("eu-west-1"));
        let r = router(TREE);
        assert_eq!(
            r.route(&f)
                .into_iter()
                .map(|t| (t.channel, t.group_key))
                .collect::<Vec<_>>(),
            [
                ("ops-mail".to_string(), String::new()),
                (
                    "audit".to_string(),
                    "account=123456789012,rule=aws.rds.x".to_string()
                )
            ]
        );
    }
}
