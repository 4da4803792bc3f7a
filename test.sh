#!/usr/bin/env bash
# Every test: the Rust workspace (default features, then the in-memory core
# without storage features), the API docs with warnings as errors, and the
# Python package's tests (pytest, against the package ./setup.sh installed;
# its crate, ndchunk-py, has no Rust tests and is built by that install).
#
# The HPC tests (tests/slurm.rs, ndchunk-py/tests/test_slurm.py, the run
# report's browser check) skip when SLURM or chromium is missing, unless
# `./setup.sh --hpc` installed them here: then a missing piece is a failure.
set -euo pipefail
cd "$(dirname "$0")"
if [[ -e .venv/ndchunk-hpc-tests ]]; then
  export NDCHUNK_REQUIRE_HPC=1
fi
cargo test --workspace --exclude ndchunk-py --release
cargo test --release --no-default-features
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -q
.venv/bin/python -m pytest -q ndchunk-py/tests
