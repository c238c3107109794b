//! What a message says, whatever the channel: a title, one line per event, the details
//! of each (resource, rule, evidence), and the links to act on it (the pull request,
//! aiops's approval page, the finding).

use aiops_state::{Notification, OutboxEvent};
use serde::Serialize;

use crate::facts::EventFacts;

/// A link in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// Its label (`Open pull request #12`).
    pub title: String,
    /// Where it goes.
    pub url: String,
}

/// One event as a message shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventView {
    /// Its kind.
    pub kind: String,
    /// Its severity.
    pub severity: Option<String>,
    /// One line: what happened to what.
    pub line: String,
    /// The resource.
    pub resource: Option<String>,
    /// The rules.
    pub rules: Vec<String>,
    /// Evidence, key and value.
    pub evidence: Vec<(String, String)>,
}

/// A message, ready for any channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// The title (email subject).
    pub title: String,
    /// The events.
    pub events: Vec<EventView>,
    /// Links to act on it.
    pub links: Vec<Link>,
    /// The highest severity among the events.
    pub severity: Option<String>,
}

fn phrase(kind: &str) -> &str {
    match kind {
        "finding.new" => "New finding",
        "finding.reopened" => "Finding reopened",
        "finding.resolved" => "Finding resolved",
        "remediation.proposed" => "Fix proposed, awaiting approval",
        "remediation.pr_opened" => "Pull request opened",
        "remediation.approved" => "Fix approved",
        "remediation.merged" => "Fix merged",
        "remediation.rejected" => "Fix rejected",
        "remediation.verified" => "Fix verified",
        "remediation.not_effective" => "Fix merged but not effective",
        "remediation.notify_only" => "Critical finding: no automatic change",
        "remediation.never_edit" => "Fix not made: protected path",
        "remediation.reopened" => "Rejected fix re-opened",
        "source.failing" => "Source failing",
        "plugin.failing" => "Plugin failing",
        other => other,
    }
}

const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

fn rank(s: &Option<String>) -> usize {
    s.as_deref()
        .and_then(|s| SEVERITIES.iter().position(|x| *x == s))
        .unwrap_or(0)
}

fn view(e: &OutboxEvent) -> EventView {
    let facts = EventFacts::of(e);
    let p = &e.payload;
    let what = p["title"].as_str().unwrap_or(&e.subject);
    let mut line = format!("{}: {what}", phrase(&e.kind));
    if let Some(r) = &facts.resource
        && !what.contains(r.as_str())
    {
        line.push_str(&format!(" ({r})"));
    }
    if let Some(reason) = p["reason"].as_str().filter(|r| !r.is_empty()) {
        line.push_str(&format!(" — {reason}"));
    }
    let evidence = p["evidence"]
        .as_array()
        .map(|pairs| {
            pairs
                .iter()
                .filter_map(|pair| {
                    Some((pair[0].as_str()?.to_string(), pair[1].as_str()?.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    EventView {
        kind: e.kind.clone(),
        severity: e.severity.clone(),
        line,
        resource: facts.resource,
        rules: facts.rules,
        evidence,
    }
}

/// Renders `n`'s events, with links under `console` (aiops's console URL).
pub fn render(n: &Notification, console: Option<&str>) -> Rendered {
    let events: Vec<EventView> = n.events.iter().map(view).collect();
    let severity = events
        .iter()
        .map(|e| e.severity.clone())
        .max_by_key(rank)
        .flatten();
    let title = match events.as_slice() {
        [one] => match &one.severity {
            Some(s) => format!("[{}] {}", s.to_uppercase(), one.line),
            None => one.line.clone(),
        },
        many => {
            let mut counts: Vec<(String, usize)> = Vec::new();
            for e in many {
                let p = phrase(&e.kind).to_lowercase();
                match counts.iter_mut().find(|(k, _)| *k == p) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((p, 1)),
                }
            }
            let summary = counts
                .iter()
                .map(|(k, c)| format!("{c} × {k}"))
                .collect::<Vec<_>>()
                .join(", ");
            let group = if n.group_key.is_empty() {
                String::new()
            } else {
                format!(" [{}]", n.group_key)
            };
            let sev = severity
                .as_deref()
                .map(|s| format!("[{}] ", s.to_uppercase()))
                .unwrap_or_default();
            format!("{sev}aiops: {summary}{group}")
        }
    };
    let mut links = Vec::new();
    for e in &n.events {
        let p = &e.payload;
        if let Some(url) = p["pr_url"].as_str().filter(|u| !u.is_empty()) {
            let title = match p["pr_number"].as_i64() {
                Some(n) => format!("Open pull request #{n}"),
                None => "Open pull request".into(),
            };
            push_link(&mut links, title, url.to_string());
        }
        if let Some(console) = console {
            let console = console.trim_end_matches('/');
            if let Some(id) = e.subject.strip_prefix("remediation:") {
                let title = if e.kind == "remediation.proposed" || e.kind == "remediation.pr_opened"
                {
                    format!("Approve or reject in aiops (#{id})")
                } else {
                    format!("Remediation #{id} in aiops")
                };
                push_link(&mut links, title, format!("{console}/remediations/{id}"));
            } else if e.kind.starts_with("finding.") {
                let short: String = e.subject.chars().take(12).collect();
                push_link(
                    &mut links,
                    format!("Finding {short} in aiops"),
                    format!("{console}/findings/{}", e.subject),
                );
            }
        }
    }
    Rendered {
        title,
        events,
        links,
        severity,
    }
}

fn push_link(links: &mut Vec<Link>, title: String, url: String) {
    if !links.iter().any(|l| l.url == url) {
        links.push(Link { title, url });
    }
}

impl Rendered {
    /// The plain-text body.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n\n", self.title);
        for e in &self.events {
            out.push_str(&format!(
                "- [{}] {}\n",
                e.severity.as_deref().unwrap_or("-"),
                e.line
            ));
            if !e.rules.is_empty() {
                out.push_str(&format!("  rule: {}\n", e.rules.join(", ")));
            }
            for (k, v) in &e.evidence {
                out.push_str(&format!("  {k}: {v}\n"));
            }
        }
        if !self.links.is_empty() {
            out.push('\n');
            for l in &self.links {
                out.push_str(&format!("{}: {}\n", l.title, l.url));
            }
        }
        out
    }

    /// The HTML body (everything escaped).
    pub fn html(&self) -> String {
        let mut out = format!(
            "<!doctype html><html><body><h2>{}</h2><ul>",
            escape(&self.title)
        );
        for e in &self.events {
            out.push_str(&format!(
                "<li><b>[{}]</b> {}",
                escape(e.severity.as_deref().unwrap_or("-")),
                escape(&e.line)
            ));
            if !e.rules.is_empty() || !e.evidence.is_empty() {
                out.push_str("<ul>");
                if !e.rules.is_empty() {
                    out.push_str(&format!(
                        "<li>rule: <code>{}</code></li>",
                        escape(&e.rules.join(", "))
                    ));
                }
                for (k, v) in &e.evidence {
                    out.push_str(&format!(
                        "<li>{}: <code>{}</code></li>",
                        escape(k),
                        escape(v)
                    ));
                }
                out.push_str("</ul>");
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
        for l in &self.links {
            out.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>",
                escape(&l.url),
                escape(&l.title)
            ));
        }
        out.push_str("</body></html>\n");
        out
    }
}

/// HTML-escapes `s`.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
