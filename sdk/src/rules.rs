//! A detector's rule table, declared once with [`rules!`](crate::rules!): the rule id
//! constants, an enum naming each rule, and the [`RuleInfo`]s of the plugin's info.
//!
//! ```
//! aiops_sdk::rules! {
//!     /// The rules of this detector.
//!     pub enum Rule {
//!         /// Rule id: a workload runs one replica.
//!         SingleReplica / SINGLE_REPLICA = "example.single-replica" {
//!             severity: Medium,
//!             title: "Single replica",
//!             description: "One replica goes down with its node.",
//!         },
//!         /// Rule id: a workload has no probe.
//!         NoProbe / NO_PROBE = "example.no-probe" {
//!             severity: Low,
//!             title: "No probe",
//!             description: "Nobody notices a hung process.",
//!         },
//!     }
//! }
//!
//! use aiops_sdk::rules::{RuleId, RuleTable};
//! assert_eq!(SINGLE_REPLICA, "example.single-replica");
//! assert_eq!(Rule::NoProbe.id(), NO_PROBE);
//! let table = RuleTable::<Rule>::new();
//! assert_eq!(table.get(Rule::NoProbe).default_severity, aiops_sdk::Severity::Low);
//! assert_eq!(Rule::infos().len(), 2);
//! ```

use std::marker::PhantomData;

use crate::model::{RuleInfo, Severity};

/// A rule of a table declared with [`rules!`](crate::rules!).
pub trait RuleId: Copy + 'static {
    /// Every rule, in declaration order.
    const ALL: &'static [Self];

    /// Position in [`RuleId::ALL`].
    fn index(self) -> usize;

    /// The stable id, e.g. `k8s.resources.cpu-limit-missing`.
    fn id(self) -> &'static str;

    /// Severity unless the config overrides it.
    fn default_severity(self) -> Severity;

    /// A short title.
    fn title(self) -> &'static str;

    /// One paragraph: what the rule checks and why.
    fn description(self) -> &'static str;

    /// The rule's documentation, for the plugin's info.
    fn info(self) -> RuleInfo {
        RuleInfo::new(
            self.id(),
            self.default_severity(),
            self.title(),
            self.description(),
        )
    }

    /// The documentation of every rule, in declaration order.
    fn infos() -> Vec<RuleInfo> {
        Self::ALL.iter().map(|r| r.info()).collect()
    }
}

/// The [`RuleInfo`] of every rule, built once (per batch) so findings borrow them.
#[derive(Debug, Clone)]
pub struct RuleTable<R> {
    infos: Vec<RuleInfo>,
    rule: PhantomData<R>,
}

impl<R: RuleId> Default for RuleTable<R> {
    fn default() -> Self {
        RuleTable {
            infos: R::infos(),
            rule: PhantomData,
        }
    }
}

impl<R: RuleId> RuleTable<R> {
    /// The table of every rule of `R`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The documentation of `rule`.
    pub fn get(&self, rule: R) -> &RuleInfo {
        &self.infos[rule.index()]
    }
}

/// Declares a detector's rules once: a `pub const` id per rule, an enum of the rules
/// implementing [`RuleId`] (ids, severities, titles, descriptions), from which
/// [`RuleTable`] and the plugin's `RuleInfo`s follow. See the [module](crate::rules).
#[macro_export]
macro_rules! rules {
    (
        $(#[$enum_meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$meta:meta])*
                $variant:ident / $konst:ident = $id:literal {
                    severity: $severity:ident,
                    title: $title:expr,
                    description: $description:expr $(,)?
                }
            ),* $(,)?
        }
    ) => {
        $(
            $(#[$meta])*
            $vis const $konst: &str = $id;
        )*

        $(#[$enum_meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $(
                $(#[$meta])*
                $variant,
            )*
        }

        impl $crate::rules::RuleId for $name {
            const ALL: &'static [Self] = &[$($name::$variant),*];

            fn index(self) -> usize {
                self as usize
            }

            fn id(self) -> &'static str {
                match self {
                    $($name::$variant => $konst,)*
                }
            }

            fn default_severity(self) -> $crate::Severity {
                match self {
                    $($name::$variant => $crate::Severity::$severity,)*
                }
            }

            fn title(self) -> &'static str {
                match self {
                    $($name::$variant => $title,)*
                }
            }

            fn description(self) -> &'static str {
                match self {
                    $($name::$variant => $description,)*
                }
            }
        }
    };
}
