//! `synthgate sample`: read a model file, sample rows, write them.

use synthgate_core::{Error, Location, Result, Seed};
use synthgate_io::{Format, check_output_path, write_table};
use synthgate_synth::Model;

use crate::args::SampleArgs;
use crate::commands::overwrite;
use crate::progress::Spinner;

pub(crate) fn run(args: &SampleArgs, quiet: bool) -> Result<()> {
    Format::from_path(&args.out)?;
    let overwrite = overwrite(args.force);
    check_output_path(&args.out, overwrite)?;
    let bytes = std::fs::read(&args.model).map_err(|error| {
        let message = match error.kind() {
            std::io::ErrorKind::NotFound => "the model file does not exist.".to_string(),
            _ => format!("the model file could not be read: {error}."),
        };
        Error::input(message)
            .at(Location::file(&args.model))
            .hint("Write one with `synthgate fit DATA --out MODEL`.")
    })?;
    let model = Model::from_bytes(&bytes, &args.model)?;
    let rows = usize::try_from(args.rows)
        .map_err(|_| Error::usage("--rows is larger than this machine can address."))?;
    let seed = args.seed.map_or(model.seed(), Seed);
    let conditions = model.conditions(&args.conditions)?;
    let spinner = Spinner::start(quiet, &format!("sampling {rows} rows"));
    let table = model.sample_where(rows, seed, &conditions)?;
    write_table(&table, &args.out, overwrite)?;
    drop(spinner);
    if !quiet {
        eprintln!(
            "sampled {} rows from '{}' (seed {}) into {}",
            table.num_rows(),
            model.synthesizer(),
            seed.0,
            args.out.display()
        );
    }
    Ok(())
}
