#!/usr/bin/env bash
# One command for a fresh Debian machine: installs what ndchunk needs, builds it,
# and runs the main example (examples/out_of_core_mean.rs).
#
#   ./setup.sh                 install, then run the example
#   ./setup.sh --install-only  install only
#   ./setup.sh --hpc           also install what the HPC tests need (Debian's slurm-wlm and munge
#                              for the SLURM cluster of tests/slurm.rs, chromium for the run
#                              report's browser check); ./test.sh then requires those tests to
#                              run rather than skip. Flags combine: .ci/run uses
#                              ./setup.sh --install-only --hpc
#
# Installs: Debian packages for building (libhdf5-dev for HDF5) and for the Python virtualenv, the
# project-local virtualenv .venv (numpy, dask, distributed, zarr, h5py, scikit-learn, xarray,
# pytest, hypothesis, maturin) used by the interop tests, the comparison harness and the Dask
# executor, and the Python package `ndchunk` (ndchunk-py/) built into that virtualenv.
set -euo pipefail
cd "$(dirname "$0")"

install_only=0
hpc=0
for arg in "$@"; do
  case "$arg" in
    --install-only) install_only=1 ;;
    --hpc) hpc=1 ;;
    *) echo "unknown option $arg (see the top of $0)" >&2; exit 2 ;;
  esac
done

log() { printf '==> %s\n' "$*" >&2; }

# 1. Debian packages (only the missing ones).
packages=(build-essential pkg-config libhdf5-dev)
python3 -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv python3-pip)
((hpc)) && packages+=(slurm-wlm munge chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

# 2. Rust toolchain: provided by rustup on the machine; the crate needs 1.85+.
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install a Rust toolchain (rustup, Rust 1.85 or newer) first" >&2
  exit 1
fi

# 3. Project-local Python virtualenv.
if [[ ! -x .venv/bin/python ]] || [[ ! -x .venv/bin/maturin ]] \
    || ! .venv/bin/python -c 'import numpy, dask, distributed, dask_jobqueue, zarr, h5py, sklearn, xarray, hypothesis, pytest' 2>/dev/null; then
  log "creating .venv with the Python peers (python/requirements.txt)"
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r python/requirements.txt
fi

# 4. Build (the Python package's crate, ndchunk-py, is built by pip below).
export PYO3_PYTHON="$PWD/.venv/bin/python"
log "building ndchunk (release)"
cargo build --release --workspace --exclude ndchunk-py --examples -q

# 5. The Python package, built in release mode by maturin into .venv.
log "installing the Python package ndchunk (ndchunk-py/) into .venv"
PATH="$PWD/.venv/bin:$PATH" .venv/bin/pip install -q --no-build-isolation ./ndchunk-py

# 6. Tell ./test.sh that the HPC tests are wanted here (they fail rather than skip).
if ((hpc)); then
  touch .venv/ndchunk-hpc-tests
fi

if ((install_only)); then
  log "installed; run the tests with: ./test.sh"
  exit 0
fi

# 7. The main example: mean((2u + 1)^2) over 1e9 uniform f32 values, out of core.
log "running examples/out_of_core_mean (1e9 elements; expect mean ~ 13/3)"
cargo run --release -q --example out_of_core_mean
