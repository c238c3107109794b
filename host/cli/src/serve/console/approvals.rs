//! `/approvals`: the remediations awaiting a human, each with its diff and the Approve
//! and Reject forms (a rejection needs a reason). Deciding needs the `approve` role and
//! goes through [`crate::serve::decide`], as the API does, under the token's name.

use aiops_state::RemediationState;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{Shared, layout, session, when};
use crate::serve::config::Role;
use crate::serve::decide;

/// A unified diff, one line per element, added and removed lines marked.
pub fn diff(text: &str) -> Markup {
    html! {
        pre.diff {
            @for line in text.lines() {
                @if line.starts_with('+') && !line.starts_with("+++") {
                    span.add { (line) } "\n"
                } @else if line.starts_with('-') && !line.starts_with("---") {
                    span.del { (line) } "\n"
                } @else {
                    (line) "\n"
                }
            }
        }
    }
}

/// `GET /approvals`.
pub async fn list(State(console): State<Shared>, headers: HeaderMap) -> Response {
    let session = match session::require(&console, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let pending = match console
        .app
        .store
        .list_remediations(&[RemediationState::AwaitingApproval])
        .await
    {
        Ok(p) => p,
        Err(e) => return layout::store(e),
    };
    let may_decide = session.role >= Role::Approve;
    let body = html! {
        h1 { "Pending approvals" }
        @if pending.is_empty() { p.hint #none { "Nothing awaits approval." } }
        @if !may_decide { p.hint { "Your token has the read role: deciding needs approve." } }
        @for r in &pending {
            section.approval id=(format!("r{}", r.id)) data-group=(r.group_key) {
                h2 { "#" (r.id) " " (r.title) }
                p.hint { (r.group_key) " · branch " code { (r.branch) } " · proposed " (when(r.created_at)) }
                @for reason in &r.policy { p.hint { "policy: " (reason) } }
                (diff(&r.diff))
                @if may_decide {
                    div.decide {
                        form.approve method="post" action=(format!("/approvals/{}/approve", r.id)) {
                            input type="hidden" name="csrf" value=(session.csrf);
                            input type="text" name="reason" placeholder="comment (optional)";
                            button type="submit" { "Approve" }
                        }
                        form.reject method="post" action=(format!("/approvals/{}/reject", r.id)) {
                            input type="hidden" name="csrf" value=(session.csrf);
                            textarea name="reason" placeholder="why (required)" required {}
                            button type="submit" { "Reject" }
                        }
                    }
                }
            }
        }
    };
    layout::page("Approvals", Some(&session), body).into_response()
}

/// The approve and reject forms.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    csrf: Option<String>,
    reason: Option<String>,
}

async fn decided(
    console: Shared,
    headers: HeaderMap,
    form: Result<Form<DecisionForm>, axum::extract::rejection::FormRejection>,
    approve: bool,
    id: i64,
) -> Response {
    let form = match form {
        Ok(Form(f)) => f,
        Err(e) => return layout::error(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let session = match session::require_form(&console, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if session.role < Role::Approve {
        return layout::error(
            StatusCode::FORBIDDEN,
            &format!(
                "token {} has the read role; approving and rejecting need approve",
                session.name
            ),
        );
    }
    let reason = form.reason.filter(|r| !r.trim().is_empty());
    let app = console.app.clone();
    let result = if approve {
        decide::approve(app, id, session.name.clone(), reason)
            .await
            .map(|(outcome, _)| outcome)
    } else {
        decide::reject(app, id, session.name.clone(), reason)
            .await
            .map(|_| "rejected")
    };
    match result {
        Ok(outcome) => {
            tracing::info!(remediation = id, by = %session.name, outcome, "console: decided");
            Redirect::to(&format!("/remediations#r{id}")).into_response()
        }
        Err(p) => layout::problem(p),
    }
}

/// `POST /approvals/{id}/approve`.
pub async fn approve(
    State(console): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    form: Result<Form<DecisionForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    decided(console, headers, form, true, id).await
}

/// `POST /approvals/{id}/reject`.
pub async fn reject(
    State(console): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    form: Result<Form<DecisionForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    decided(console, headers, form, false, id).await
}
