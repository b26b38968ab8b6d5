#!/usr/bin/env python3
"""The seed's agent workload (5000 iterations x 3 agents x 5 actions, 3-field payloads) logged
by workflow-log and by the seed's Python Design C logger, side by side: the CPU time (user +
system, of the whole process and its threads, from the kernel's accounting of the finished
child) that logging adds per action, each against the same work run without logging.

    python3 benches/seed/run.py [RUNS]      (from the repository; builds the Rust program)

Runs are interleaved (Rust log, Rust plain, Python log, Python plain, again) so that a drift
in the machine's speed touches all four alike; medians and ranges are printed."""

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ACTIONS = 5000 * 3 * 5


def cpu_seconds(cmd, cwd=None):
    """Runs `cmd` and returns its user + system seconds, checking it succeeded."""
    pid = os.fork()
    if pid == 0:
        try:
            if cwd:
                os.chdir(cwd)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed (exit {os.waitstatus_to_exitcode(status)})")
    return usage.ru_utime + usage.ru_stime


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "-p", "workflow-log-benches",
         "--bin", "seed_workload"],
        cwd=ROOT, check=True,
    )
    # Cargo reads a relative CARGO_TARGET_DIR against the directory it runs in: the root.
    target = ROOT / os.environ.get("CARGO_TARGET_DIR", "target")
    rust = str(target / "release" / "seed_workload")
    python = sys.executable
    times = {k: [] for k in ("rust_log", "rust_plain", "py_log", "py_plain")}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as logs:
            times["rust_log"].append(cpu_seconds([rust, "log", logs]))
            times["rust_plain"].append(cpu_seconds([rust, "plain"]))
            times["py_log"].append(cpu_seconds([python, "seed_workload.py", "log", logs], HERE))
            times["py_plain"].append(cpu_seconds([python, "seed_workload.py", "plain"], HERE))
    # What logging adds per action, run by run (each logged run against the plain run beside it).
    per_action = {
        lang: [(log - plain) / ACTIONS * 1e9
               for log, plain in zip(times[f"{lang}_log"], times[f"{lang}_plain"])]
        for lang in ("rust", "py")
    }
    ratios = [py / rs for py, rs in zip(per_action["py"], per_action["rust"])]

    def line(name, values, unit):
        print(f"{name:<44} {statistics.median(values):>10.0f} {unit}"
              f"   ({min(values):.0f} to {max(values):.0f})")

    print(f"{ACTIONS} actions, {runs} runs each; CPU that logging adds per action:")
    line("workflow-log (#[action], journal on, finish)", per_action["rust"], "ns")
    line("seed Design C (Python, finalize)", per_action["py"], "ns")
    print(f"{'Python / Rust, run by run':<44} {statistics.median(ratios):>10.1f} x"
          f"   ({min(ratios):.1f} to {max(ratios):.1f})")


if __name__ == "__main__":
    main()
