//! # aiops SDK
//!
//! The one crate an aiops plugin author depends on. Implement [`Detector`] (or
//! [`Remediator`]) on a type, call [`export_detector!`] (or [`export_remediator!`]),
//! and build with `cargo build --target wasm32-wasip2 --release`: the result is a
//! component the aiops host loads from its plugin directory. A plugin that needs
//! nothing from WASI (no clock, no stdout) can be built for `wasm32-unknown-unknown`
//! and wrapped with `wasm-tools component new`: it then imports only the contract's
//! `log` and `config`, and instantiates faster. Either way a panic's message goes to
//! the host's log (error level), and the host quotes it in the call's error.
//!
//! ```
//! use aiops_sdk::*;
//!
//! pub struct ReplicasAtLeastTwo;
//!
//! impl Detector for ReplicasAtLeastTwo {
//!     fn info() -> PluginInfo {
//!         PluginInfo {
//!             name: "replicas".into(),
//!             version: "0.1.0".into(),
//!             kinds: vec!["Deployment".into()],
//!             rules: vec![RuleInfo::new("example.replicas", Severity::Low, "One replica", "...")],
//!             ..Default::default()
//!         }
//!     }
//!
//!     fn detect(_ctx: &Context<'_>, resources: Vec<Resource>) -> Result<Vec<Finding>, String> {
//!         let rule = &Self::info().rules[0];
//!         let mut out = Vec::new();
//!         for r in &resources {
//!             let w = k8s::Workload::from_resource(r).map_err(|e| e.to_string())?;
//!             if w.and_then(|w| w.replicas).unwrap_or(1) < 2 {
//!                 out.push(Finding::new(rule, r, "runs a single replica"));
//!             }
//!         }
//!         Ok(out)
//!     }
//! }
//!
//! export_detector!(ReplicasAtLeastTwo);
//!
//! // Natively, with the harness:
//! let run = testing::Harness::<ReplicasAtLeastTwo>::new()
//!     .detect(testing::k8s_resources_from_yaml(
//!         "kind: Deployment\nmetadata: {name: web}\nspec: {replicas: 1}\n",
//!     ))
//!     .unwrap();
//! assert_eq!(run.findings.len(), 1);
//! ```

#![warn(missing_docs)]

/// The plugin author guide (`sdk/README.md`): its Rust examples run as doc tests, so
/// the guide cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct PluginAuthorGuide;

pub mod k8s;
pub mod kinds;
pub mod knobs;
#[cfg(feature = "kustomize")]
pub mod kustomize;
pub mod model;
pub mod plugin;
pub mod quantity;
pub mod rules;

#[cfg(feature = "guest")]
#[doc(hidden)]
pub mod guest;

#[cfg(any(test, all(feature = "allocator", target_family = "wasm")))]
mod alloc;

/// Every wasm plugin built with the SDK allocates through [`alloc::GuestAllocator`]
/// (feature `allocator`, on by default; turn it off to bring your own).
#[cfg(all(
    feature = "allocator",
    target_family = "wasm",
    not(target_feature = "atomics")
))]
#[global_allocator]
static GUEST_ALLOCATOR: alloc::GuestAllocator = alloc::GuestAllocator::new();

/// Turns the guest allocator's frees on or off (see [`alloc::GuestAllocator::set_frees`]);
/// nothing when the SDK's allocator is not in use.
#[cfg(feature = "guest")]
pub(crate) fn set_guest_frees(_on: bool) {
    #[cfg(all(
        feature = "allocator",
        target_family = "wasm",
        not(target_feature = "atomics")
    ))]
    GUEST_ALLOCATOR.set_frees(_on);
}

#[cfg(feature = "testing")]
pub mod testing;

pub use model::{
    FieldChange, Finding, Metric, Outcome, Platform, PluginInfo, RemediationHint, Resource,
    RuleInfo, Severity, SourceFile,
};
pub use plugin::{Context, Detector, LogLevel, LogSink, Remediator};
pub use quantity::Quantity;
