//! Container image references: is the tag a mutable one (`latest` or none)?

/// The tag part of an image reference, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag<'a> {
    /// Pinned by digest (`@sha256:...`): immutable, whatever the tag says.
    Digest,
    /// No tag at all: the registry's `latest`.
    Missing,
    /// A tag.
    Named(&'a str),
}

impl<'a> Tag<'a> {
    /// Reads the tag of `image` (`registry:5000/team/app:1.2`, `app`, `app@sha256:...`).
    ///
    /// A `:` before the last `/` belongs to a registry host's port, not to the tag.
    pub fn of(image: &'a str) -> Tag<'a> {
        if image.contains('@') {
            return Tag::Digest;
        }
        let last = image.rsplit('/').next().unwrap_or(image);
        match last.split_once(':') {
            Some((_, tag)) if !tag.is_empty() => Tag::Named(tag),
            _ => Tag::Missing,
        }
    }

    /// True for `latest` or no tag: the image behind the name can change under a
    /// running workload.
    pub fn is_mutable(self) -> bool {
        matches!(self, Tag::Missing | Tag::Named("latest"))
    }

    /// The tag for evidence: the tag itself, `none`, or `digest`.
    pub fn describe(self) -> &'a str {
        match self {
            Tag::Digest => "digest",
            Tag::Missing => "none",
            Tag::Named(tag) => tag,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tags_digests_and_registry_ports() {
        assert_eq!(Tag::of("nginx"), Tag::Missing);
        assert_eq!(Tag::of("nginx:latest"), Tag::Named("latest"));
        assert_eq!(Tag::of("nginx:1.27"), Tag::Named("1.27"));
        assert_eq!(Tag::of("registry.local:5000/team/app"), Tag::Missing);
        assert_eq!(
            Tag::of("registry.local:5000/team/app:2.0"),
            Tag::Named("2.0")
        );
        assert_eq!(Tag::of("app:latest@sha256:0123abcd"), Tag::Digest);
        assert_eq!(Tag::of("app@sha256:0123abcd"), Tag::Digest);
        assert_eq!(Tag::of("app:"), Tag::Missing);
    }

    #[test]
    fn only_latest_and_missing_tags_are_mutable() {
        assert!(Tag::of("nginx").is_mutable());
        assert!(Tag::of("quay.io/x/nginx:latest").is_mutable());
        assert!(!Tag::of("nginx:latest-1.2").is_mutable());
        assert!(!Tag::of("nginx:LATEST2").is_mutable());
        assert!(!Tag::of("nginx@sha256:abc").is_mutable());
        assert_eq!(Tag::of("nginx").describe(), "none");
        assert_eq!(Tag::of("nginx@sha256:abc").describe(), "digest");
    }
}
