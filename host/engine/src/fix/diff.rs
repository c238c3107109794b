//! Unified diffs of fixed files, as `git diff` shows them (`a/PATH`, `b/PATH`, three
//! lines of context), with `similar` — the diff library behind `insta`, well kept and
//! dependency-free, whose Myers/Patience implementation and unified-diff printer
//! handle missing final newlines the way `patch` and `git apply` expect.

use similar::TextDiff;

/// The unified diff turning `before` into `after` for the file at `path`; empty when
/// they are equal.
pub fn unified(path: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_changed_lines_with_context_and_headers() {
        let before = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let after = "a\nb\nc\nd\nE\nf\ng\nh\n";
        let diff = unified("k8s/x.yaml", before, after);
        assert_eq!(
            diff,
            "--- a/k8s/x.yaml\n+++ b/k8s/x.yaml\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
        );
        assert_eq!(unified("x", "same", "same"), "");
    }
}
