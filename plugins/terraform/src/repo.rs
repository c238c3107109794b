//! The files the host passed, parsed once with `hcl-edit`, and the resource blocks in them.
//!
//! A file is only edited when `hcl-edit` reproduces it byte for byte, so everything the
//! remediator does not touch (comments, alignment, blank lines, other blocks) stays as it was.

use aiops_sdk::SourceFile;
use hcl_edit::Span;
use hcl_edit::structure::{Block, Body, Structure};

use crate::value::{Setting, setting};

/// One `.tf` file: its text, its syntax tree and whether the remediator changed it.
pub struct TfFile {
    /// Path relative to the repository root, as the host passed it.
    pub path: String,
    /// The original text.
    pub text: String,
    /// The syntax tree; edits are made here.
    pub body: Body,
    /// True once an edit touched this file.
    pub changed: bool,
}

impl TfFile {
    /// 1-based line of a byte offset in the original text.
    pub fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1
    }
}

/// The Terraform files of one remediation request.
pub struct Repo {
    /// The `.tf` files, in the order the host passed them.
    pub files: Vec<TfFile>,
}

/// A `resource "TYPE" "NAME"` block: which file, which top-level structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRef {
    /// Index into [`Repo::files`].
    pub file: usize,
    /// Index of the block in the file's top-level body.
    pub index: usize,
}

/// Normalises a repository path for comparison (`./a/b.tf` and `a/b.tf` are the same).
pub fn normalise(path: &str) -> &str {
    path.trim().trim_start_matches("./")
}

impl Repo {
    /// Parses every `.tf` file; other files are ignored. A file that does not parse, or that
    /// `hcl-edit` would not write back byte for byte, is an error naming the file.
    pub fn parse(files: Vec<SourceFile>) -> Result<Repo, String> {
        let mut out = Vec::new();
        for file in files {
            if !file.path.ends_with(".tf") {
                continue;
            }
            let body = hcl_edit::parser::parse_body(&file.content).map_err(|e| {
                let e = e.to_string();
                format!("{} does not parse as HCL: {}", file.path, e.trim_end())
            })?;
            if body.to_string() != file.content {
                return Err(format!(
                    "{} cannot be edited without reformatting it (hcl-edit does not write it \
                     back byte for byte, e.g. because of CRLF line endings)",
                    file.path
                ));
            }
            out.push(TfFile {
                path: file.path,
                text: file.content,
                body,
                changed: false,
            });
        }
        Ok(Repo { files: out })
    }

    /// The block `r`.
    pub fn block(&self, r: BlockRef) -> &Block {
        match self.files[r.file].body.get(r.index) {
            Some(Structure::Block(b)) => b,
            _ => unreachable!("a BlockRef always names a block"),
        }
    }

    /// The block `r`, to edit; marks its file as changed.
    pub fn block_mut(&mut self, r: BlockRef) -> &mut Block {
        let file = &mut self.files[r.file];
        file.changed = true;
        match file.body.get_mut(r.index) {
            Some(Structure::Block(b)) => b,
            _ => unreachable!("a BlockRef always names a block"),
        }
    }

    /// `TYPE.NAME` of a resource block.
    pub fn address(&self, r: BlockRef) -> String {
        let b = self.block(r);
        let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
        labels.join(".")
    }

    /// `path:line` where a block starts, for messages.
    pub fn site(&self, r: BlockRef) -> String {
        let file = &self.files[r.file];
        let line = self.block(r).span().map_or(1, |s| file.line_of(s.start));
        format!("{}:{line}", file.path)
    }

    /// `path:line` of a byte offset in a block's file.
    pub fn site_at(&self, r: BlockRef, offset: Option<usize>) -> String {
        let file = &self.files[r.file];
        match offset {
            Some(o) => format!("{}:{}", file.path, file.line_of(o)),
            None => self.site(r),
        }
    }

    /// Every `resource` block of one of `types`.
    pub fn resources<'a>(&'a self, types: &'a [&str]) -> impl Iterator<Item = BlockRef> + 'a {
        self.files.iter().enumerate().flat_map(move |(f, file)| {
            file.body
                .iter()
                .enumerate()
                .filter_map(move |(index, s)| match s {
                    Structure::Block(b) if is_resource_of(b, types) => {
                        Some(BlockRef { file: f, index })
                    }
                    _ => None,
                })
        })
    }

    /// The resource block named by an address (`TYPE.NAME`) in the file at `path`.
    pub fn by_address(&self, path: &str, address: &str) -> Result<BlockRef, String> {
        let Some(f) = self
            .files
            .iter()
            .position(|file| normalise(&file.path) == normalise(path))
        else {
            return Err(format!(
                "the source tag names {path}, which is not among the Terraform files passed"
            ));
        };
        let Some((ty, name)) = address.split_once('.') else {
            return Err(format!(
                "the source tag's address `{address}` is not of the form TYPE.NAME"
            ));
        };
        self.files[f]
            .body
            .iter()
            .position(|s| {
                s.as_block().is_some_and(|b| {
                    b.ident.as_str() == "resource" && b.has_exact_labels(&[ty, name])
                })
            })
            .map(|index| BlockRef { file: f, index })
            .ok_or_else(|| format!("{path} has no block `resource \"{ty}\" \"{name}\"`"))
    }

    /// The single resource block of one of `types` whose attribute `attr` is the literal
    /// `value`. None or several is an error that lists what was seen, including blocks whose
    /// `attr` is computed and so could not be compared.
    pub fn by_attribute(
        &self,
        types: &[&str],
        attr: &str,
        value: &str,
    ) -> Result<BlockRef, String> {
        let mut found = Vec::new();
        let mut unknown = Vec::new();
        for r in self.resources(types) {
            match self
                .block(r)
                .body
                .get_attribute(attr)
                .map(|a| setting(&a.value))
            {
                Some(Setting::Literal(v)) if v.as_str() == Some(value) => found.push(r),
                Some(Setting::Computed(how)) => {
                    unknown.push(format!("`{}` ({how})", self.address(r)))
                }
                _ => {}
            }
        }
        let kinds = types.join(" or ");
        match found.as_slice() {
            [one] => Ok(*one),
            [] => {
                let mut reason = format!(
                    "no {kinds} block with {attr} = \"{value}\" in the files passed ({})",
                    self.file_list()
                );
                if !unknown.is_empty() {
                    reason.push_str(&format!(
                        "; {attr} of {} is computed and could not be compared",
                        unknown.join(", ")
                    ));
                }
                Err(reason)
            }
            many => Err(format!(
                "{} {kinds} blocks have {attr} = \"{value}\" ({}); which one to edit is ambiguous",
                many.len(),
                many.iter()
                    .map(|&r| format!("`{}` at {}", self.address(r), self.site(r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The paths passed, for messages.
    pub fn file_list(&self) -> String {
        if self.files.is_empty() {
            return "no .tf file".to_string();
        }
        self.files
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The changed files with their new text.
    pub fn edits(&self) -> Vec<SourceFile> {
        self.files
            .iter()
            .filter(|f| f.changed)
            .map(|f| SourceFile {
                path: f.path.clone(),
                content: f.body.to_string(),
            })
            .filter(|edit| {
                self.files
                    .iter()
                    .any(|f| f.path == edit.path && f.text != edit.content)
            })
            .collect()
    }
}

fn is_resource_of(block: &Block, types: &[&str]) -> bool {
    block.ident.as_str() == "resource"
        && block.labels.len() == 2
        && types.contains(&block.labels[0].as_str())
}
