//! `synthgate fit`: read a table, fit a synthesizer, save the model file.

use synthgate_core::Result;
use synthgate_engine::{FitRequest, PrivacyBudget, ProtectionOptions};

use crate::args::FitArgs;
use crate::commands::input;
use crate::commands::workspace::os_entropy;
use crate::progress::SpinnerEvents;

pub(crate) fn run(args: &FitArgs, quiet: bool) -> Result<()> {
    let request = FitRequest {
        data: args.data.clone(),
        input: input(&args.input),
        synthesizer: args.synthesizer.clone(),
        parameters: args.parameters.clone(),
        seed: args.seed,
        protections: ProtectionOptions {
            min_category_count: usize::try_from(args.min_category_count).unwrap_or(usize::MAX),
            tail_count: usize::try_from(args.tail_count).unwrap_or(usize::MAX),
        },
        out: args.out.clone(),
        force: args.force,
        privacy: args.epsilon.map(|epsilon| PrivacyBudget {
            epsilon,
            delta: args.delta,
        }),
    };
    let mut events = SpinnerEvents::start(quiet, "fitting");
    let outcome = synthgate_engine::fit(&request, &os_entropy(), &mut events);
    drop(events);
    let outcome = outcome?;
    if !quiet {
        for warning in &outcome.warnings {
            eprintln!("note: {warning}");
        }
        if let Some(privacy) = &outcome.privacy {
            eprintln!(
                "differential privacy: ε = {:.4} at δ = {:e} (ρ = {:.6} zCDP spent of {:.6}), \
                 unit of privacy: one row; noise from the operating system's CSPRNG. The \
                 guarantee covers the model file and every row sampled from it.",
                privacy.epsilon, privacy.delta, privacy.rho, privacy.rho_budget
            );
        }
        eprintln!(
            "fitted '{}' on {} rows x {} columns; model written to {}",
            outcome.synthesizer,
            outcome.rows,
            outcome.columns,
            outcome.out.display()
        );
    }
    Ok(())
}
