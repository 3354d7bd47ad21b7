//! One module per verb: argument parsing, one engine call, rendering.

pub(crate) mod approve;
pub(crate) mod audit;
pub(crate) mod convert;
pub(crate) mod dataset;
pub(crate) mod drift;
pub(crate) mod evaluate;
pub(crate) mod fit;
pub(crate) mod generate;
pub(crate) mod inspect;
pub(crate) mod keygen;
pub(crate) mod registry;
pub(crate) mod run;
pub(crate) mod sample;
pub(crate) mod serve;
pub(crate) mod synthesizers;
pub(crate) mod verify;
mod workspace;

use synthgate_engine::InputOptions;

use crate::args::DataArgs;

/// The input options of a verb that reads tables.
pub(crate) fn input(args: &DataArgs) -> InputOptions {
    InputOptions {
        na: args.na.clone(),
        schema: args.schema.clone(),
        delimiter: args.delimiter,
    }
}
