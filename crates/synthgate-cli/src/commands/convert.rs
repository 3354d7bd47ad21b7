//! `synthgate convert`: read a table, write it as CSV or Parquet.

use synthgate_core::Result;
use synthgate_io::{Format, check_output_path, write_table};

use crate::args::ConvertArgs;
use crate::commands::{overwrite, read_input};

pub(crate) fn run(args: &ConvertArgs, quiet: bool) -> Result<()> {
    // Check the output before the (possibly long) read, so a bad path fails at once.
    Format::from_path(&args.out)?;
    let overwrite = overwrite(args.force);
    check_output_path(&args.out, overwrite)?;
    let (dataset, _) = read_input(&args.data, &args.input, quiet)?;
    write_table(&dataset.table, &args.out, overwrite)?;
    if !quiet {
        eprintln!(
            "wrote {} rows x {} columns to {}",
            dataset.table.num_rows(),
            dataset.table.num_columns(),
            args.out.display()
        );
    }
    Ok(())
}
