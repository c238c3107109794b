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
