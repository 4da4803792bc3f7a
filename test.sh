#!/usr/bin/env bash
# Every test: the Rust workspace (default features, then the in-memory core
# without storage features), the API docs with warnings as errors, and the
# Python package's tests (pytest, against the package ./setup.sh installed;
# its crate, ndchunk-py, has no Rust tests and is built by that install).
set -euo pipefail
cd "$(dirname "$0")"
cargo test --workspace --exclude ndchunk-py --release
cargo test --release --no-default-features
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -q
.venv/bin/python -m pytest -q ndchunk-py/tests
