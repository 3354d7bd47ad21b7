//! Synthesizers: fit a model on a table, sample any number of rows from a seed.
//!
//! - [`Synthesizer`] is the extension point: a name, a one-line summary, a payload version,
//!   what it supports ([`Capabilities`]), `fit` on encoded data and `load` of saved parameters.
//!   Built-ins implement it exactly as a plug-in would; [`Synthesizers`] is a set of them by
//!   name (the built-ins, plus any a caller adds), passed to model loading.
//! - [`Fitted`] is what `fit` returns: it samples one shard of encoded rows from a seeded
//!   stream and exports its parameters for the model file.
//! - The [`codec`] turns a typed [`Table`](synthgate_core::Table) into numeric and categorical
//!   columns and back, and applies the privacy [`Protections`] before any model sees a row.
//! - [`fit`] and [`Model`] tie them together: a versioned model file ([`Model::to_bytes`],
//!   [`Model::from_bytes`]) and sharded, thread-count-independent sampling ([`Model::sample`]).
//!
//! This crate does no I/O.

#![warn(missing_docs)]

mod calendar;
mod cart;
pub mod codec;
mod copula;
mod independent;
mod model;
mod mst;
pub mod relational;
mod sampling;
pub mod words;

use synthgate_core::{Result, Seed, SeedRng};

pub use cart::Cart;
pub use codec::{ColumnCodec, Encoded, Protections};
pub use copula::GaussianCopula;
pub use independent::Independent;
pub use model::{
    DpConfig, FitConfig, MODEL_FORMAT_VERSION, Model, PrivacyPlan, RULE_REDRAWS, SHARD_ROWS, fit,
    fit_dp,
};
pub use mst::Mst;
pub use synthgate_dp::accountant::{PrivacyStatement, epsilon as epsilon_of, rho_for};
pub use synthgate_dp::noise::{EntropyNoise, Noise, SeededNoise};

/// What a synthesizer can do beyond fitting and sampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Samples rows with some columns fixed (`--where`).
    pub conditioning: bool,
    /// Gives a differential-privacy guarantee.
    pub differential_privacy: bool,
    /// Models the relations between columns.
    pub relations: bool,
}

/// A way to model a table. Implementations must be deterministic: the same encoded data and
/// seed give the same model, and the same model and stream give the same rows.
pub trait Synthesizer: Send + Sync {
    /// The name users pass to `--synthesizer`.
    fn name(&self) -> &'static str;
    /// One line on what it does, for `synthgate synthesizers`.
    fn summary(&self) -> &'static str;
    /// The version of its parameters' format in model files.
    fn version(&self) -> u32;
    /// What it supports.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
    /// This synthesizer with its settings changed by `KEY=VALUE` parameters (`--param`), or
    /// `None` when they change nothing (the synthesizer is used as it is). The default takes
    /// no parameters: any one is a usage error naming it. Callers go through
    /// [`Synthesizers::configured`].
    fn with_parameters(
        &self,
        parameters: &[(String, String)],
    ) -> Result<Option<Box<dyn Synthesizer>>> {
        match parameters.first() {
            None => Ok(None),
            Some((key, _)) => Err(synthgate_core::Error::usage(format!(
                "synthesizer '{}' takes no parameters, but '{key}' was given.",
                self.name()
            ))),
        }
    }
    /// Fit on encoded training data.
    fn fit(&self, data: &Encoded, codecs: &[ColumnCodec], seed: Seed) -> Result<Box<dyn Fitted>>;
    /// Restore a fitted model from the parameters it exported (of payload `version`).
    fn load(&self, parameters: &serde_json::Value, version: u32) -> Result<Box<dyn Fitted>>;
}

/// The version a release records for data made by `synthesizer`: its payload version and the
/// codec's, so a release made by another version of either is refused by `verify --reproduce`
/// with both named, not reported as a mismatch.
pub fn generator_version(synthesizer: &dyn Synthesizer) -> String {
    format!("{} codec-{}", synthesizer.version(), codec::CODEC_VERSION)
}

/// The version of a dataset of several tables made with `synthesizer`: its tables' model and
/// codec versions and the sequence model's ([`relational::SEQUENCES_VERSION`]).
pub fn dataset_generator_version(synthesizer: &dyn Synthesizer) -> String {
    format!(
        "{} sequences-{}",
        generator_version(synthesizer),
        relational::SEQUENCES_VERSION
    )
}

/// A fixed value for a categorical column: sample only rows with `column` = `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    /// The column's index in the codecs.
    pub column: usize,
    /// The category code it must take.
    pub code: u32,
}

