//! The six rules: their stable ids and documentation, and the checks on one container.

use aiops_sdk::k8s::ContainerRef;
use aiops_sdk::rules::RuleTable;
use aiops_sdk::{FieldChange, Finding, Quantity, RemediationHint, Resource, RuleInfo};

use crate::amount::{self, Unit};
use crate::config::Config;

aiops_sdk::rules! {
    /// The rules, in the order of the plugin's info.
    pub enum Rule {
        /// Rule id: a container sets no CPU request.
        CpuRequestMissing / CPU_REQUEST_MISSING = "k8s.resources.cpu-request-missing" {
            severity: Medium,
            title: "CPU request missing",
            description: "A container without a CPU request is scheduled as if it needed no CPU (or, when it \
                 has a CPU limit, as if it needed all of it, because Kubernetes then copies the limit \
                 into the request). The scheduler packs such pods onto busy nodes where they starve \
                 under contention, and a pod with no requests at all lands in the BestEffort QoS \
                 class, the first one evicted. Set an explicit CPU request close to the container's \
                 typical usage; the hint proposes the configured default (`default_requests.cpu`).",
        },
        /// Rule id: a container sets no memory request.
        MemoryRequestMissing / MEMORY_REQUEST_MISSING = "k8s.resources.memory-request-missing" {
            severity: Medium,
            title: "Memory request missing",
            description: "A container without a memory request reserves no memory on its node (unless it has \
                 a memory limit, which Kubernetes then copies into the request). The scheduler can \
                 overcommit the node, and such pods are the first ones evicted under memory pressure. \
                 Set an explicit memory request close to the container's working set; the hint \
                 proposes the configured default (`default_requests.memory`).",
        },
        /// Rule id: a container sets no CPU limit.
        CpuLimitMissing / CPU_LIMIT_MISSING = "k8s.resources.cpu-limit-missing" {
            severity: Low,
            title: "CPU limit missing",
            description: "A container without a CPU limit may use all idle CPU of its node. That is often \
                 acceptable, since CPU is compressible and limits cause throttling, hence the low \
                 severity; but a runaway process slows its neighbours, and a ResourceQuota on \
                 `limits.cpu` rejects such pods. Set a CPU limit where usage should be bounded; a hint \
                 is only proposed when `default_limits.cpu` is configured.",
        },
        /// Rule id: a container sets no memory limit.
        MemoryLimitMissing / MEMORY_LIMIT_MISSING = "k8s.resources.memory-limit-missing" {
            severity: Medium,
            title: "Memory limit missing",
            description: "A container without a memory limit can grow until its node runs out of memory, and \
                 then the kernel's OOM killer or the kubelet's eviction may hit other pods rather than \
                 the one that leaks. Set a memory limit a little above the container's peak working \
                 set; the hint proposes the configured default (`default_limits.memory`), kept between \
                 the request and `max_limit_request_ratio` times it.",
        },
        /// Rule id: a CPU or memory limit is below its request (an invalid spec).
        LimitBelowRequest / LIMIT_BELOW_REQUEST = "k8s.resources.limit-below-request" {
            severity: High,
            title: "Limit below request",
            description: "Kubernetes requires every limit to be at least the matching request: a CPU or memory \
                 limit below its request is an invalid spec that the API server rejects, so the \
                 manifest cannot be applied or its controller keeps failing to create pods. Quantities \
                 are compared exactly (`1Gi` equals `1024Mi`, `0.5` equals `500m`). One finding per \
                 resource name that is wrong; the hint raises the limit to the request.",
        },
        /// Rule id: a CPU or memory limit is more than `max_limit_request_ratio` times its request.
        LimitRequestRatio / LIMIT_REQUEST_RATIO = "k8s.resources.limit-request-ratio" {
            severity: Low,
            title: "Limit far above request",
            description: "A CPU or memory limit more than `max_limit_request_ratio` times its request (4 by \
                 default; exactly that ratio is fine) lets the container burst far beyond what the \
                 scheduler reserved for it. Its node is overcommitted, so under load such containers \
                 are throttled, OOM-killed or evicted unpredictably. Zero requests are not judged. The \
                 hint lowers the limit to the request times the allowed ratio.",
        },
    }
}

/// A resource name the rules check, and how its amounts are counted.
struct Tracked {
    name: &'static str,
    unit: Unit,
    request_missing: Rule,
    limit_missing: Rule,
}

/// The resource names checked, each the same way.
const TRACKED: [Tracked; 2] = [
    Tracked {
        name: "cpu",
        unit: Unit::Millicores,
        request_missing: Rule::CpuRequestMissing,
        limit_missing: Rule::CpuLimitMissing,
    },
    Tracked {
        name: "memory",
        unit: Unit::Bytes,
        request_missing: Rule::MemoryRequestMissing,
        limit_missing: Rule::MemoryLimitMissing,
    },
];

