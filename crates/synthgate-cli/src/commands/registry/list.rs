//! `synthgate registry list`.

use synthgate_core::Result;
use synthgate_engine::Context;

pub(super) fn run(context: &Context) -> Result<()> {
    super::print_table(&synthgate_engine::registry_list(context)?);
    Ok(())
}
