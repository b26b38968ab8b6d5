#!/usr/bin/env bash
# End to end against real OpenTelemetry backends on this machine: exports the `agent_loop`
# example's run and a crashed run's journal with `workflow-log export otlp` to Arize Phoenix and
# to MLflow, reads the spans back from each and checks names, nesting, kinds, errors, events and
# tokens against the run files (tests/e2e/otlp_check.py). Also writes a Perfetto trace of each.
#
# Both servers are installed into a virtualenv kept between runs (about 1 GB):
#   ${XDG_CACHE_HOME:-$HOME/.cache}/workflow-log-e2e/venv
# They listen on free ports of 127.0.0.1 only, and are stopped on every way out.
#
#   bash tests/e2e/otlp.sh            # .ci/run runs it when WORKFLOW_LOG_E2E=1
#   KEEP_SERVERS=1 bash tests/e2e/otlp.sh   # leave them running (prints their URLs)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

PHOENIX_SPEC=${PHOENIX_SPEC:-arize-phoenix==20.26.1}
MLFLOW_SPEC=${MLFLOW_SPEC:-mlflow==3.17.2}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/workflow-log-e2e
VENV=$CACHE/venv
WAIT_SECONDS=${WAIT_SECONDS:-240}

say() { printf 'e2e: %s\n' "$*"; }
die() { printf 'e2e: FAILED: %s\n' "$*" >&2; exit 1; }

# --- the servers' virtualenv, made once ---------------------------------------------------
STAMP="$VENV/.installed-$PHOENIX_SPEC-$MLFLOW_SPEC"
if [[ ! -f "$STAMP" ]]; then
    say "installing $PHOENIX_SPEC and $MLFLOW_SPEC into $VENV (once; several minutes)"
    mkdir -p "$CACHE"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet "$PHOENIX_SPEC" "$MLFLOW_SPEC"
    touch "$STAMP"
fi
PY=$VENV/bin/python

