#!/usr/bin/env bash
# The test command: installs missing system packages, builds everything, runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_deps
ensure_swift
swift build
# The terminal tests drive the built `proxmux` and `pve-sim` binaries in tmux.
swift test "$@"
