//! The run report (`Executor::report`): an HTML timeline that opens offline
//! and renders in headless Chromium (Debian's `chromium`), with a row per
//! worker thread, a bar per task, and the stages and spills named.
//!
//! Without Chromium the rendering check says it is skipped, unless
//! `NDCHUNK_REQUIRE_HPC=1` (set by ./test.sh after `./setup.sh --hpc`).

use std::path::Path;
use std::process::Command;

use ndchunk::prelude::*;

/// The DOM of `page` after headless Chromium has run its scripts, or why not.
fn rendered_dom(page: &Path, profile: &Path) -> Result<String, String> {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .map_err(|e| format!("cannot run chromium: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn report_is_a_timeline_that_renders_offline() {
    std::env::set_var(ndchunk::exec::PROGRESS_ENV, "0");
    let dir = std::env::temp_dir().join(format!("ndchunk-report-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("run.html");
    // Held blocks over a 1 MiB limit: some are spilled, which the report shows.
    let x = ndchunk::random::uniform::<f64>(&[512, 512], [16, 512], 1).unwrap();
    let y = x.map_blocks(|b| b.mapv(|v| v * 2.0));
    let centred = (&y - &y.mean_axis(Axis(0)).unwrap())
        .sum_axis(Axis(1))
        .unwrap();
    let ex = Executor::local()
        .threads(2)
        .memory_limit(1 << 20)
        .spill_dir(&dir)
        .report(&page);
    assert_eq!(
        centred.compute_with(&ex).unwrap(),
        centred.compute().unwrap()
    );
    let html = std::fs::read_to_string(&page).unwrap();
    for needed in [
        "thread 0",
        "thread 1",
        "map_blocks",
        "result spilled",
        "spilled (",
    ] {
        assert!(html.contains(needed), "the report lacks {needed:?}");
    }
    // plotly.js is inside the file, not fetched.
    assert!(
        !html.contains("<script src="),
        "the report loads a script from the network"
    );

    let profile = dir.join("chromium-profile");
    match rendered_dom(&page, &profile) {
        Ok(dom) => {
            // plotly.js drew the figure: its SVG, the bars, the axis rows.
            assert!(
                dom.contains("main-svg"),
                "no plot was drawn:\n{}",
                &dom[..dom.len().min(2000)]
            );
            assert!(dom.contains("class=\"point\""), "no bars were drawn");
            assert!(
                dom.contains(">thread 0<"),
                "the worker rows are not labelled"
            );
        }
        Err(why) if std::env::var("NDCHUNK_REQUIRE_HPC").is_ok_and(|v| v == "1") => {
            panic!("{why}")
        }
        Err(why) => println!("rendering check skipped: {why} (./setup.sh --hpc installs chromium)"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
