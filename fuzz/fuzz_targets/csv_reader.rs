//! `synthgate_io::read_table` on arbitrary bytes written to a `.csv` file: with the delimiter
//! sniffed (default options), then with a forced one. Every outcome but a panic is fine.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use synthgate_io::{ReadOptions, read_table};

/// One file per fuzzing process, rewritten for each input.
fn input_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("synthgate-fuzz-{}.csv", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = input_path();
    std::fs::write(path, data).expect("the fuzz input can be written to the temp folder");
    let _ = read_table(path, &ReadOptions::default());
    let delimiter = [b',', b';', b'\t', b'|'][usize::from(data.first().copied().unwrap_or(0)) % 4];
    let forced = ReadOptions {
        delimiter: Some(delimiter),
        ..ReadOptions::default()
    };
    let _ = read_table(path, &forced);
});
