"""Reads exported runs back from Phoenix and MLflow and checks them against the run files.

Run by tests/e2e/otlp.sh with the servers' virtualenv's python (MLflow's client is used to read
MLflow's traces). Each check prints one `ok:` line; the first failure exits 1 with `FAILED:`.

The expectations come from the nested JSON of each run, mapped the way DESIGN.md §9 says:
  run -> `invoke_workflow {workflow}` (CHAIN), iteration -> `iteration {n}` (CHAIN),
  interaction -> `invoke_agent {agent}` (AGENT), action -> `execute_tool {name}` (TOOL),
  or `chat {model}` (LLM) when it has a model; a failed record -> ERROR with its message.
"""

import argparse
import json
import sys
import time
import urllib.request
from collections import Counter

DEADLINE_SECONDS = 90


def fail(message):
    print(f"e2e: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def ok(message):
    print(f"e2e: ok: {message}")


def check(condition, message):
    if not condition:
        fail(message)


# --- what a run should look like ----------------------------------------------------------------

GROUPS = ("iterations", "interactions", "actions")


def expected_spans(doc):
    """Every span the run maps to: (name, parent name, kind, status, message, events)."""
    out = []

    def record(kind, r, parent):
        if kind == "iteration":
            name, span_kind = f"iteration {r['iteration_number']}", "CHAIN"
        elif kind == "interaction":
            name, span_kind = f"invoke_agent {r['agent_name']}", "AGENT"
        elif r.get("model"):
            name, span_kind = f"chat {r['model']}", "LLM"
        else:
            name, span_kind = f"execute_tool {r['action_name']}", "TOOL"
        failed = r["status"] != "ok"
        events = len(r.get("events", [])) + (1 if failed else 0)
        out.append(
            {
                "name": name,
                "parent": parent,
                "kind": span_kind,
                "error": failed,
                "message": r.get("error") or (r["status"] if failed else ""),
                "status": r["status"],
                "events": events,
                "usage": r.get("usage"),
            }
        )
        children(r, name)

    def children(r, name):
        for group, kind in zip(GROUPS, ("iteration", "interaction", "action")):
            for child in r.get(group, []):
                record(kind, child, name)

    root = f"invoke_workflow {doc['workflow']}"
    root_failed = doc["status"] != "ok"
    out.append(
        {
            "name": root,
            "parent": None,
            "kind": "CHAIN",
            "error": root_failed,
            "message": doc.get("error") or (doc["status"] if root_failed else ""),
            "status": doc["status"],
            "events": len(doc.get("events", [])) + (1 if root_failed else 0),
            "usage": None,
        }
    )
    children(doc, root)
    return out


def edges(spans):
    return Counter((s["name"], s["parent"]) for s in spans)


def check_against(backend, label, expected, got):
    """`got`: spans as dicts with name, parent (name), kind, error, message, events, attrs."""
    check(
        len(got) == len(expected),
        f"{backend} {label}: {len(got)} spans, expected {len(expected)}",
    )
    ok(f"{backend} {label}: {len(got)} spans, one per record and the run")
    missing = edges(expected) - edges(got)
    extra = edges(got) - edges(expected)
    check(not missing and not extra, f"{backend} {label}: nesting differs: missing {dict(missing)}, unexpected {dict(extra)}")
    ok(f"{backend} {label}: every span under the span of its parent record ({len(edges(got))} distinct name/parent pairs)")
    roots = [s for s in got if s["parent"] is None]
    check(len(roots) == 1, f"{backend} {label}: {len(roots)} root spans")

    kinds_expected = Counter((s["name"], s["kind"]) for s in expected)
    kinds_got = Counter((s["name"], s["kind"]) for s in got)
    check(kinds_got == kinds_expected, f"{backend} {label}: span kinds differ: {dict(kinds_got - kinds_expected)} vs {dict(kinds_expected - kinds_got)}")
    ok(f"{backend} {label}: kinds {dict(Counter(s['kind'] for s in got))}")

    errors_expected = sorted((s["name"], s["message"]) for s in expected if s["error"])
    errors_got = sorted((s["name"], s["message"]) for s in got if s["error"])
    # An open record's message explains the status ("incomplete: ...").
    norm = lambda pairs: sorted((n, m.split(":")[0] if m.startswith("incomplete") else m) for n, m in pairs)
    check(norm(errors_got) == norm(errors_expected), f"{backend} {label}: errors differ: {errors_got} vs {errors_expected}")
    ok(f"{backend} {label}: {len(errors_got)} ERROR span(s): " + "; ".join(f"{n} ({m[:50]})" for n, m in errors_got))

    events_expected = sum(s["events"] for s in expected)
    events_got = sum(s["events"] for s in got)
    check(events_got == events_expected, f"{backend} {label}: {events_got} span events, expected {events_expected}")
    ok(f"{backend} {label}: {events_got} span events (the run's events and log lines, plus an exception event per failure)")

    llm_expected = [s for s in expected if s["kind"] == "LLM" and s["usage"]]
    if not llm_expected:
        print(f"e2e: SKIP: {backend} {label}: tokens: the run has no LLM usage (no action has `model` and `usage`)")
        return
    llm_got = [s for s in got if s["kind"] == "LLM"]
    want = sorted(s["usage"].get("input_tokens", 0) for s in llm_expected)
    have = sorted(int(s["input_tokens"] or -1) for s in llm_got)
    check(want == have, f"{backend} {label}: input tokens {have}, expected {want}")
    ok(f"{backend} {label}: tokens on {len(llm_got)} LLM span(s), {sum(want)} input tokens in all")


# --- Phoenix --------------------------------------------------------------------------------------


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def phoenix_spans(base, project, want):
    """The project's spans, once `want` of them are there (Phoenix ingests asynchronously)."""
    deadline = time.time() + DEADLINE_SECONDS
    while True:
        spans, cursor = [], None
        try:
            while True:
                url = f"{base}/v1/projects/{project}/spans?limit=1000"
                if cursor:
                    url += f"&cursor={cursor}"
                page = get_json(url)
                spans += page["data"]
                cursor = page.get("next_cursor")
                if not cursor:
                    break
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
        if len(spans) >= want or time.time() > deadline:
            return spans
        time.sleep(1)


def phoenix_view(spans):
    by_id = {s["context"]["span_id"]: s["name"] for s in spans}
    out = []
    for s in spans:
        attrs = s.get("attributes", {})
        out.append(
            {
                "name": s["name"],
                "parent": by_id.get(s.get("parent_id")) if s.get("parent_id") else None,
                "kind": s["span_kind"],
                "error": s["status_code"] == "ERROR",
                "message": s.get("status_message") or "",
                "events": len(s.get("events", [])),
                "input_tokens": attrs.get("llm.token_count.prompt"),
                "trace_id": s["context"]["trace_id"],
            }
        )
    return out


# --- MLflow ---------------------------------------------------------------------------------------


def mlflow_spans(base, trace_id, want):
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=base)
    deadline = time.time() + DEADLINE_SECONDS
    while True:
        try:
            trace = client.get_trace(f"tr-{trace_id}")
            spans = trace.data.spans
        except Exception:  # not there yet
            spans = []
        if len(spans) >= want or time.time() > deadline:
            return spans
        time.sleep(1)


