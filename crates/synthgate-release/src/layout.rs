//! Where things are in a bundle: the paths every module that writes, reads or describes a
//! bundle shares. It depends on nothing, so the writer (`bundle`), the datasheet, the verifier
//! and the monitor all name the same files without naming each other.

/// The bundle format this version writes: 2 (the manifest records its pipeline's digest).
/// Format 1 bundles read and verify the same way.
pub const BUNDLE_FORMAT_VERSION: u32 = 2;

/// The synthetic data file, relative to the bundle.
pub const DATA_FILE: &str = "data/synthetic.parquet";

/// The operator's signature over the manifest, beside it (not indexed by it).
pub const MANIFEST_SIGNATURE_FILE: &str = "manifest.sig";

/// The generation log, relative to the bundle.
pub const LOG_FILE: &str = "log/generation.jsonl";

/// The evaluation report, relative to the bundle.
pub const REPORT_FILE: &str = "report/report.json";

/// The evaluation report, rendered, relative to the bundle.
pub const REPORT_HTML_FILE: &str = "report/report.html";

/// Where a bundle keeps its source profile.
pub const PROFILE_FILE: &str = "monitor/source_profile.json";

/// The files computed from real rows that `[policy] real_data_files` may keep out of a bundle.
pub const REAL_DATA_FILES: [&str; 3] = [REPORT_FILE, REPORT_HTML_FILE, PROFILE_FILE];

/// A differentially private release's model (the DP release itself: noisy measurements and
/// the fitted graphical model), relative to the bundle.
pub const DP_MODEL_FILE: &str = "model/dp-model.json";
