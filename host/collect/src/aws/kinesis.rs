//! Kinesis data streams of one account and region: `ListStreams` page by page, then
//! per stream (a bounded number at once) `DescribeStreamSummary` (mode, shards,
//! retention, encryption, `ConsumerCount`). Tags come from the Resource Groups Tagging
//! API for all streams at once ([`tagging`]), asked while the streams are listed; one
//! `ListTagsForStream` each only where that API cannot be trusted (see there). `ListStreamConsumers` is
//! called only for a stream whose summary carries no `ConsumerCount` (AWS always sends
//! it; moto 5.2.5 does not), so against AWS a stream costs one call.
//!
//! `ListStreams` pages are followed through `NextToken` when the service sends one and
//! through `ExclusiveStartStreamName` (the last name seen) when it only says
//! `HasMoreStreams`, so no stream past the first page is missed either way.
//!
//! [`tagging`]: super::tagging

use aiops_sdk::{Platform, Resource};
use aws_sdk_kinesis::Client;
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::client::{CallError, Target};
use super::metrics::{self, Pending};
use super::raw;
use super::tagging::{self, StreamTags};
use aiops_core::CollectorProgress;

/// The envelope kind of a data stream.
pub const KIND: &str = aiops_sdk::kinds::AWS_KINESIS_STREAM;

/// A described stream, before its tags.
struct Described {
    pending: Pending,
    arn: String,
}

/// Reads every stream of the target, `concurrency` describes at a time; `tags` is the
/// tagging API's client of the same target, `custom_endpoint` whether an endpoint
/// override (an emulator) is set.
pub async fn collect(
    client: &Client,
    tags: &aws_sdk_resourcegroupstagging::Client,
    custom_endpoint: bool,
    target: &Target,
    concurrency: usize,
    progress: &dyn CollectorProgress,
) -> Result<Vec<Pending>, CallError> {
    let (names, tag_answer) =
        futures_util::future::join(list_names(client), tagging::kinesis_stream_tags(tags)).await;
    let prefix = target.id_prefix("kinesis");
    let described: Vec<Option<Described>> = stream::iter(names?)
        .map(|name| {
            let prefix = &prefix;
            async move {
                let stream = describe(client, target, prefix, &name).await;
                if let Ok(Some(_)) = &stream {
                    progress.found(KIND, 1);
                }
                stream
            }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    let described: Vec<Described> = described.into_iter().flatten().collect();
    let arns = described.iter().map(|d| d.arn.as_str());
    match StreamTags::from_answer(tag_answer, arns, custom_endpoint) {
        StreamTags::ByArn(mut by_arn) => Ok(described
            .into_iter()
            .map(|mut d| {
                d.pending.resource.labels = by_arn.remove(&d.arn).unwrap_or_default();
                d.pending
            })
            .collect()),
        StreamTags::PerStream => {
            stream::iter(described)
                .map(|mut d| async move {
                    d.pending.resource.labels = list_tags(client, &d.pending.resource.name).await?;
                    Ok::<_, CallError>(d.pending)
                })
                .buffered(concurrency.max(1))
                .try_collect()
                .await
        }
    }
}

async fn list_names(client: &Client) -> Result<Vec<String>, CallError> {
    let mut names: Vec<String> = Vec::new();
    let mut next_token: Option<String> = None;
    loop {
        let mut request = client.list_streams();
        if let Some(token) = &next_token {
            request = request.next_token(token);
        } else if let Some(last) = names.last() {
            request = request.exclusive_start_stream_name(last);
        }
        let page = request
            .send()
            .await
            .map_err(|e| CallError::from_sdk("kinesis:ListStreams", &e))?;
        let before = names.len();
        names.extend(page.stream_names().iter().cloned());
        if !page.has_more_streams() || names.len() == before {
            return Ok(names);
        }
        next_token = page.next_token().map(str::to_string);
    }
}

/// One stream as a pending resource without tags; `None` when it was deleted since
/// the listing.
async fn describe(
    client: &Client,
    target: &Target,
    prefix: &str,
    name: &str,
) -> Result<Option<Described>, CallError> {
    let summary = match client
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            let err = CallError::from_sdk("kinesis:DescribeStreamSummary", &e);
            if err.is_not_found() {
                tracing::debug!(stream = name, "stream gone since the listing");
                return Ok(None);
            }
            return Err(err);
        }
    };
    let Some(summary) = summary.stream_description_summary() else {
        return Err(CallError {
            call: "kinesis:DescribeStreamSummary",
            detail: format!("malformed response: no StreamDescriptionSummary for `{name}`"),
            code: None,
        });
    };
    let consumers = match summary.consumer_count() {
        Some(_) => None,
        None => Some(count_consumers(client, summary.stream_arn()).await?),
    };
    let pending = Pending {
        resource: Resource {
            id: format!("{prefix}/{name}"),
            kind: KIND.to_string(),
            platform: Platform::Aws,
            name: name.to_string(),
            namespace: Some(target.region.clone()),
            labels: Vec::new(),
            metrics: Vec::new(),
            raw: raw::stream_summary(summary, consumers).to_string(),
        },
        dimension_value: name.to_string(),
        specs: &metrics::KINESIS,
    };
    Ok(Some(Described {
        pending,
        arn: summary.stream_arn().to_string(),
    }))
}

/// One stream's tags with `ListTagsForStream`, page by page.
async fn list_tags(client: &Client, name: &str) -> Result<Vec<(String, String)>, CallError> {
    let mut labels: Vec<(String, String)> = Vec::new();
    loop {
        let mut request = client.list_tags_for_stream().stream_name(name);
        if let Some((last, _)) = labels.last() {
            request = request.exclusive_start_tag_key(last);
        }
        let page = request
            .send()
            .await
            .map_err(|e| CallError::from_sdk("kinesis:ListTagsForStream", &e))?;
        let before = labels.len();
        labels.extend(
            page.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().unwrap_or("").to_string())),
        );
        if !page.has_more_tags() || labels.len() == before {
            return Ok(labels);
        }
    }
}

async fn count_consumers(client: &Client, arn: &str) -> Result<i32, CallError> {
    let mut count = 0;
    let mut pages = client
        .list_stream_consumers()
        .stream_arn(arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CallError::from_sdk("kinesis:ListStreamConsumers", &e))?;
        count += page.consumers().len() as i32;
    }
    Ok(count)
}
