//! The Python driver process of one Dask executor: started at its first run,
//! connected once, kept for the runs that follow (so they do not pay Python's
//! start, `import distributed` and the connection, about 0.3 s, each time), and
//! ended when the last clone of the executor is dropped.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use super::scratch::io_error;
use crate::error::{Error, Result};

const DRIVER: &str = include_str!("driver.py");

/// Where the driver connects: a scheduler's address, a cluster of batch jobs,
/// or a local cluster.
pub(crate) struct Target<'a> {
    pub address: Option<&'a str>,
    pub local_workers: usize,
    pub jobqueue: Option<&'a super::JobQueue>,
}

/// The driver process of an executor, if one is running.
#[derive(Default)]
pub(crate) struct Session(Mutex<Option<Driver>>);

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session")
    }
}

struct Driver {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// Holds `driver.py` and `driver.log` (its stderr).
    dir: PathBuf,
}

impl Session {
    /// Runs the graph in `scratch` with the driver for `target`, starting the
    /// driver with `python` first if none is running.
    pub(crate) fn run(&self, python: &Path, target: &Target, scratch: &Path) -> Result<()> {
        let mut slot = self
            .0
            .lock()
            .map_err(|_| Error::Executor("the Dask driver's lock is poisoned".into()))?;
        if slot.as_mut().is_none_or(|d| !d.alive()) {
            *slot = None;
            *slot = Some(Driver::start(python, target)?);
        }
        let Some(driver) = slot.as_mut() else {
            return Err(Error::Executor("no Dask driver".into()));
        };
        match driver.request(&scratch.display().to_string()) {
            Ok(answer) => super::answer_error(&answer, python, target).map_or(Ok(()), Err),
            Err(e) => {
                let log = driver.log_tail();
                *slot = None;
                Err(Error::Executor(format!(
                    "the Dask driver stopped ({e}); its stderr ends:\n{log}"
                )))
            }
        }
    }
}

impl Driver {
    fn start(python: &Path, target: &Target) -> Result<Driver> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ndchunk-dask-driver-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).map_err(|e| io_error("cannot make", &dir, e))?;
        fs::write(dir.join("driver.py"), DRIVER)
            .map_err(|e| io_error("cannot write into", &dir, e))?;
        let log = File::create(dir.join("driver.log"))
            .map_err(|e| io_error("cannot write into", &dir, e))?;
        let spawned = Command::new(python)
            .arg(dir.join("driver.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                return Err(Error::Executor(format!(
                    "cannot start Python {} (set {} or run ./setup.sh): {e}",
                    python.display(),
                    super::PYTHON_ENV
                )));
            }
        };
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(Error::Executor("the Dask driver has no pipes".into()));
        };
        let mut driver = Driver {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
            dir,
        };
        let config = json!({
            "address": target.address,
            "local_workers": target.local_workers.max(1),
            "jobqueue": target.jobqueue,
            "connect_timeout": "10s",
        });
        let answer = driver.request(&config.to_string()).map_err(|e| {
            Error::Executor(format!(
                "the Dask driver did not start ({e}); its stderr ends:\n{}",
                driver.log_tail()
            ))
        })?;
        match super::answer_error(&answer, python, target) {
            None => Ok(driver),
            Some(e) => Err(e),
        }
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends one line and reads the JSON answer line.
    fn request(&mut self, line: &str) -> std::io::Result<Json> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| std::io::Error::other("stdin closed"))?;
        writeln!(stdin, "{line}")?;
        stdin.flush()?;
        let mut answer = String::new();
        if self.stdout.read_line(&mut answer)? == 0 {
            return Err(std::io::Error::other("it exited"));
        }
        serde_json::from_str(&answer).map_err(std::io::Error::other)
    }

    /// The last 2000 bytes of the driver's stderr.
    fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = File::open(self.dir.join("driver.log")) {
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            let _ = f.seek(SeekFrom::Start(len.saturating_sub(2000)));
            let _ = f.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Driver {
    /// Closes stdin, so the driver closes its client (and local cluster), and
    /// waits up to 20 s for it before killing it.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}