def mlflow_view(spans):
    by_id = {s.span_id: s.name for s in spans}
    out = []
    for s in spans:
        attrs = s.attributes or {}
        kind = attrs.get("openinference.span.kind") or str(s.span_type)
        out.append(
            {
                "name": s.name,
                "parent": by_id.get(s.parent_id) if s.parent_id else None,
                "kind": kind,
                "error": str(s.status.status_code).endswith("ERROR"),
                "message": s.status.description or "",
                "events": len(s.events or []),
                "input_tokens": attrs.get("gen_ai.usage.input_tokens"),
            }
        )
    return out


def trace_id_of(doc):
    """The trace id the exporter derives (FNV-1a 128 of the run id; see ids.rs)."""
    prime, h, mask = 0x0000000001000000000000000000013B, 0x6C62272E07BB014262B821756295C58D, (1 << 128) - 1
    for part in (b"workflow-log trace", doc["run_id"].encode()):
        for b in part:
            h = ((h ^ b) * prime) & mask
        h = ((h ^ 0xFF) * prime) & mask
    return f"{h or 1:032x}"


# --- Perfetto -------------------------------------------------------------------------------------


def check_perfetto(path):
    with open(path) as f:
        trace = json.load(f)
    events = trace["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    slices = [e for e in events if e["ph"] == "X"]
    by_track = {}
    for e in slices:
        by_track.setdefault(e["tid"], []).append((e["ts"], e["ts"] + e["dur"], e["name"]))
    for tid, items in by_track.items():
        items.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for s in items:
            while stack and stack[-1][1] <= s[0]:
                stack.pop()
            check(not stack or s[1] <= stack[-1][1], f"{path}: on track {names.get(tid)}, {s} overlaps {stack[-1] if stack else None}")
            stack.append(s)
    instants = [e for e in events if e["ph"] == "I"]
    ok(f"perfetto {path.rsplit('/', 1)[-1]}: {len(slices)} slices nest exactly on {len(by_track)} tracks ({', '.join(sorted(names.values()))}); {len(instants)} instants")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--phoenix")
    p.add_argument("--mlflow")
    p.add_argument("--run", action="append", default=[], help="PROJECT=RUN.json")
    p.add_argument("--perfetto", action="append", default=[])
    args = p.parse_args()

    for spec in args.run:
        project, path = spec.split("=", 1)
        with open(path) as f:
            doc = json.load(f)
        expected = expected_spans(doc)
        trace_id = trace_id_of(doc)
        if args.phoenix:
            got = phoenix_view(phoenix_spans(args.phoenix, project, len(expected)))
            check_against("phoenix", project, expected, got)
            ids = {s["trace_id"] for s in got}
            check(ids == {trace_id}, f"phoenix {project}: trace ids {ids}, expected {trace_id}")
            ok(f"phoenix {project}: one trace, {trace_id}, the id derived from run {doc['run_id']}")
        if args.mlflow:
            got = mlflow_view(mlflow_spans(args.mlflow, trace_id, len(expected)))
            check_against("mlflow", f"tr-{trace_id}", expected, got)
    for path in args.perfetto:
        check_perfetto(path)


if __name__ == "__main__":
    main()
