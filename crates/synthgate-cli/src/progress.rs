//! Progress display: one indicatif line on stderr that appears only when work has taken more
//! than a second, and never when stderr is not a terminal or `--quiet` is given. It spins with
//! the name of the engine's current step, and becomes a bar while the step reports counted
//! work (bytes read, records made).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use synthgate_engine::{Events, Progress, Unit};

const SHOW_AFTER: Duration = Duration::from_secs(1);
const SPINNER: &str = "{spinner} {msg} ({elapsed})";

/// The engine's events shown on the terminal: steps on a spinner, counted work on a bar, notes
/// on standard error (unless `--quiet`). Dropping it clears the line.
pub(crate) struct SpinnerEvents {
    bar: ProgressBar,
    quiet: bool,
    /// The unit the bar counts now; `None` while it spins.
    counting: Mutex<Option<Unit>>,
    /// With `SYNTHGATE_TIMINGS` set: the step running now and when it started, so each step's
    /// time is printed to stderr (`timing: STEP SECONDS s`) when the next one starts.
    timing: Option<Option<(String, Instant)>>,
}

impl SpinnerEvents {
    pub(crate) fn start(quiet: bool, message: &str) -> SpinnerEvents {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(SPINNER) {
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
        SpinnerEvents {
            bar,
            quiet,
            counting: Mutex::new(None),
            timing: std::env::var_os("SYNTHGATE_TIMINGS").map(|_| None),
        }
    }

    /// Print the running step's time (with `SYNTHGATE_TIMINGS`) and start timing `next`.
    fn time_step(&mut self, next: Option<&str>) {
        let Some(timing) = &mut self.timing else {
            return;
        };
        if let Some((label, started)) = timing.take() {
            let seconds = started.elapsed().as_secs_f64();
            self.bar
                .suspend(|| eprintln!("timing: {label:<28} {seconds:>8.3} s"));
        }
        *timing = next.map(|label| (label.to_string(), Instant::now()));
    }

    /// The unit being counted (a poisoned lock only means a display update panicked: the
    /// value is still usable).
    fn counting(&self) -> std::sync::MutexGuard<'_, Option<Unit>> {
        self.counting
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl Events for SpinnerEvents {
    fn step(&mut self, name: &str) {
        self.time_step(Some(name));
        let mut counting = self.counting();
        if counting.take().is_some()
            && let Ok(style) = ProgressStyle::with_template(SPINNER)
        {
            self.bar.set_style(style);
        }
        self.bar.set_message(name.to_string());
    }

    fn progress(&self, progress: Progress) {
        let mut counting = self.counting();
        if *counting != Some(progress.unit) {
            let template = match progress.unit {
                Unit::Bytes => "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})".to_string(),
                Unit::Items(name) => {
                    format!("{{msg}} [{{bar:30}}] {{pos}}/{{len}} {name} ({{eta}})")
                }
            };
            if let Ok(style) = ProgressStyle::with_template(&template) {
                self.bar.set_style(style.progress_chars("=> "));
            }
            *counting = Some(progress.unit);
        }
        self.bar.set_length(progress.total);
        self.bar.set_position(progress.done);
    }

    fn note(&mut self, text: &str) {
        if !self.quiet {
            self.bar.suspend(|| eprintln!("note: {text}"));
        }
    }
}

impl Drop for SpinnerEvents {
    fn drop(&mut self) {
        self.time_step(None);
        self.bar.finish_and_clear();
    }
}