/// Which half of a container's `resources` a value sits in.
#[derive(Debug, Clone, Copy)]
enum Field {
    Requests,
    Limits,
}

impl Field {
    /// The key under `resources`.
    fn key(self) -> &'static str {
        match self {
            Field::Requests => "requests",
            Field::Limits => "limits",
        }
    }

    /// The singular, for messages and evidence keys.
    fn noun(self) -> &'static str {
        match self {
            Field::Requests => "request",
            Field::Limits => "limit",
        }
    }

    fn other(self) -> Field {
        match self {
            Field::Requests => Field::Limits,
            Field::Limits => Field::Requests,
        }
    }
}

/// Runs the rules on containers with one config; build once per batch.
pub struct Checker<'a> {
    config: &'a Config,
    rules: RuleTable<Rule>,
}

/// One container of one resource: what a finding is about.
struct Site<'a> {
    resource: &'a Resource,
    container: &'a ContainerRef<'a>,
    /// "Container `api` of Deployment shop/web", built once for all its findings.
    text: String,
}

impl<'a> Site<'a> {
    fn new(resource: &'a Resource, container: &'a ContainerRef<'a>) -> Self {
        let name = container.container.name.as_str();
        let r = resource;
        let text = match &r.namespace {
            Some(ns) => ["Container `", name, "` of ", &r.kind, " ", ns, "/", &r.name].concat(),
            None => ["Container `", name, "` of ", &r.kind, " ", &r.name].concat(),
        };
        // Texts are joined with `concat` (one allocation) rather than `format!`, whose
        // machinery was a quarter of this detector's time in wasm.
        Site {
            resource,
            container,
            text,
        }
    }

    /// The container's name.
    fn name(&self) -> &str {
        &self.container.container.name
    }

    fn finding(&self, rule: &RuleInfo, message: String) -> Finding {
        Finding::new(rule, self.resource, message).component(self.name())
    }

    /// "{verb} the {name} limit of container `{c}` from {limit}" followed by `rest`: the
    /// summary of a hint that changes a limit.
    fn limit_change(&self, verb: &str, t: &Tracked, limit: &str, rest: &[&str]) -> String {
        let head = [
            verb,
            " the ",
            t.name,
            " limit of container `",
            self.name(),
            "` from ",
            limit,
        ];
        joined(&head, rest)
    }

    /// "{container and workload} has a {name} limit ({limit})" followed by `rest`: the
    /// message of a finding about a limit.
    fn limit_message(&self, t: &Tracked, limit: &str, rest: &[&str]) -> String {
        joined(
            &[&self.text, " has a ", t.name, " limit (", limit, ")"],
            rest,
        )
    }

    /// JSON pointer of `resources/{requests|limits}/{name}` of the container.
    fn pointer(&self, field: &str, name: &str) -> String {
        [&self.container.pointer, "/resources/", field, "/", name].concat()
    }
}

/// `head` then `rest` joined into one string, allocated once.
fn joined(head: &[&str], rest: &[&str]) -> String {
    let len = head.iter().chain(rest).map(|part| part.len()).sum();
    let mut text = String::with_capacity(len);
    for part in head.iter().chain(rest) {
        text.push_str(part);
    }
    text
}

/// A hint changing one field, with values written as JSON strings.
fn hint(summary: String, path: String, current: Option<&str>, proposed: &str) -> RemediationHint {
    RemediationHint {
        summary,
        changes: vec![FieldChange {
            path,
            current: current.map(|c| ["\"", c, "\""].concat()),
            proposed: ["\"", proposed, "\""].concat(),
        }],
    }
}

impl<'a> Checker<'a> {
    /// A checker for `config`.
    pub fn new(config: &'a Config) -> Self {
        Checker {
            config,
            rules: RuleTable::new(),
        }
    }

    fn rule(&self, rule: Rule) -> &RuleInfo {
        self.rules.get(rule)
    }

    /// Appends the findings of every rule on one container of `resource` to `out`.
    pub fn check(&self, resource: &Resource, container: &ContainerRef<'_>, out: &mut Vec<Finding>) {
        let site = Site::new(resource, container);
        let requirements = &container.container.resources;
        for tracked in &TRACKED {
            let request = requirements.requests.get(tracked.name);
            let limit = requirements.limits.get(tracked.name);
            match (request, limit) {
                (Some(request), Some(limit)) if limit < request => {
                    out.push(self.below(&site, tracked, request, limit))
                }
                (Some(request), Some(limit)) => {
                    out.extend(self.ratio(&site, tracked, request, limit))
                }
                _ => {}
            }
            if request.is_none() {
                out.push(self.missing(&site, tracked, Field::Requests, limit));
            }
            if limit.is_none() {
                out.push(self.missing(&site, tracked, Field::Limits, request));
            }
        }
    }

