//! What every release verb runs in: the workspace folder, the clock, the scratch folder and
//! the source of secret randomness, taken from the environment and the operating system here,
//! at the edge, and nowhere below.

use std::path::PathBuf;

use synthgate_core::{Entropy, Error, Result};
use synthgate_engine::{Clock, Context, Workspace};

/// Synthgate's working folder: $SYNTHGATE_HOME, else `.synthgate` in the working directory.
pub(crate) fn workspace() -> Workspace {
    Workspace::new(
        std::env::var_os("SYNTHGATE_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".synthgate")),
    )
}

/// The one clock of a command: SOURCE_DATE_EPOCH (seconds) when set, else now (the service
/// reads it again for each record it makes).
pub(crate) fn clock() -> Result<Clock> {
    let seconds = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => text.trim().parse::<i64>().map_err(|_| {
            Error::usage(format!(
                "SOURCE_DATE_EPOCH must be whole seconds, not '{text}'."
            ))
        })?,
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    };
    Ok(Clock::at_unix_seconds(seconds))
}

/// The workspace (its registry and audit log on the server `registry` names, if one does), the
/// clock and the scratch folder (the system's temporary folder).
pub(crate) fn context(registry: Option<&str>) -> Result<Context> {
    Ok(Context {
        workspace: workspace().with_registry(registry.map(str::to_string)),
        clock: clock()?,
        scratch: std::env::temp_dir(),
        entropy: os_entropy(),
    })
}

/// The operating system's CSPRNG: secret keys and differential-privacy noise come from here.
pub(crate) fn os_entropy() -> Entropy {
    Entropy::new(|bytes| {
        getrandom::fill(bytes).map_err(|error| {
            Error::environment(format!(
                "the operating system gave no secret randomness: {error}"
            ))
        })
    })
}
