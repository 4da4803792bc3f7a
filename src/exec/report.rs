//! The run report: an HTML timeline of one run, one row per worker thread
//! (of the local executor, or of a Dask worker) and one bar per task,
//! coloured by stage, with the bytes each task read, wrote and spilled on
//! hover. Drawn with plotly
//! (plotly.js embedded, so the file opens offline).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use plotly::common::Title;
use plotly::layout::{Axis, BarMode, Layout};
use plotly::{Plot, Trace};
use serde::Serialize;

use crate::config::human_bytes;
use crate::error::{Error, Result};
use crate::plan::Plan;

/// One task as it ran.
#[derive(Clone, Debug)]
pub(crate) struct TaskRecord {
    pub task: usize,
    /// The worker thread that ran it, as its row is labelled.
    pub worker: String,
    /// Since the run started.
    pub start: Duration,
    pub end: Duration,
    /// Bytes of its inputs (spilled ones read back included).
    pub read: u64,
    /// Bytes of its result.
    pub written: u64,
    /// Bytes of its inputs read back from the spill directory.
    pub unspilled: u64,
}

/// A result written to the spill directory during the run.
#[derive(Clone, Debug)]
pub(crate) struct SpillRecord {
    pub task: usize,
    pub raw: u64,
    pub disk: u64,
    /// The worker thread that wrote it (its row's label), and when.
    pub worker: String,
    pub start: Duration,
    pub end: Duration,
}

/// Writes the timeline of `tasks` (and `spills`) of `plan` to `path`.
pub(crate) fn write_timeline(
    path: &Path,
    plan: &Plan,
    tasks: &[TaskRecord],
    spills: &[SpillRecord],
    total: Duration,
) -> Result<()> {
    let spilled: BTreeMap<usize, &SpillRecord> = spills.iter().map(|s| (s.task, s)).collect();
    // One trace per stage: plotly gives each its colour and legend entry.
    let mut by_stage: BTreeMap<usize, Vec<&TaskRecord>> = BTreeMap::new();
    for t in tasks {
        by_stage
            .entry(plan.tasks[t.task].stage)
            .or_default()
            .push(t);
    }
    let mut plot = Plot::new();
    for (stage, records) in &by_stage {
        let name = format!("{stage}: {}", plan.stages[*stage].name);
        let worker = |r: &&TaskRecord| r.worker.clone();
        let seconds = |d: Duration| d.as_secs_f64();
        let hover: Vec<String> = records
            .iter()
            .map(|r| {
                let task = &plan.tasks[r.task];
                let mut text = format!(
                    "task {} block {:?}<br>{:.3} ms<br>read {} · wrote {}",
                    r.task,
                    task.block,
                    (r.end - r.start).as_secs_f64() * 1e3,
                    human_bytes(r.read),
                    human_bytes(r.written)
                );
                if r.unspilled > 0 {
                    text += &format!("<br>read back from spill {}", human_bytes(r.unspilled));
                }
                if let Some(s) = spilled.get(&r.task) {
                    text += &format!(
                        "<br>result spilled: {} ({} on disk)",
                        human_bytes(s.raw),
                        human_bytes(s.disk)
                    );
                }
                text
            })
            .collect();
        plot.add_trace(Box::new(TaskBars {
            kind: "bar",
            orientation: "h",
            name: short(&name),
            x: records.iter().map(|r| seconds(r.end - r.start)).collect(),
            base: records.iter().map(|r| seconds(r.start)).collect(),
            y: records.iter().map(worker).collect(),
            hovertext: hover,
            hoverinfo: "text+name",
        }));
    }
    if !spills.is_empty() {
        plot.add_trace(Box::new(TaskBars {
            kind: "bar",
            orientation: "h",
            name: "spill writes".into(),
            x: spills
                .iter()
                .map(|s| (s.end - s.start).as_secs_f64())
                .collect(),
            base: spills.iter().map(|s| s.start.as_secs_f64()).collect(),
            y: spills.iter().map(|s| s.worker.clone()).collect(),
            hovertext: spills
                .iter()
                .map(|s| {
                    format!(
                        "spilled the result of task {}: {} ({} on disk)",
                        s.task,
                        human_bytes(s.raw),
                        human_bytes(s.disk)
                    )
                })
                .collect(),
            hoverinfo: "text+name",
        }));
    }
    let spilled_bytes: u64 = spills.iter().map(|s| s.raw).sum();
    let title = format!(
        "ndchunk run: {} tasks in {} stages, {:.3} s; {} spilled ({} results)",
        tasks.len(),
        by_stage.len(),
        total.as_secs_f64(),
        human_bytes(spilled_bytes),
        spills.len()
    );
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(&title))
            .bar_mode(BarMode::Overlay)
            .x_axis(Axis::new().title(Title::with_text("seconds since the run started")))
            .y_axis(Axis::new().title(Title::with_text("worker thread"))),
    );
    std::fs::write(path, plot.to_html()).map_err(|e| {
        Error::Executor(format!(
            "cannot write the run report {}: {e}",
            path.display()
        ))
    })
}

/// One stage's tasks as horizontal bars from their start (`base`) for their
/// duration (`x`), on their worker's row (`y`): plotly.js's bar trace, whose
/// `base` plotly's Rust `Bar` does not offer.
#[derive(Clone, Serialize)]
struct TaskBars {
    #[serde(rename = "type")]
    kind: &'static str,
    orientation: &'static str,
    name: String,
    x: Vec<f64>,
    base: Vec<f64>,
    y: Vec<String>,
    hovertext: Vec<String>,
    hoverinfo: &'static str,
}

impl Trace for TaskBars {
    fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A stage name short enough for a legend.
fn short(name: &str) -> String {
    const MAX: usize = 60;
    if name.chars().count() <= MAX {
        return name.to_string();
    }
    name.chars()
        .take(MAX - 1)
        .chain(std::iter::once('…'))
        .collect()
}