/// A fitted model.
pub trait Fitted: Send + Sync {
    /// Draw `rows` encoded rows from `rng`, all meeting `conditions` (empty for none). Only
    /// synthesizers whose [`Capabilities`] include conditioning receive conditions.
    fn sample_shard(
        &self,
        rows: usize,
        rng: &mut SeedRng,
        conditions: &[Condition],
    ) -> Result<Encoded>;
    /// The parameters to save in the model file. Must hold only finite numbers: [`fit`] fails
    /// with an internal error otherwise, rather than write a model file that cannot be read.
    fn parameters(&self) -> Result<serde_json::Value>;
}

/// Restore a fitted model of type `T` from the parameters it exported with [`to_parameters`].
pub(crate) fn load_parameters<T>(parameters: &serde_json::Value) -> Result<Box<dyn Fitted>>
where
    T: Fitted + serde::de::DeserializeOwned + 'static,
{
    let model: T = serde_json::from_value(parameters.clone()).map_err(|error| {
        synthgate_core::Error::spec(format!("the model's parameters are invalid: {error}."))
    })?;
    Ok(Box::new(model))
}

/// A fitted model's parameters as JSON. JSON cannot hold NaN or infinity (serde_json would
/// write `null`, which does not load back), so a non-finite number is an internal error naming
/// the field that holds it.
pub(crate) fn to_parameters<T: serde::Serialize>(model: &T) -> Result<serde_json::Value> {
    model::check_finite(model, "the fitted model's parameters")?;
    serde_json::to_value(model).map_err(|error| {
        synthgate_core::Error::internal(format!("the model's parameters do not serialise: {error}"))
    })
}

/// The built-in synthesizers, the default first.
pub fn builtins() -> Vec<Box<dyn Synthesizer>> {
    vec![
        Box::new(Cart::default()),
        Box::new(GaussianCopula),
        Box::new(Independent),
        Box::new(Mst),
    ]
}

/// The name of the default synthesizer.
pub const DEFAULT_SYNTHESIZER: &str = "cart";

/// The built-in synthesizer called `name`.
pub fn builtin(name: &str) -> Option<Box<dyn Synthesizer>> {
    Synthesizers::builtin().take(name)
}

/// A set of synthesizers, by name: what fitting chooses from and what model loading finds a
/// model file's synthesizer in. [`Synthesizers::builtin`] is Synthgate's own; a front end or
/// a test adds its own with [`Synthesizers::with`], and they work exactly as the built-ins do.
pub struct Synthesizers {
    members: Vec<Box<dyn Synthesizer>>,
}

impl std::fmt::Debug for Synthesizers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Synthesizers {
    /// The built-in synthesizers ([`builtins`]).
    pub fn builtin() -> Synthesizers {
        Synthesizers {
            members: builtins(),
        }
    }

    /// This set with `synthesizer` added; one of the same name is replaced.
    #[must_use]
    pub fn with(mut self, synthesizer: Box<dyn Synthesizer>) -> Synthesizers {
        self.members.retain(|s| s.name() != synthesizer.name());
        self.members.push(synthesizer);
        self
    }

    /// The synthesizer called `name`.
    pub fn get(&self, name: &str) -> Option<&dyn Synthesizer> {
        self.members
            .iter()
            .find(|s| s.name() == name)
            .map(|s| s.as_ref())
    }

    /// The synthesizer called `name`, taken out of the set (to configure it).
    pub fn take(mut self, name: &str) -> Option<Box<dyn Synthesizer>> {
        let position = self.members.iter().position(|s| s.name() == name)?;
        Some(self.members.swap_remove(position))
    }

    /// Every member, in order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Synthesizer> {
        self.members.iter().map(|s| s.as_ref())
    }

    /// The members' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.members.iter().map(|s| s.name()).collect()
    }

    /// The synthesizer called `name` with `parameters` applied, or a usage error listing the
    /// set's names.
    pub fn configured(
        self,
        name: &str,
        parameters: &[(String, String)],
    ) -> Result<Box<dyn Synthesizer>> {
        let names = self.names().join(", ");
        let synthesizer = self.take(name).ok_or_else(|| {
            synthgate_core::Error::usage(format!(
                "there is no synthesizer called '{name}'; the available ones are: {names}."
            ))
            .hint("Run `synthgate synthesizers` for a line on each.")
        })?;
        Ok(synthesizer
            .with_parameters(parameters)?
            .unwrap_or(synthesizer))
    }
}
