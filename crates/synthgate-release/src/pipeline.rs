//! The one entry to a pipeline run: a source of one table goes to [`crate::run`], a dataset
//! of several tables to [`crate::dataset`]. Both return a [`Release`] for the bundle.

use synthgate_core::Result;

use crate::run::{DpSource, GenerationLog, Release};
use crate::spec::PipelineSpec;

/// Run `spec` (paths already resolved); `progress` hears each step's name as it starts. A
/// prompt-based spec needs `llm_log`, a differentially private one `dp`; any other ignores
/// them.
pub fn run_pipeline(
    spec: &PipelineSpec,
    llm_log: Option<GenerationLog<'_>>,
    dp: Option<DpSource<'_>>,
    progress: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Release> {
    match &spec.source.dataset {
        Some(dataset) => crate::dataset::run_dataset_pipeline(spec, dataset, progress),
        None => crate::run::run_table_pipeline(spec, llm_log, dp, progress),
    }
}
