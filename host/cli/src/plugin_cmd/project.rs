//! What a plugin project is: its language and the world it implements, shared by
//! `plugin new` and `plugin build`.

use std::path::PathBuf;

/// The language a plugin project is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Rust, on the `aiops-sdk` crate (cargo).
    Rust,
    /// Python, on `sdk/python` (componentize-py).
    Python,
    /// JavaScript, on `sdk/js` (componentize-js).
    Js,
}

/// The WIT world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PluginKind {
    /// Reads resources, returns findings (`aiops:plugin/detector`).
    Detector,
    /// Edits IaC source files to fix findings (`aiops:plugin/remediator`).
    Remediator,
}

/// Where the language toolchains (componentize-py, componentize-js, …) are found or
/// installed.
#[derive(Debug, Clone)]
pub struct Tools {
    /// Install a missing toolchain into `dir` instead of failing with what to install.
    pub install: bool,
    /// The toolchain cache (under the data directory).
    pub dir: PathBuf,
}
