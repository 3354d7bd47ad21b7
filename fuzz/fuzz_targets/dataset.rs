//! `DatasetSchema::from_toml` on arbitrary text: never a panic; an accepted dataset has an
//! order with every parent first, and survives its round trip (`to_toml`, read back: equal).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use synthgate_core::dataset::DatasetSchema;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("dataset.toml");
    if let Ok(dataset) = DatasetSchema::from_toml(text, path) {
        let order = dataset
            .parents_first()
            .expect("an accepted dataset has an order");
        assert_eq!(order.len(), dataset.tables.len());
        let written = dataset.to_toml(&[]);
        let again = DatasetSchema::from_toml(&written, path).unwrap_or_else(|error| {
            panic!("a written dataset does not read back: {error}\n{written}")
        });
        assert_eq!(again, dataset, "the dataset's round trip changed it");
    }
});
