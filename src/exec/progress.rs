//! The progress bar: shown only on long computes started from the main thread with
//! stderr on a terminal, so it never appears in tests or in piped output.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::exec::{Progress, PROGRESS_ENV};

/// Delay before a bar appears.
const DELAY: Duration = Duration::from_secs(1);

/// A progress bar that appears after [`DELAY`] if allowed.
pub struct Bar {
    allowed: bool,
    started: Instant,
    total: u64,
    bar: Option<ProgressBar>,
}

impl Bar {
    /// A bar over `total` tasks, allowed by `mode` and the environment.
    pub fn new(mode: Progress, total: usize) -> Bar {
        let env_off = std::env::var(PROGRESS_ENV)
            .map(|v| v == "0")
            .unwrap_or(false);
        let main_thread = std::thread::current().name() == Some("main");
        let allowed =
            mode == Progress::Auto && !env_off && main_thread && std::io::stderr().is_terminal();
        Bar {
            allowed,
            started: Instant::now(),
            total: total as u64,
            bar: None,
        }
    }

    /// Records that `done` tasks have finished.
    pub fn update(&mut self, done: usize) {
        if !self.allowed {
            return;
        }
        if self.bar.is_none() && self.started.elapsed() >= DELAY {
            let bar = ProgressBar::new(self.total);
            if let Ok(style) = ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {pos}/{len} tasks ({eta})",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_position(done as u64);
        }
    }

    /// Removes the bar.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
