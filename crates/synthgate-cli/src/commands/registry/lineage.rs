//! `synthgate registry lineage SOURCE`.

use synthgate_core::Result;
use synthgate_engine::Context;

pub(super) fn run(context: &Context, source: &str) -> Result<()> {
    super::print_table(&synthgate_engine::registry_lineage(context, source)?);
    Ok(())
}
