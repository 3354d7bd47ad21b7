//! `synthgate fit`: read a table, fit a synthesizer, save the model file.

use synthgate_core::{Error, Result, Seed};
use synthgate_io::{check_output_path, write_bytes_atomically};
use synthgate_profile::profile;
use synthgate_synth::{FitConfig, Protections, builtin, builtins, fit};

use crate::args::FitArgs;
use crate::commands::{overwrite, read_input};
use crate::progress::Spinner;

pub(crate) fn run(args: &FitArgs, quiet: bool) -> Result<()> {
    let synthesizer = builtin(&args.synthesizer).ok_or_else(|| {
        let names: Vec<&str> = builtins().iter().map(|s| s.name()).collect();
        Error::usage(format!(
            "there is no synthesizer called '{}'; the available ones are: {}.",
            args.synthesizer,
            names.join(", ")
        ))
        .hint("Run `synthgate synthesizers` for a line on each.")
    })?;
    let synthesizer = synthesizer.with_parameters(&args.parameters)?;
    let overwrite = overwrite(args.force);
    check_output_path(&args.out, overwrite)?;
    let (dataset, schema) = read_input(&args.data, &args.input, quiet)?;
    let schema = match schema {
        Some(schema) => schema,
        None => profile(&dataset.table, None, &dataset.info.na_tokens).to_schema()?,
    };
    let config = FitConfig {
        seed: Seed(args.seed),
        protections: Protections {
            min_category_count: usize::try_from(args.min_category_count).unwrap_or(usize::MAX),
            tail_count: usize::try_from(args.tail_count).unwrap_or(usize::MAX),
        },
    };
    let spinner = Spinner::start(quiet, &format!("fitting {}", synthesizer.name()));
    let model = fit(&dataset.table, &schema, synthesizer.as_ref(), &config)?;
    drop(spinner);
    write_bytes_atomically(&args.out, overwrite, &model.to_bytes())?;
    if !quiet {
        for warning in model.warnings() {
            eprintln!("note: {warning}");
        }
        eprintln!(
            "fitted '{}' on {} rows x {} columns; model written to {}",
            model.synthesizer(),
            dataset.table.num_rows(),
            dataset.table.num_columns(),
            args.out.display()
        );
    }
    Ok(())
}
