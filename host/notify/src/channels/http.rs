//! POSTing JSON for the HTTP channels: status read back, `Retry-After` honoured, and
//! errors that never show the URL (Teams and webhook URLs carry their signature).

use std::time::Duration;

use super::SendError;

/// The client every HTTP channel shares (rustls on aws-lc-rs).
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("a client with rustls builds")
}

/// POSTs `body` (JSON) to `url` with `headers`; `what` names the channel in errors.
pub(crate) async fn post_json(
    client: &reqwest::Client,
    what: &str,
    url: &str,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> Result<(), SendError> {
    let mut request = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request
        .send()
        .await
        .map_err(|e| SendError::new(format!("{what}: {}", e.without_url())))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = response.text().await.unwrap_or_default();
    let text: String = text.chars().take(200).collect();
    Err(SendError {
        message: format!("{what}: HTTP {} {}", status.as_u16(), text.trim()),
        retry_after,
    })
}
