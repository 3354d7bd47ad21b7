//! Progress display: an indicatif bar on stderr that appears only when work has taken more than
//! a second, and never when stderr is not a terminal or `--quiet` is given.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A bar that stays hidden for its first second.
pub(crate) struct Progress {
    bar: ProgressBar,
    started: Instant,
    enabled: bool,
    shown: Mutex<bool>,
}

impl Progress {
    /// A bar for `message`, counting `unit` ("bytes" shows sizes; anything else counts).
    pub(crate) fn new(quiet: bool, message: &str, bytes: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        let template = if bytes {
            "{msg:>10} [{bar:30}] {bytes}/{total_bytes} ({eta})"
        } else {
            "{msg:>10} [{bar:30}] {pos}/{len} ({eta})"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_string());
        Progress {
            bar,
            started: Instant::now(),
            enabled: !quiet && std::io::stderr().is_terminal(),
            shown: Mutex::new(false),
        }
    }

    /// Record progress: `done` of `total` units.
    pub(crate) fn update(&self, done: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
        if self.enabled && self.started.elapsed() >= SHOW_AFTER {
            // A poisoned lock only means another update panicked; showing the bar is harmless.
            let mut shown = self
                .shown
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            if !*shown {
                self.bar.set_draw_target(ProgressDrawTarget::stderr());
                *shown = true;
            }
        }
    }

    /// Remove the bar from the screen.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A spinner for work whose size is unknown (fitting, sampling): it appears after a second,
/// only on a terminal and never with `--quiet`, and disappears when dropped.
pub(crate) struct Spinner {
    bar: ProgressBar,
}

impl Spinner {
    pub(crate) fn start(quiet: bool, message: &str) -> Spinner {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message.to_string());
        if !quiet && std::io::stderr().is_terminal() {
            let delayed = bar.clone();
            std::thread::spawn(move || {
                std::thread::sleep(SHOW_AFTER);
                if !delayed.is_finished() {
                    delayed.set_draw_target(ProgressDrawTarget::stderr());
                    delayed.enable_steady_tick(Duration::from_millis(120));
                }
            });
        }
        Spinner { bar }
    }
}

impl Spinner {
    /// Say what is being done now.
    pub(crate) fn set_message(&self, message: &str) {
        self.bar.set_message(message.to_string());
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// The engine's events shown on the terminal: steps on a spinner, notes on standard error
/// (unless `--quiet`).
pub(crate) struct SpinnerEvents {
    spinner: Spinner,
    quiet: bool,
}

impl SpinnerEvents {
    pub(crate) fn start(quiet: bool, message: &str) -> SpinnerEvents {
        SpinnerEvents {
            spinner: Spinner::start(quiet, message),
            quiet,
        }
    }
}

impl synthgate_engine::Events for SpinnerEvents {
    fn step(&mut self, name: &str) {
        self.spinner.set_message(name);
    }

    fn note(&mut self, text: &str) {
        if !self.quiet {
            self.spinner.bar.suspend(|| eprintln!("note: {text}"));
        }
    }
}
