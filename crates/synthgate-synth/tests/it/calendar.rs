//! A time and its calendar parts in one table: nycflights13's hourly weather holds `time_hour`
//! (UTC) beside New York's local year, month, day and hour. A fitted model keeps every sampled
//! row's time on its drawn parts, through a saved model file too.

use std::path::Path;

use synthgate_core::Seed;
use synthgate_synth::Model;

use crate::support::{clock_misses, fit_default, load};

#[test]
fn a_sampled_rows_time_falls_on_its_drawn_year_month_day_and_hour() {
    let (table, schema) = load("nycflights13_weather");
    assert_eq!(clock_misses(&table).len(), 0, "the real rows");
    let cart = synthgate_synth::builtin("cart").expect("cart");
    let model = fit_default(&table, &schema, cart.as_ref(), 5);
    let sampled = model.sample(4_000, Seed(1)).expect("samples");
    let misses = clock_misses(&sampled);
    assert_eq!(
        misses.len(),
        0,
        "sampled rows off New York's clock, the first on {:?}",
        misses.first()
    );

    // Saved and read back, the model samples the same rows.
    let bytes = model.to_bytes();
    let loaded = Model::from_bytes(&bytes, Path::new("weather.json")).expect("reads back");
    let again = loaded.sample(4_000, Seed(1)).expect("samples");
    assert!(again.batches() == sampled.batches(), "the same rows");

    // The same model file without its calendar: the time is drawn apart from its parts, and
    // nearly every row is off the clock.
    let mut file: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let object = file.as_object_mut().expect("an object");
    assert!(
        object.remove("calendars").is_some(),
        "the file holds the calendar"
    );
    let bare = Model::from_bytes(
        &serde_json::to_vec(&file).expect("JSON"),
        Path::new("bare.json"),
    )
    .expect("reads");
    let apart = clock_misses(&bare.sample(4_000, Seed(1)).expect("samples")).len();
    assert!(
        apart > 3_000,
        "{apart} of 4,000 rows off the clock without it"
    );
}
