//! Inspection: `explain()` (also `Display`) and `to_dot()`.

use std::fmt::{self, Write};

use crate::array::Array;
use crate::config::human_bytes;
use crate::element::Element;
use crate::error::Result;
use crate::exec::Executor;
use crate::plan::Plan;

impl<T: Element> Array<T> {
    /// A description of the array and of the plan computing it: shape, chunks,
    /// dtype, bytes, number of tasks and the estimated peak memory, the
    /// rewrite rules that fired (view composition, rechunk pushdown, ...), then the
    /// stages op by op, each with the most a task holds (its inputs and what it
    /// allocates), then the logical graph.
    ///
    /// ```
    /// let x = ndchunk::random::uniform::<f32>(&[1000, 10], [250, 10], 0)?;
    /// let y = (&x * 2.0 + 1.0).powi(2).mean()?;
    /// let text = y.explain();
    /// assert!(text.contains("tasks: 5"), "{text}");
    /// assert!(text.contains("random.uniform") && text.contains("mean.finish"), "{text}");
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn explain(&self) -> String {
        let limit = crate::config::PlanOptions::from_env()
            .ok()
            .map(|o| o.memory_limit);
        self.describe(self.plan(), limit)
    }

    /// [`Array::explain`] for the plan `executor` would run: sized for its
    /// memory limit and budgets ([`Executor::plan_options`]).
    ///
    /// ```
    /// use ndchunk::prelude::*;
    /// let x = ndchunk::random::uniform::<f64>(&[2000, 2000], [200, 2000], 0)?;
    /// let y = x.rechunk([2000, 200])?;
    /// // 3.2 MB strips to 3.2 MB columns: each direct task holds 35 MB.
    /// assert!(!y.explain().contains("intermediate"));
    /// let small = Executor::local().memory_limit(32 << 20);
    /// assert!(y.explain_with(&small).contains("intermediate"));
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn explain_with(&self, executor: &Executor) -> String {
        let options = executor.plan_options();
        let limit = options.as_ref().ok().map(|o| o.memory_limit);
        self.describe(options.and_then(|o| self.plan_with(&o)), limit)
    }

    /// The text of [`Array::explain`] for `plan`, made under the memory
    /// limit `limit`.
    fn describe(&self, plan: Result<Plan>, limit: Option<u64>) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Array<{}> shape={:?} chunks={} dtype={} bytes={}",
            T::DTYPE,
            self.shape(),
            self.chunks(),
            T::DTYPE,
            human_bytes(self.nbytes())
        );
        match plan {
            Err(e) => {
                let _ = writeln!(s, "cannot be planned: {e}");
            }
            Ok(plan) => {
                let _ = writeln!(
                    s,
                    "tasks: {} in {} stages; estimated peak memory (one thread): {}",
                    plan.tasks.len(),
                    plan.stages.len(),
                    human_bytes(plan.estimated_peak_bytes())
                );
                if let Some(limit) = limit.filter(|&l| plan.estimated_peak_bytes() > l) {
                    let _ = writeln!(
                        s,
                        "spills: that is over the memory limit of {}; the local executor writes \
                         the held results needed last to its spill directory (zstd) and reads \
                         them back",
                        human_bytes(limit)
                    );
                }
                let fired: Vec<String> = plan
                    .rules
                    .iter()
                    .map(|f| format!("{} ×{}", f.rule, f.times))
                    .collect();
                let fired = if fired.is_empty() {
                    "none".to_string()
                } else {
                    fired.join(", ")
                };
                let _ = writeln!(s, "rules fired: {fired}");
                let mut counts = vec![0usize; plan.stages.len()];
                let mut bytes = vec![0u64; plan.stages.len()];
                for t in &plan.tasks {
                    counts[t.stage] += 1;
                    let inputs: u64 = t.deps.iter().map(|&d| plan.tasks[d].out_bytes).sum();
                    bytes[t.stage] = bytes[t.stage].max(t.work_bytes + inputs);
                }
                let _ = writeln!(s, "plan:");
                for (i, st) in plan.stages.iter().enumerate() {
                    let kind = st.kind.label();
                    let _ = writeln!(
                        s,
                        "  stage {i} [{kind}] {}: {} tasks, each holding up to {}, grid {:?}, {}",
                        st.name,
                        counts[i],
                        human_bytes(bytes[i]),
                        st.grid,
                        st.dtype
                    );
                }
            }
        }
        let _ = writeln!(s, "graph:");
        for n in self.node().topological() {
            let inputs: Vec<String> = n.inputs.iter().map(|i| format!("#{}", i.id)).collect();
            let _ = writeln!(
                s,
                "  #{} {} <- [{}] shape={:?} chunks={} {}",
                n.id,
                n.label(),
                inputs.join(", "),
                n.shape,
                n.chunks,
                n.dtype
            );
        }
        s
    }

    /// The logical graph in Graphviz DOT.
    ///
    /// ```
    /// let x = ndchunk::ones::<f64>(&[4], [2])?;
    /// let dot = (&x + &x).to_dot();
    /// assert!(dot.starts_with("digraph") && dot.contains("add"));
    /// # Ok::<(), ndchunk::Error>(())
    /// ```
    pub fn to_dot(&self) -> String {
        let mut s = String::from(
            "digraph ndchunk {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n",
        );
        for n in self.node().topological() {
            let label = format!("{}\\n{:?} {}", n.label(), n.shape, n.dtype).replace('"', "\\\"");
            let _ = writeln!(s, "  n{} [label=\"{}\"];", n.id, label);
            for i in &n.inputs {
                let _ = writeln!(s, "  n{} -> n{};", i.id, n.id);
            }
        }
        s.push_str("}\n");
        s
    }
}

impl<T: Element> fmt::Display for Array<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain())
    }
}
