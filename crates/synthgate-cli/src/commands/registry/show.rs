//! `synthgate registry show ID`.

use synthgate_core::Result;
use synthgate_engine::Context;

pub(super) fn run(context: &Context, id: i64) -> Result<()> {
    let shown = synthgate_engine::registry_show(context, id)?;
    let text = synthgate_core::canonical::to_json_pretty(&shown, "the registry entry")?;
    print!("{}", String::from_utf8_lossy(&text));
    Ok(())
}
