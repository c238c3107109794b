//! The `coordination.k8s.io/v1` Lease paths of the Kubernetes API stand-in, as the API
//! reference documents them: `GET`/`POST /apis/coordination.k8s.io/v1/namespaces/{ns}/leases`
//! and `GET`/`PUT …/leases/{name}`. Every write gets a new `metadata.resourceVersion`;
//! a `PUT` carrying another one is refused with a 409 `Conflict` Status, a `POST` of an
//! existing name with 409 `AlreadyExists`, a missing Lease with 404 `NotFound`.

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::k8s_api::{ApiState, status};

const GROUP: &str = "coordination.k8s.io";
const PREFIX: &str = "/apis/coordination.k8s.io/v1/namespaces/";

/// `(namespace, name)` of a Lease path (`name` empty for the collection), if it is one.
pub(crate) fn parse(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix(PREFIX)?;
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    match segments.as_slice() {
        [ns, "leases"] => Some((ns.to_string(), String::new())),
        [ns, "leases", name] => Some((ns.to_string(), name.to_string())),
        _ => None,
    }
}

fn details(name: &str) -> Value {
    json!({"name": name, "group": GROUP, "kind": "leases"})
}

fn not_found(name: &str) -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("leases.{GROUP} \"{name}\" not found"),
        details(name),
    )
}

/// Answers one request to a Lease path.
pub(crate) fn handle(
    state: &mut ApiState,
    method: &Method,
    namespace: &str,
    name: &str,
    body: &[u8],
) -> Response {
    let key = (namespace.to_string(), name.to_string());
    match (method.as_str(), name.is_empty()) {
        ("GET", true) => {
            let items: Vec<Value> = state
                .leases
                .iter()
                .filter(|((ns, _), _)| ns == namespace)
                .map(|(_, lease)| {
                    let mut item = lease.clone();
                    let fields = item.as_object_mut().expect("a Lease is an object");
                    fields.remove("kind");
                    fields.remove("apiVersion");
                    item
                })
                .collect();
            axum::Json(json!({
                "kind": "LeaseList", "apiVersion": format!("{GROUP}/v1"),
                "metadata": {"resourceVersion": state.lease_version.to_string()},
                "items": items,
            }))
            .into_response()
        }
        ("GET", false) => match state.leases.get(&key) {
            Some(lease) => axum::Json(lease.clone()).into_response(),
            None => not_found(name),
        },
        ("POST", true) => {
            let Some(mut lease) = parse_body(body) else {
                return bad_request("the body is not a Lease");
            };
            let name = lease["metadata"]["name"].as_str().unwrap_or("").to_string();
            if name.is_empty() {
                return bad_request(
                    "metadata.name: Required value: name or generateName is required",
                );
            }
            let key = (namespace.to_string(), name.clone());
            if state.leases.contains_key(&key) {
                return status(
                    StatusCode::CONFLICT,
                    "AlreadyExists",
                    &format!("leases.{GROUP} \"{name}\" already exists"),
                    details(&name),
                );
            }
            state.lease_version += 1;
            let metadata = &mut lease["metadata"];
            metadata["namespace"] = json!(namespace);
            metadata["uid"] = json!(format!(
                "3f1e7c2a-0b6d-4c1e-9a57-{:012x}",
                state.lease_version
            ));
            metadata["resourceVersion"] = json!(state.lease_version.to_string());
            metadata["creationTimestamp"] = json!("2026-12-07T08:00:00Z");
            lease["kind"] = json!("Lease");
            lease["apiVersion"] = json!(format!("{GROUP}/v1"));
            state.leases.insert(key, lease.clone());
            (StatusCode::CREATED, axum::Json(lease)).into_response()
        }
        ("PUT", false) => {
            let Some(mut lease) = parse_body(body) else {
                return bad_request("the body is not a Lease");
            };
            if lease["metadata"]["name"].as_str() != Some(name) {
                return bad_request("the name of the object does not match the name on the URL");
            }
            let Some(stored) = state.leases.get(&key) else {
                return not_found(name);
            };
            let stored_version = stored["metadata"]["resourceVersion"].clone();
            match lease["metadata"]["resourceVersion"].as_str() {
                Some(version) if Some(version) != stored_version.as_str() => {
                    return status(
                        StatusCode::CONFLICT,
                        "Conflict",
                        &format!(
                            "Operation cannot be fulfilled on leases.{GROUP} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
                        ),
                        details(name),
                    );
                }
                _ => {}
            }
            state.lease_version += 1;
            for field in ["uid", "creationTimestamp"] {
                lease["metadata"][field] = stored["metadata"][field].clone();
            }
            lease["metadata"]["namespace"] = json!(namespace);
            lease["metadata"]["resourceVersion"] = json!(state.lease_version.to_string());
            lease["kind"] = json!("Lease");
            lease["apiVersion"] = json!(format!("{GROUP}/v1"));
            state.leases.insert(key, lease.clone());
            axum::Json(lease).into_response()
        }
        _ => status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
            json!({}),
        ),
    }
}

fn parse_body(body: &[u8]) -> Option<Value> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(|v| v["metadata"].is_object())
}

fn bad_request(message: &str) -> Response {
    status(StatusCode::BAD_REQUEST, "BadRequest", message, json!({}))
}
