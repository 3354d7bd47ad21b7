//! `synthgate serve`: the team service, over this workspace.

use std::io::Write;

use synthgate_core::Result;
use synthgate_serve::{ServeOptions, Started};

use crate::args::ServeArgs;

pub(crate) fn run(args: &ServeArgs, registry: Option<&str>) -> Result<()> {
    let context = super::workspace::context(registry)?;
    let home = context.workspace.home.clone();
    let options = ServeOptions {
        bind: args.bind,
        tls: match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(synthgate_serve::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        },
        config: args.config.clone(),
        threads: args.threads,
        clock: super::workspace::clock,
    };
    synthgate_serve::serve(context, &options, |started: &Started| {
        // The operator reads this on their terminal; the tests read the link from it.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "synthgate serve: listening on {} (workspace {}, users from {})",
            started.base,
            home.display(),
            started.config.display()
        );
        if let Some(token) = &started.first_token {
            let _ = writeln!(
                out,
                "  First start: made {} with the user 'admin'. Its API token, shown this once \
                 and stored only as its SHA-256:\n    {token}",
                started.config.display()
            );
        }
        if let Some(link) = &started.login {
            let _ = writeln!(
                out,
                "  Open this one-time login link in your browser:\n    {link}"
            );
        }
        let _ = writeln!(out, "  Stop with Ctrl-C.");
        let _ = out.flush();
    })
}
