#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md, in one run: the benches crate as built normally (guard,
# payload, end_to_end, off, recover: that one writes two journals of 300 MB in a temp dir), then
# the `off` bench again with workflow-log's `off` feature (a separate build: with it every
# record is compiled away, so it can't share the first build), then the bridges with
# workflow-log's `tracing` and `log` features.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p workflow-log-benches "$@"
cargo bench -p workflow-log-benches --features off --bench off "$@"
cargo bench -p workflow-log-benches --features bridges --bench bridges "$@"
