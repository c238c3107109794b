//! Tags of every Kinesis data stream of one account and region in a few calls: the
//! Resource Groups Tagging API's `GetResources` (resource type `kinesis:stream`, 100
//! resources a page) instead of one `ListTagsForStream` per stream, which AWS allows
//! only 5 times a second per account.
//!
//! `GetResources` returns the streams that are (or were) tagged, so against AWS's own
//! endpoints a stream it leaves out has no tags. The caller reads each stream's tags
//! with `ListTagsForStream` instead when `GetResources` fails (a role without
//! `tag:GetResources`), or when an endpoint override is set (an emulator) and the
//! answer names none of the streams: moto 5.2.5's tagging API does not cover Kinesis,
//! and a tag must not be lost there. See [`StreamTags::from_answer`].

use std::collections::HashMap;

use aws_sdk_resourcegroupstagging::Client;

use super::client::CallError;

/// The resource type filter of Kinesis data streams.
pub const KINESIS_STREAM: &str = "kinesis:stream";

/// Resources per `GetResources` page (the API's maximum).
pub const RESOURCES_PER_PAGE: i32 = 100;

/// Tags by resource ARN, as `GetResources` gave them.
pub type TagsByArn = HashMap<String, Vec<(String, String)>>;

/// Where the tags of the streams come from.
#[derive(Debug)]
pub enum StreamTags {
    /// `GetResources` answered for these streams; a stream it left out has no tags.
    ByArn(TagsByArn),
    /// `GetResources` failed or covered no stream: one `ListTagsForStream` each.
    PerStream,
}

impl StreamTags {
    /// Decides from `GetResources`' answer how the tags of `arns` (the listed streams)
    /// are read: from that answer when it succeeded and either comes from AWS's own
    /// endpoint (`custom_endpoint` false) or names any of the streams; else per stream.
    pub fn from_answer<'a>(
        answer: Result<TagsByArn, CallError>,
        mut arns: impl Iterator<Item = &'a str>,
        custom_endpoint: bool,
    ) -> StreamTags {
        match answer {
            Ok(tags) if !custom_endpoint || arns.any(|arn| tags.contains_key(arn)) => {
                StreamTags::ByArn(tags)
            }
            Ok(_) => {
                tracing::debug!(
                    "tag:GetResources of the endpoint override named none of the streams; \
                     reading tags per stream"
                );
                StreamTags::PerStream
            }
            Err(err) => {
                tracing::debug!("{err}; reading tags per stream");
                StreamTags::PerStream
            }
        }
    }
}

/// Every `kinesis:stream` resource's tags, page by page.
pub async fn kinesis_stream_tags(client: &Client) -> Result<TagsByArn, CallError> {
    let mut tags = TagsByArn::new();
    let mut pages = client
        .get_resources()
        .resource_type_filters(KINESIS_STREAM)
        .resources_per_page(RESOURCES_PER_PAGE)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CallError::from_sdk("tag:GetResources", &e))?;
        for mapping in page.resource_tag_mapping_list() {
            let Some(arn) = mapping.resource_arn() else {
                continue;
            };
            let pairs = mapping
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()));
            tags.entry(arn.to_string()).or_default().extend(pairs);
        }
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(arns: &[&str]) -> TagsByArn {
        arns.iter()
            .map(|a| (a.to_string(), vec![("team".to_string(), "web".to_string())]))
            .collect()
    }

    #[test]
    fn an_answer_is_used_unless_it_failed_or_an_emulator_named_no_stream() {
        let listed = [
            "arn:aws:kinesis:eu-west-1:1:stream/a",
            "arn:aws:kinesis:eu-west-1:1:stream/b",
        ];
        let by_arn = |answer: TagsByArn, custom: bool| match StreamTags::from_answer(
            Ok(answer),
            listed.into_iter(),
            custom,
        ) {
            StreamTags::ByArn(tags) => Some(tags.len()),
            StreamTags::PerStream => None,
        };
        assert_eq!(by_arn(answer(&listed[..1]), true), Some(1));
        assert_eq!(by_arn(answer(&listed[..1]), false), Some(1));
        let other = answer(&["arn:aws:kinesis:x:1:stream/other"]);
        assert_eq!(by_arn(other.clone(), true), None, "an emulator: per stream");
        assert_eq!(
            by_arn(other, false),
            Some(1),
            "AWS: the streams are untagged"
        );
        assert_eq!(by_arn(TagsByArn::new(), false), Some(0));
        let denied = || CallError {
            call: "tag:GetResources",
            detail: "AccessDeniedException (HTTP 400): not allowed".into(),
            code: Some("AccessDeniedException".into()),
        };
        for custom in [false, true] {
            assert!(matches!(
                StreamTags::from_answer(Err(denied()), listed.into_iter(), custom),
                StreamTags::PerStream
            ));
        }
    }
}