    /// A missing request or limit (`field`); `other` is the limit or request, if set.
    fn missing(
        &self,
        site: &Site<'_>,
        t: &Tracked,
        field: Field,
        other: Option<&Quantity>,
    ) -> Finding {
        let (rule, defaults) = match field {
            Field::Requests => (t.request_missing, &self.config.default_requests),
            Field::Limits => (t.limit_missing, &self.config.default_limits),
        };
        let other = other.map(|q| t.unit.count(q));
        let message = match (field, other) {
            (Field::Requests, Some(limit)) => [
                &site.text,
                " sets no ",
                t.name,
                " request, so Kubernetes uses its limit (",
                &t.unit.format(limit),
                ") as the request.",
            ]
            .concat(),
            (Field::Requests, None) => [
                &site.text,
                " sets no ",
                t.name,
                " request, so the scheduler reserves nothing for it.",
            ]
            .concat(),
            (Field::Limits, _) => [
                &site.text,
                " sets no ",
                t.name,
                " limit, so it can take all the free ",
                t.name,
                " of its node.",
            ]
            .concat(),
        };
        let mut finding = site
            .finding(self.rule(rule), message)
            .evidence("resource", t.name);
        if let Some(count) = other {
            finding = finding.evidence(field.other().noun(), t.unit.format(count));
        }
        let Some(default) = defaults.get(t.name) else {
            return finding;
        };
        // Without a request, a proposed limit fits the request the other hint proposes.
        let reference = match (other, field) {
            (None, Field::Limits) => self
                .config
                .default_requests
                .get(t.name)
                .map(|q| t.unit.count(q)),
            _ => other,
        };
        let proposed = t
            .unit
            .format(self.fit(field, t.unit.count(default), reference));
        let summary = [
            "Set the ",
            t.name,
            " ",
            field.noun(),
            " of container `",
            site.name(),
            "` to ",
            &proposed,
        ]
        .concat();
        let path = site.pointer(field.key(), t.name);
        finding.remediation(hint(summary, path, None, &proposed))
    }

    /// Moves a proposed request or limit into the band where neither `limit-below-request`
    /// nor `limit-request-ratio` fires against `other` (the limit or request it pairs with),
    /// so applying a hint never causes a new finding.
    fn fit(&self, field: Field, proposed: i128, other: Option<i128>) -> i128 {
        let Some(other) = other else {
            return proposed;
        };
        let ratio = self.config.max_limit_request_ratio;
        let (low, high) = match field {
            Field::Requests => (amount::scale(other, 1.0 / ratio, true), other),
            Field::Limits => (other, amount::scale(other, ratio, false)),
        };
        proposed.max(low).min(high)
    }

    /// A limit below its request: the hint raises the limit to the request.
    fn below(&self, site: &Site<'_>, t: &Tracked, request: &Quantity, limit: &Quantity) -> Finding {
        let (request, limit) = (t.unit.show(request), t.unit.show(limit));
        let message = site.limit_message(
            t,
            &limit,
            &[
                " below its request (",
                &request,
                "); Kubernetes rejects such a spec.",
            ],
        );
        let summary = site.limit_change("Raise", t, &limit, &[" to its request, ", &request]);
        let path = site.pointer("limits", t.name);
        let remediation = hint(summary, path, Some(&limit), &request);
        site.finding(self.rule(Rule::LimitBelowRequest), message)
            .evidence("resource", t.name)
            .evidence("request", &request)
            .evidence("limit", &limit)
            .remediation(remediation)
    }

    /// A limit more than the allowed ratio above its request: the hint lowers it to request × ratio.
    fn ratio(
        &self,
        site: &Site<'_>,
        t: &Tracked,
        request: &Quantity,
        limit: &Quantity,
    ) -> Option<Finding> {
        let max = self.config.max_limit_request_ratio;
        let ratio = limit.ratio_to(request).filter(|&r| r > max)?;
        let request_count = t.unit.count(request);
        let proposed = t
            .unit
            .format(amount::scale(request_count, max, false).max(request_count));
        let (request, limit) = (t.unit.format(request_count), t.unit.show(limit));
        let (ratio, max) = (amount::format_ratio(ratio), amount::format_ratio(max));
        let message = site.limit_message(
            t,
            &limit,
            &[
                " ",
                &ratio,
                " times its request (",
                &request,
                "), more than the allowed ",
                &max,
                ".",
            ],
        );
        let summary = site.limit_change(
            "Lower",
            t,
            &limit,
            &[" to ", &proposed, ", ", &max, " times its request"],
        );
        let path = site.pointer("limits", t.name);
        let remediation = hint(summary, path, Some(&limit), &proposed);
        Some(
            site.finding(self.rule(Rule::LimitRequestRatio), message)
                .evidence("resource", t.name)
                .evidence("request", request)
                .evidence("limit", limit)
                .evidence("ratio", ratio)
                .evidence("max_ratio", max)
                .remediation(remediation),
        )
    }
}
