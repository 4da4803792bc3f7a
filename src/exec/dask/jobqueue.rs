//! A Dask cluster of batch jobs, started through dask-jobqueue by the driver:
//! what [`Executor::dask_jobqueue`](crate::Executor::dask_jobqueue) runs on.

use serde::Serialize;
use serde_json::{Map, Value as Json};

/// A dask-jobqueue cluster: the batch system, how many jobs, and any options
/// beyond those of the configuration file.
///
/// dask-jobqueue reads its options (`cores`, `memory`, `walltime`, `queue`,
/// `account`, `interface`, ...) from `jobqueue.yaml` in `~/.config/dask/` or
/// `/etc/dask/` (or the directory in `DASK_CONFIG`), under the batch system's
/// name; [`JobQueue::option`] overrides one of them for this executor.
///
/// ```
/// use ndchunk::exec::dask::JobQueue;
/// let cluster = JobQueue::slurm().jobs(4).option("walltime", "02:00:00");
/// assert_eq!(cluster.system(), "slurm");
/// let adaptive = JobQueue::pbs().adapt(1, 16);
/// assert_eq!(adaptive.system(), "pbs");
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct JobQueue {
    system: String,
    jobs: usize,
    adapt: Option<(usize, usize)>,
    options: Map<String, Json>,
}

impl JobQueue {
    /// A cluster on the batch system `system`: one of `slurm`, `pbs`, `sge`,
    /// `lsf`, `htcondor`, `moab` or `oar` (dask-jobqueue's cluster classes),
    /// with one job until [`JobQueue::jobs`] or [`JobQueue::adapt`] says
    /// otherwise. An unknown name is an error at the first run.
    pub fn new(system: &str) -> JobQueue {
        JobQueue {
            system: system.to_ascii_lowercase(),
            jobs: 1,
            adapt: None,
            options: Map::new(),
        }
    }

    /// A SLURM cluster (`dask_jobqueue.SLURMCluster`).
    pub fn slurm() -> JobQueue {
        JobQueue::new("slurm")
    }

    /// A PBS cluster (`dask_jobqueue.PBSCluster`).
    pub fn pbs() -> JobQueue {
        JobQueue::new("pbs")
    }

    /// Keeps `n` jobs running (`cluster.scale(jobs=n)`).
    pub fn jobs(mut self, n: usize) -> JobQueue {
        self.jobs = n.max(1);
        self.adapt = None;
        self
    }

    /// Lets Dask grow and shrink the cluster between `minimum` and `maximum`
    /// jobs with the work queued (`cluster.adapt(minimum_jobs=, maximum_jobs=)`).
    pub fn adapt(mut self, minimum: usize, maximum: usize) -> JobQueue {
        self.adapt = Some((minimum, maximum.max(minimum).max(1)));
        self
    }

    /// Sets one keyword of the cluster class (`cores`, `memory`, `walltime`,
    /// `job_extra_directives`, ...) over the configuration file's value.
    ///
    /// ```
    /// let q = ndchunk::exec::dask::JobQueue::slurm()
    ///     .option("cores", 1)
    ///     .option("job_extra_directives", vec!["--exclusive"]);
    /// # let _ = q;
    /// ```
    pub fn option(mut self, key: &str, value: impl Into<Json>) -> JobQueue {
        self.options.insert(key.to_string(), value.into());
        self
    }

    /// The batch system's name.
    pub fn system(&self) -> &str {
        &self.system
    }
}
