//! The synthesizer set is open: a synthesizer defined outside the crate, implementing only the
//! trait's required methods, is configured, fitted, saved, loaded and sampled exactly as a
//! built-in, once it is in the set passed to model loading.

use std::path::Path;

use synthgate_core::{Result, Seed};
use synthgate_synth::{
    ColumnCodec, Encoded, Fitted, Independent, Model, Synthesizer, Synthesizers,
};

use crate::support::{fit_default, load};

/// A plug-in: independent marginals under its own name, with the trait's defaults for
/// everything optional (no parameters, no capabilities).
struct Plugin;

impl Synthesizer for Plugin {
    fn name(&self) -> &'static str {
        "plugin-marginals"
    }

    fn summary(&self) -> &'static str {
        "a plug-in defined by a test"
    }

    fn version(&self) -> u32 {
        3
    }

    fn fit(&self, data: &Encoded, codecs: &[ColumnCodec], seed: Seed) -> Result<Box<dyn Fitted>> {
        Independent.fit(data, codecs, seed)
    }

    fn load(&self, parameters: &serde_json::Value, version: u32) -> Result<Box<dyn Fitted>> {
        Independent.load(parameters, version.min(Independent.version()))
    }
}

#[test]
fn a_plugin_works_with_the_trait_defaults() {
    let set = || Synthesizers::builtin().with(Box::new(Plugin));
    assert!(set().names().contains(&"plugin-marginals"));
    assert!(Synthesizers::builtin().get("plugin-marginals").is_none());

    // No parameters: the plug-in as it is. A parameter: a usage error naming it, never an
    // internal error.
    let synthesizer = set()
        .configured("plugin-marginals", &[])
        .expect("configured");
    assert_eq!(synthesizer.name(), "plugin-marginals");
    let Err(error) = set().configured("plugin-marginals", &[("depth".into(), "3".into())]) else {
        panic!("a parameter was accepted");
    };
    assert!(
        error
            .to_string()
            .contains("'plugin-marginals' takes no parameters"),
        "{error}"
    );
    let Err(error) = set().configured("nope", &[]) else {
        panic!("an unknown name was accepted");
    };
    assert!(error.to_string().contains("plugin-marginals"), "{error}");

    let (table, schema) = load("heart_cleveland");
    let model = fit_default(&table, &schema, synthesizer.as_ref(), 5);
    let bytes = model.to_bytes();
    // Loading finds the synthesizer in the set it is given: the built-ins alone refuse the
    // file, naming the synthesizer; the set with the plug-in reads it back.
    let error = Model::from_bytes(&bytes, Path::new("m.json")).expect_err("not a built-in");
    assert!(error.to_string().contains("'plugin-marginals'"), "{error}");
    let loaded = Model::from_bytes_in(&bytes, Path::new("m.json"), &set()).expect("loads");
    assert_eq!(loaded.to_bytes(), bytes);
    assert_eq!(
        loaded.sample(300, Seed(2)).expect("sample").batches(),
        model.sample(300, Seed(2)).expect("sample").batches()
    );
    // Without the conditioning capability, conditional sampling is refused as for a built-in.
    let error = loaded
        .conditions(&[("sex".into(), "1".into())])
        .expect_err("no conditioning");
    assert!(
        error.to_string().contains("cannot sample conditionally"),
        "{error}"
    );
}
