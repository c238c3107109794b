//! Two answers AWS documents that moto 5.2.5 does not give, made from moto's own state
//! so the collector can be tested the way AWS behaves:
//!
//! - `DescribeStreamSummary` carries `ConsumerCount` (the API reference's
//!   `StreamDescriptionSummary`); moto leaves it out. It is filled in from moto's
//!   `ListStreamConsumers`.
//! - The Resource Groups Tagging API's `GetResources` with the resource type filter
//!   `kinesis:stream` returns the tagged streams with their tags (`ResourceTagMappingList`
//!   of `ResourceARN` and `Tags`, `PaginationToken` empty on the last page); moto's
//!   Kinesis backend is not taggable through it and returns none. It is answered from
//!   moto's `ListStreams` and `ListTagsForStream`.
//!
//! The calls made to moto for this are not counted: they are not the collector's.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::moto_calls::{Shared, status};

const JSON: &str = "application/x-amz-json-1.1";

/// The proxy's own answer to `op`, when moto's would fall short of AWS's.
pub(crate) async fn answer(
    shared: &Shared,
    op: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Response> {
    if op != "tagging:GetResources" {
        return None;
    }
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let filters: Vec<&str> = request["ResourceTypeFilters"]
        .as_array()
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if filters != ["kinesis:stream"] {
        return None;
    }
    let per_page = request["ResourcesPerPage"].as_u64().unwrap_or(50) as usize;
    let start: usize = request["PaginationToken"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let listed = kinesis(shared, headers, "ListStreams", json!({"Limit": 10000})).await;
    let mut tagged = Vec::new();
    for summary in listed["StreamSummaries"].as_array().into_iter().flatten() {
        let (Some(name), Some(arn)) = (
            summary["StreamName"].as_str(),
            summary["StreamARN"].as_str(),
        ) else {
            continue;
        };
        let tags = kinesis(
            shared,
            headers,
            "ListTagsForStream",
            json!({"StreamName": name}),
        )
        .await;
        let tags = tags["Tags"].as_array().cloned().unwrap_or_default();
        if !tags.is_empty() {
            tagged.push(json!({"ResourceARN": arn, "Tags": tags}));
        }
    }
    let end = (start + per_page.max(1)).min(tagged.len());
    let token = if end < tagged.len() {
        end.to_string()
    } else {
        String::new()
    };
    let page = json!({
        "ResourceTagMappingList": tagged.get(start..end).unwrap_or_default(),
        "PaginationToken": token,
    });
    Some(json_response(&page))
}

/// moto's `response` to `op`, with what AWS would have added.
pub(crate) async fn amend(
    shared: &Shared,
    op: &str,
    headers: &HeaderMap,
    response: Response,
) -> Response {
    if op != "kinesis:DescribeStreamSummary" || response.status() != StatusCode::OK {
        return response;
    }
    let Ok(bytes) = axum::body::to_bytes(response.into_body(), usize::MAX).await else {
        return status(StatusCode::BAD_GATEWAY, "proxy: unreadable moto answer");
    };
    let Ok(mut out) = serde_json::from_slice::<Value>(&bytes) else {
        return status(StatusCode::BAD_GATEWAY, "proxy: moto answer is not JSON");
    };
    let summary = &mut out["StreamDescriptionSummary"];
    if summary.get("ConsumerCount").is_none()
        && let Some(arn) = summary["StreamARN"].as_str().map(str::to_string)
    {
        let mut count = 0;
        let mut token: Option<String> = None;
        loop {
            let mut request = json!({"StreamARN": arn});
            if let Some(t) = &token {
                request["NextToken"] = Value::from(t.clone());
            }
            let page = kinesis(shared, headers, "ListStreamConsumers", request).await;
            count += page["Consumers"].as_array().map_or(0, Vec::len);
            match page["NextToken"].as_str() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        summary["ConsumerCount"] = Value::from(count);
    }
    json_response(&out)
}

/// One Kinesis call to moto, signed-looking as the original request (moto reads the
/// region and account from the credential scope, not the signature).
async fn kinesis(shared: &Shared, headers: &HeaderMap, target: &str, body: Value) -> Value {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .replace("/tagging/", "/kinesis/");
    let request = axum::http::Request::post(format!("{}/", shared.upstream))
        .header(header::CONTENT_TYPE, JSON)
        .header("x-amz-target", format!("Kinesis_20131202.{target}"))
        .header(header::AUTHORIZATION, auth)
        .body(Body::from(body.to_string()))
        .unwrap();
    let Ok(response) = shared.client.request(request).await else {
        return Value::Null;
    };
    let body = response.map(Body::new).into_body();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

fn json_response(value: &Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}
