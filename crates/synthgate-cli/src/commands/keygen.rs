//! `synthgate keygen`: an Ed25519 key pair.

use synthgate_core::Result;

use crate::args::KeygenArgs;

pub(crate) fn run(args: &KeygenArgs) -> Result<()> {
    let outcome = synthgate_engine::keygen(&super::workspace::context(None)?, &args.out)?;
    println!("{}", outcome.fingerprint);
    eprintln!(
        "wrote {} (secret, readable by you only: keep it private) and {}",
        outcome.secret.display(),
        outcome.public.display()
    );
    Ok(())
}
