//! `synthgate synthesizers`: list the built-in synthesizers.

use synthgate_core::{Error, Result};
use synthgate_synth::{DEFAULT_SYNTHESIZER, builtins};

use crate::args::SynthesizersArgs;

pub(crate) fn run(args: &SynthesizersArgs) -> Result<()> {
    let synthesizers = builtins();
    if args.json {
        let list: Vec<serde_json::Value> = synthesizers
            .iter()
            .map(|synthesizer| {
                let capabilities = synthesizer.capabilities();
                serde_json::json!({
                    "name": synthesizer.name(),
                    "summary": synthesizer.summary(),
                    "default": synthesizer.name() == DEFAULT_SYNTHESIZER,
                    "conditioning": capabilities.conditioning,
                    "differential_privacy": capabilities.differential_privacy,
                    "relations": capabilities.relations,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&list)
            .map_err(|error| Error::internal(format!("listing failed: {error}")))?;
        println!("{text}");
        return Ok(());
    }
    for synthesizer in &synthesizers {
        let marker = if synthesizer.name() == DEFAULT_SYNTHESIZER {
            " (default)"
        } else {
            ""
        };
        println!(
            "{:<14} {}{marker}",
            synthesizer.name(),
            synthesizer.summary()
        );
    }
    Ok(())
}
