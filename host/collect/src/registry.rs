//! The one table of live collectors. A collector module implements [`LiveCollector`];
//! one line in [`live_collectors!`](crate::live_collectors) then gives it its section of
//! the `collectors:` config, its `--source` name and its validation at start.

use std::fmt;

use aiops_core::Collector;
use serde::de::DeserializeOwned;

use crate::CollectorsConfig;

/// A live collector as the registry knows it.
pub trait LiveCollector: Collector + Sized + 'static {
    /// The name `--source` and the `collectors:` section spell it with.
    const NAME: &'static str;
    /// Its section under `collectors:`.
    type Config: Clone + Default + fmt::Debug + DeserializeOwned + schemars::JsonSchema;
    /// Checks the section at start, without I/O: the error names the key.
    fn validate(config: &Self::Config) -> Result<(), String>;
    /// The collector with these settings.
    fn from_config(config: Self::Config) -> Self;
}

/// One entry of [`LIVE_SOURCES`](crate::LIVE_SOURCES).
pub struct LiveSource {
    /// The name as the command line spells it.
    pub name: &'static str,
    build: fn(&CollectorsConfig) -> Box<dyn Collector>,
    validate: fn(&CollectorsConfig) -> Result<(), String>,
}

impl LiveSource {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        build: fn(&CollectorsConfig) -> Box<dyn Collector>,
        validate: fn(&CollectorsConfig) -> Result<(), String>,
    ) -> Self {
        LiveSource {
            name,
            build,
            validate,
        }
    }

    /// The live source named `name`, if this build has it.
    pub fn find(name: &str) -> Option<&'static LiveSource> {
        crate::LIVE_SOURCES.iter().find(|s| s.name == name)
    }

    /// The collector for this source with its settings from the config.
    pub fn collector(&self, config: &CollectorsConfig) -> Box<dyn Collector> {
        (self.build)(config)
    }

    /// Checks this source's section of the config.
    pub fn validate(&self, config: &CollectorsConfig) -> Result<(), String> {
        (self.validate)(config)
    }
}

impl fmt::Debug for LiveSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for LiveSource {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for LiveSource {}

impl CollectorsConfig {
    /// Checks every collector's section at start (without I/O), naming the key.
    pub fn validate(&self) -> Result<(), String> {
        crate::LIVE_SOURCES
            .iter()
            .try_for_each(|source| source.validate(self))
    }
}

/// Declares the live collectors, one line each (`field => Type`): makes the
/// `collectors:` section ([`CollectorsConfig`], a field per collector named as it) and
/// the table [`LIVE_SOURCES`](crate::LIVE_SOURCES) of `--source` names.
#[macro_export]
macro_rules! live_collectors {
    ($($(#[doc = $doc:literal])* #[cfg($cfg:meta)] $field:ident => $collector:ty),* $(,)?) => {
        /// The `collectors:` config section: settings per live collector.
        #[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
        #[serde(default, deny_unknown_fields)]
        pub struct CollectorsConfig {
            $(
                $(#[doc = $doc])*
                #[cfg($cfg)]
                pub $field: <$collector as $crate::LiveCollector>::Config,
            )*
        }

        /// Every live collector of this build, in the order `--source` lists them.
        pub static LIVE_SOURCES: &[$crate::LiveSource] = &[
            $(
                #[cfg($cfg)]
                $crate::LiveSource::new(
                    <$collector as $crate::LiveCollector>::NAME,
                    |config| Box::new(<$collector as $crate::LiveCollector>::from_config(
                        config.$field.clone(),
                    )),
                    |config| <$collector as $crate::LiveCollector>::validate(&config.$field),
                ),
            )*
        ];
    };
}

#[cfg(all(test, feature = "k8s", feature = "aws", feature = "azure"))]
mod tests {
    #[test]
    fn each_collector_is_named_as_its_config_section() {
        let names: Vec<&str> = crate::LIVE_SOURCES.iter().map(|s| s.name).collect();
        assert_eq!(names, ["k8s", "aws", "azure"]);
        let section = serde_norway::from_str::<crate::CollectorsConfig>(
            "k8s: {page_size: 7}\naws: {}\nazure: {}\n",
        )
        .unwrap();
        assert_eq!(section.k8s.page_size, 7);
    }
}