# --- scratch space and clean-up ---------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/workflow-log-e2e.XXXXXX")
PIDS=()
cleanup() {
    local status=$?
    if [[ -z "${KEEP_SERVERS:-}" ]]; then
        for pid in "${PIDS[@]}"; do
            # Each server was started in a session of its own: end its whole process group
            # (MLflow runs worker processes).
            kill -TERM -- "-$pid" 2>/dev/null || true
        done
        for pid in "${PIDS[@]}"; do
            for _ in $(seq 1 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.2
            done
            kill -KILL -- "-$pid" 2>/dev/null || true
        done
        if [[ $status -ne 0 ]]; then
            say "server logs kept in $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    exit $status
}
trap cleanup EXIT INT TERM

free_port() {
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until `curl URL` answers 2xx, at most WAIT_SECONDS; fails naming the server and its log.
wait_for() {
    local name=$1 url=$2 pid=$3 log=$4
    local deadline=$((SECONDS + WAIT_SECONDS))
    until curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || { tail -20 "$log" >&2; die "$name exited while starting"; }
        ((SECONDS < deadline)) || { tail -20 "$log" >&2; die "$name did not answer $url within ${WAIT_SECONDS}s"; }
        sleep 1
    done
    say "$name is up at $url"
}

# --- start Phoenix and MLflow -----------------------------------------------------------------
PHOENIX_PORT=$(free_port)
PHOENIX_GRPC_PORT=$(free_port)
MLFLOW_PORT=$(free_port)
mkdir -p "$WORK/phoenix" "$WORK/mlflow"
(
    cd "$WORK/phoenix"
    PHOENIX_HOST=127.0.0.1 PHOENIX_PORT=$PHOENIX_PORT PHOENIX_GRPC_PORT=$PHOENIX_GRPC_PORT \
        PHOENIX_WORKING_DIR=$WORK/phoenix PHOENIX_TELEMETRY_ENABLED=false \
        exec setsid "$VENV/bin/phoenix" serve
) >"$WORK/phoenix.log" 2>&1 &
PIDS+=($!)
PHOENIX_PID=$!
(
    cd "$WORK/mlflow"
    exec setsid "$VENV/bin/mlflow" server --host 127.0.0.1 --port "$MLFLOW_PORT" --workers 1 \
        --backend-store-uri "sqlite:///$WORK/mlflow/mlflow.db" \
        --default-artifact-root "$WORK/mlflow/artifacts"
) >"$WORK/mlflow.log" 2>&1 &
PIDS+=($!)
MLFLOW_PID=$!
PHOENIX=http://127.0.0.1:$PHOENIX_PORT
MLFLOW=http://127.0.0.1:$MLFLOW_PORT

# --- meanwhile, build and make the runs -------------------------------------------------------
say "building workflow-log and the examples"
cargo build --quiet -p workflow-log-cli -p workflow-log-examples --examples --bins
TARGET=$(cargo metadata --format-version 1 --no-deps | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
mkdir -p "$WORK/bin"
cp "$TARGET/debug/workflow-log" "$TARGET/debug/examples/agent_loop" \
    "$TARGET/debug/examples/exit_child" "$WORK/bin/"
WL=$WORK/bin/workflow-log

WORKFLOW_LOG_DIR=$WORK/logs "$WORK/bin/agent_loop" >"$WORK/agent_loop.out"
AGENT_RUN=$(ls "$WORK"/logs/agent_loop_*.json)
say "agent_loop run: $AGENT_RUN"

# A crash: a panic hook that aborts the process (SIGABRT) with an iteration, an interaction and
# an action open. Only the journal is left.
set +e
"$WORK/bin/exit_child" abort_hook "$WORK/crash" >"$WORK/crash.out" 2>&1
crash_status=$?
set -e
((crash_status != 0)) || die "exit_child abort_hook exited 0; expected a crash"
CRASH_JOURNAL=$(sed -n 's/^journal //p' "$WORK/crash.out")
[[ -f "$CRASH_JOURNAL" ]] || die "the crashed run left no journal ($WORK/crash.out)"
CRASH_JSON=$WORK/crash_recovered.json
"$WL" recover "$CRASH_JOURNAL" -o "$CRASH_JSON" 2>/dev/null
say "crashed run (exit status $crash_status): $CRASH_JOURNAL"

wait_for Phoenix "$PHOENIX/" "$PHOENIX_PID" "$WORK/phoenix.log"
wait_for MLflow "$MLFLOW/health" "$MLFLOW_PID" "$WORK/mlflow.log"

# --- export -----------------------------------------------------------------------------------
say "export: agent_loop to Phoenix (--to phoenix, http/protobuf)"
"$WL" export otlp "$AGENT_RUN" --to phoenix --endpoint "$PHOENIX/v1/traces" --project e2e-agent
say "export: agent_loop to Phoenix again (the same trace must result)"
"$WL" export otlp "$AGENT_RUN" --to phoenix --endpoint "$PHOENIX/v1/traces" --project e2e-agent
say "export: the crashed journal to Phoenix (OTEL_EXPORTER_OTLP_ENDPOINT, gzip)"
# Phoenix takes protobuf only (it answers http/json with 415).
OTEL_EXPORTER_OTLP_ENDPOINT=$PHOENIX \
    "$WL" export otlp "$CRASH_JOURNAL" --project e2e-crash --gzip
say "export: agent_loop to MLflow (x-mlflow-experiment-id from OTEL_EXPORTER_OTLP_HEADERS)"
OTEL_EXPORTER_OTLP_HEADERS=x-mlflow-experiment-id=0 \
    "$WL" export otlp "$AGENT_RUN" --endpoint "$MLFLOW/v1/traces"
say "export: the crashed journal to MLflow (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, http/json)"
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=$MLFLOW/v1/traces \
    "$WL" export otlp "$CRASH_JOURNAL" --header x-mlflow-experiment-id=0 --protocol http/json

say "export: an unreachable endpoint exits 2 with one line naming it, and no header value"
set +e
"$WL" export otlp "$AGENT_RUN" --endpoint "http://127.0.0.1:$(free_port)/v1/traces" \
    --header "authorization=Bearer e2e-secret-value" --timeout 2 2>"$WORK/dead.err"
dead_status=$?
set -e
((dead_status == 2)) || die "exit status $dead_status on a dead endpoint, expected 2"
[[ $(wc -l <"$WORK/dead.err") -eq 1 ]] || die "not one line: $(cat "$WORK/dead.err")"
grep -q "127.0.0.1" "$WORK/dead.err" || die "the error does not name the endpoint"
! grep -q "e2e-secret-value" "$WORK/dead.err" || die "the error shows the header value"
say "ok: $(cat "$WORK/dead.err")"

# --- read back and check ----------------------------------------------------------------------
"$PY" "$ROOT/tests/e2e/otlp_check.py" \
    --phoenix "$PHOENIX" --mlflow "$MLFLOW" \
    --run "e2e-agent=$AGENT_RUN" --run "e2e-crash=$CRASH_JSON"

# --- Perfetto ---------------------------------------------------------------------------------
"$WL" export perfetto "$AGENT_RUN" -o "$WORK/agent_loop.perfetto.json" 2>/dev/null
"$WL" export perfetto "$CRASH_JOURNAL" -o "$WORK/crash.perfetto.json" 2>/dev/null
"$PY" "$ROOT/tests/e2e/otlp_check.py" --perfetto "$WORK/agent_loop.perfetto.json" \
    --perfetto "$WORK/crash.perfetto.json"

if [[ -n "${KEEP_SERVERS:-}" ]]; then
    say "servers left running: Phoenix $PHOENIX (pid $PHOENIX_PID), MLflow $MLFLOW (pid $MLFLOW_PID)"
    say "files in $WORK"
fi
say "PASSED"
