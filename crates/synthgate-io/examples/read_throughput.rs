//! Times `read_table` on one file: `read_throughput FILE [REPEATS] [NA_TOKEN...]`.
//! Prints one JSON object: the file size and the wall time of each read in seconds.
//! Used by `bench/run`; see BENCHMARKS.md.

use std::path::PathBuf;
use std::time::Instant;

use synthgate_io::{ReadOptions, read_table};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: read_throughput FILE [REPEATS] [NA_TOKEN...]");
        std::process::exit(2);
    };
    let repeats: usize = args.next().and_then(|text| text.parse().ok()).unwrap_or(5);
    let options = ReadOptions {
        extra_na_tokens: args.collect(),
        ..ReadOptions::default()
    };
    let bytes = std::fs::metadata(&path).map(|meta| meta.len()).unwrap_or(0);
    let mut seconds = Vec::with_capacity(repeats);
    let mut rows = 0;
    for _ in 0..repeats {
        let started = Instant::now();
        match read_table(&path, &options) {
            Ok(dataset) => rows = dataset.table.num_rows(),
            Err(error) => {
                eprintln!("{error}");
                std::process::exit(error.kind().exit_code());
            }
        }
        seconds.push(started.elapsed().as_secs_f64());
    }
    let times: Vec<String> = seconds.iter().map(|s| format!("{s:.6}")).collect();
    println!(
        "{{\"bytes\": {bytes}, \"rows\": {rows}, \"seconds\": [{}]}}",
        times.join(", ")
    );
}
