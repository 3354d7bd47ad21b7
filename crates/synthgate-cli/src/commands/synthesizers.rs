//! `synthgate synthesizers`: list the built-in synthesizers.

use synthgate_core::Result;

use crate::args::SynthesizersArgs;

pub(crate) fn run(args: &SynthesizersArgs) -> Result<()> {
    let synthesizers = synthgate_engine::synthesizers();
    if args.json {
        let text = synthgate_core::canonical::to_json_pretty(&synthesizers, "the listing")?;
        print!("{}", String::from_utf8_lossy(&text));
        return Ok(());
    }
    for synthesizer in &synthesizers {
        let marker = if synthesizer.default {
            " (default)"
        } else {
            ""
        };
        println!("{:<14} {}{marker}", synthesizer.name, synthesizer.summary);
    }
    Ok(())
}
