//! Times fitting and in-memory sampling, then writing CSV and Parquet separately:
//! `sample_throughput TRAIN.csv ROWS [NA_TOKEN...]`. Prints one JSON object. Used by
//! `bench/synth`; see BENCHMARKS.md.

use std::path::PathBuf;
use std::time::Instant;

use synthgate_core::Seed;
use synthgate_io::{Overwrite, ReadOptions, read_table, write_table};
use synthgate_synth::{FitConfig, Protections, builtin, fit};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(rows)) = (args.next().map(PathBuf::from), args.next()) else {
        eprintln!("usage: sample_throughput TRAIN.csv ROWS [NA_TOKEN...]");
        std::process::exit(2);
    };
    let rows: usize = rows.parse().unwrap_or(1_000_000);
    let options = ReadOptions {
        extra_na_tokens: args.collect(),
        ..ReadOptions::default()
    };
    let run = || -> synthgate_core::Result<String> {
        let dataset = read_table(&path, &options)?;
        let schema = synthgate_profile::profile(&dataset.table, None, &dataset.info.na_tokens)
            .to_schema()?;
        let synthesizer = builtin(synthgate_synth::DEFAULT_SYNTHESIZER)
            .ok_or_else(|| synthgate_core::Error::internal("no default synthesizer"))?;
        let started = Instant::now();
        let config = FitConfig {
            seed: Seed(1),
            protections: Protections::default(),
        };
        let model = fit(&dataset.table, &schema, synthesizer.as_ref(), &config)?;
        let fit_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let table = model.sample(rows, Seed(2))?;
        let sample_seconds = started.elapsed().as_secs_f64();
        let dir = std::env::temp_dir().join(format!("synthgate-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| synthgate_core::Error::environment(e.to_string()))?;
        let csv = dir.join("out.csv");
        let parquet = dir.join("out.parquet");
        let started = Instant::now();
        write_table(&table, &csv, Overwrite::Allow)?;
        let csv_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        write_table(&table, &parquet, Overwrite::Allow)?;
        let parquet_seconds = started.elapsed().as_secs_f64();
        let csv_bytes = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
        let parquet_bytes = std::fs::metadata(&parquet).map(|m| m.len()).unwrap_or(0);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(format!(
            "{{\"rows\": {rows}, \"fit_seconds\": {fit_seconds:.4}, \"sample_seconds\": {sample_seconds:.4}, \
             \"csv_seconds\": {csv_seconds:.4}, \"csv_bytes\": {csv_bytes}, \
             \"parquet_seconds\": {parquet_seconds:.4}, \"parquet_bytes\": {parquet_bytes}}}"
        ))
    };
    match run() {
        Ok(json) => println!("{json}"),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(error.kind().exit_code());
        }
    }
}
