//! Registry look-ups.

use synthgate_core::{Error, Result};
use synthgate_release::registry::ReleaseRow;

use crate::Context;

/// Every release, oldest first.
pub fn registry_list(ctx: &Context) -> Result<Vec<ReleaseRow>> {
    ctx.workspace.registry()?.list()
}

/// The releases made from the source whose sha256 starts with `source`; none is an error.
pub fn registry_lineage(ctx: &Context, source: &str) -> Result<Vec<ReleaseRow>> {
    let rows = ctx.workspace.registry()?.lineage(source)?;
    if rows.is_empty() {
        return Err(Error::usage(format!(
            "the registry has no release made from a source whose sha256 starts with \
             '{source}'."
        )));
    }
    Ok(rows)
}

/// One release with its gates and approvals.
pub fn registry_show(ctx: &Context, id: i64) -> Result<serde_json::Value> {
    ctx.workspace.registry()?.show(id)
}
