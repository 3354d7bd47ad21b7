//! `synthgate registry budget DATASET_ID`.

use synthgate_core::{Error, Result};
use synthgate_engine::Context;

pub(super) fn run(context: &Context, dataset_id: &str, json: bool) -> Result<()> {
    let outcome = synthgate_engine::registry_budget(context, dataset_id)?;
    if json {
        let text = serde_json::to_string_pretty(&outcome)
            .map_err(|error| Error::internal(format!("the ledger does not serialise: {error}")))?;
        println!("{text}");
        return Ok(());
    }
    println!("privacy ledger of dataset '{}'", outcome.dataset_id);
    println!(
        "{:>4}  {:<28} {:>9} {:>9} {:>8} {:<8} {:>7}  reserved",
        "id", "release", "epsilon", "rho", "delta", "state", "release"
    );
    for row in &outcome.rows {
        println!(
            "{:>4}  {:<28} {:>9.4} {:>9.6} {:>8.0e} {:<8} {:>7}  {}",
            row.id,
            row.release,
            row.epsilon,
            row.rho,
            row.delta,
            row.state,
            row.release_id
                .map(|id| id.to_string())
                .unwrap_or_else(|| "-".into()),
            row.reserved_at
        );
    }
    println!(
        "total: rho = {:.6} (zCDP, composed by adding), epsilon = {:.4} at delta = {:e}",
        outcome.rho, outcome.epsilon, outcome.delta
    );
    if let (Some(cap), Some(left)) = (outcome.budget_epsilon, outcome.left_epsilon) {
        println!(
            "budget: epsilon = {cap} at delta = {:e}; left for one more release: epsilon = {left:.4}",
            outcome.delta
        );
    }
    println!(
        "a reservation is made before a run's first measurement and never refunded: 'reserved' \
         rows are runs that measured but registered no release."
    );
    Ok(())
}
