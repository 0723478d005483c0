"""Run every benchmark side by side; write bench/results.json and bench/RESULTS.md.

Each benchmark is a function returning ``{figure: value}``; targets are compared, never
asserted. Usage: python scripts/bench.py [--only NAME ...] (with --only, the other
benchmarks keep their rows of the last bench/RESULTS.md, with the machine line they had, and
their figures in bench/results.json, which the cost model reads).
`make bench` starts and deploys the local cloud first; "stack" always runs first and makes
sure a champion is served (training one when none is), so no figure is skipped.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench"
# name -> (module:function, {figure: (target, "<=", ">=" or "==")})
BENCHMARKS: dict[str, tuple[str, dict[str, tuple[float, str]]]] = {
    "stack": ("scripts.bench_stack:prepare", {}),
    "local cloud": (
        "localcloud.bench:run",
        {
            "up_to_healthy_s": (15.0, "<="),
            "lambda_warm_invoke_p50_ms": (30.0, "<="),
            "lambda_cold_start_s": (1.0, "<="),
        },
    ),
    "ingest": ("scripts.bench_ingest:run", {"real_file_61069_rows_s": (5.0, "<=")}),
    "training": (
        "training.bench:bench",
        {"wall_seconds": (60.0, "<="), "peak_rss_mb": (2048.0, "<=")},
    ),
    "prediction": (
        "scripts.bench_predict:run",
        {
            "in_handler.specimens_1.p50_ms": (0.3, "<="),
            "in_handler.specimens_1000.p50_ms": (20.0, "<="),
            "cold_start.total_s": (0.5, "<="),
        },
    ),
    "batch": ("scripts.bench_batch:run", {"rows_per_s": (100_000.0, ">=")}),
    "batch fan-out": ("scripts.bench_batch:fanout", {}),
    "prediction log": (
        "scripts.bench_prediction_log:run",
        {
            "monitor_1m_to_10k.seconds": (1.5, "<="),
            "monitor_1m_to_10k.peak_mb": (1.5, "<="),
            "monitor_1m_to_10k.s3_requests": (1.0, "<="),
            "monitor_1m_to_10k.mb_read": (1.0, "<="),
        },
    ),
    "load": (
        "scripts.bench_load:run",
        {
            "predict.achieved_rps": (49.0, ">="),
            "predict.status_5xx": (0, "=="),
            "uploads.unaccounted_rows": (0, "=="),
            "uploads.training_runs": (1, "=="),
        },
    ),
}


def flatten(figures: dict, prefix: str = "") -> dict:
    """Nested results as ``a.b.c: value`` rows."""
    flat = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


NOTES = [
    "stack: the champion the prediction and load figures measured (`models:/<name>/<version>`), "
    "and, when none was served, how long the real file took from upload to served champion "
    "through the stack (ingest, queue, trainer, gate, promotion).",
    "local cloud: `up_to_healthy_s` is the figure the last real `make up` recorded, from the "
    "start of the services to all healthy; `installs_s` is what that `up` spent before, "
    "installing LocalStack's venv and building the trainer image (a fresh clone's); the Lambda "
    "cold start is a small function's first invoke (the prediction function's own cold start is "
    "`prediction | cold_start.*`).",
    "ingest: `file` is the file the in-process and through-Lambda figures ingested (the large "
    "file repeats its rows); `then_training_idle_s` waits for the training run that upload "
    "starts, so that the trainer does not share the CPU with the training benchmark.",
    "training: one `python -m training.pipeline` on `data` in a fresh process, registering into "
    "a throwaway sqlite MLflow store (the served champion is the one `stack` names).",
    "prediction: `cold_start` is a fresh interpreter importing the handler and loading the "
    "champion from S3 on LocalStack (the target's definition); `deployed_function` is the "
    "deployed function's first request on a fresh container through LocalStack's Lambda "
    "service (process start, imports, champion, answer) against the next, warm request.",
    "prediction: `in_handler` is parse, validate, encode, predict, safety policy, the log's "
    "lines and response in the handler (the Firehose call left out; `log_write` is one "
    "request's lines put to S3 on LocalStack: the fallback's write, and the stand-in for the "
    "call, as LocalStack's Firehose writes each call to S3 at once); "
    "`*_with_challenger` the same with a challenger in shadow (scored on up to 100 specimens "
    "of a request, evenly spread, and logged beside the champion's answer); `mlflow.*` run the "
    "same registered version; `pyfunc_in_process` is `predict` on an already encoded row only, "
    "so its ratio is not like for like; `serve_http` is a whole HTTP request.",
    "batch: the real file (61,069 valid rows) scored by the predict function's batch code "
    "in-process, warm, S3 replaced by a stand-in that keeps sizes only: reading, column-wise "
    "checks and encoding, model (every core), safety policy, ids, log and result CSVs. "
    "`rows_per_cpu_s` divides by the process's CPU time (the figure that does not depend on "
    "what else the machine runs); `model_only_rows_per_cpu_s` is the booster alone on one "
    "thread, the bound the rest adds to. `large_file_*`: the real rows repeated to ~64 MB, "
    "scored in a fresh process reading the file as a stream (as from S3): its peak RSS "
    "against the real file's shows memory does not grow with the file.",
    "batch fan-out: the real rows repeated to ~256 MB, uploaded to the deployed stack's batch/ "
    "(`upload_s`), split by byte ranges, scored in parts by the batch state machine (Step "
    "Functions, `batch_map_concurrency` at a time) and merged: `upload_to_report_s` runs from the "
    "upload's start to the merged report, here where every part shares 2 cores with LocalStack. "
    "Then one monitor run over the window the file's predictions flooded (`monitor_s`): it "
    "reads `monitor_max_specimens`, the API's traffic first (`monitor_specimens_counted`, the "
    "champion's), and leaves the rest (`monitor_unread_*`). The file, its outputs and its log "
    "are removed after.",
    "load: `predict` is POST /predict through API Gateway (API key, usage plan) on LocalStack, "
    "open loop after warming 10 execution environments: a request is due every 1/rate s, half "
    "with 1 real specimen, half with 100; latency counts from the due time (client queueing "
    "included), `late_starts` are requests sent over 0.1 s late (32 client threads all busy), "
    "`not_sent` those over 60 s late (dropped, so the run stays bounded). `predict_steady` is "
    "the same at 15/s for 30 s. LocalStack serves API Gateway, the Lambda runtime API and S3 "
    "in one Python process: `localstack_cpu_ms_per_request` bounds the local rate to about "
    "1000 / that figure per second, whatever the cores. `environments` are the function's "
    "execution environments alive afterwards (LocalStack starts one per request in flight).",
    "load: `model` is the champion served once the uploads' training run is done (the predict "
    "function re-reads the pointer every 30 s).",
    "prediction log: moto's in-process S3 through the functions' own read code (the monitor's "
    "`run_monitor`, training's `labelled_feedback`); 10 k predictions per hour object, as "
    "Firehose writes them. The monitor's window (the last hour) holds the same 10 k and the same "
    "100 labels in both cases, each in its own bucket; the 1 M bucket also holds the 1,100 labels "
    "received earlier that day. `s3_requests`, `keys_listed`, `mb_read` are what the run asks of "
    "S3, as AWS serves and bills it (the function's own cost); `seconds` is the fastest of 5 runs "
    "taken in turn with the other case's, so passing load falls on both; it includes moto's "
    "serving (about 2 ms per request here, and a listing walks every key of the bucket: 1.8 ms at "
    "100 keys, 23 ms at 30 k, where S3 returns only the prefix's). `peak_mb` is tracemalloc's "
    "peak of one more run (moto's copies of the objects read included). Training joins 1 k labels "
    "drawn from the last day's 240 k predictions, then from any hour of the 1 M, then from four "
    "hours six apart (each label leads to its issue hour, and to the next only when its record "
    "is not there: the worst case reads them all); `prediction_lookup_*` count the prediction "
    "objects that look-up read.",
    "load: `uploads` are the real file in 10 slices with 1-10 bad rows each, put to raw/ at "
    "once; rows written = accepted + rejected from the manifests (`quarantined_rows` counted "
    "in the rejected CSVs), then the training runs and registered versions created after the "
    "uploads, once the training queue is empty.",
]


def machine() -> dict:
    """What the figures were measured on."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "cpu_reference_s": cpu_reference(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def cpu_reference(additions: int = 10_000_000) -> float:
    """Seconds of a fixed pure-Python loop, best of 3: how fast the CPU ran when the figures
    were taken, at the start and the end of a run (a shared virtual machine varies by twice or
    more within a day), so that two runs compare by it."""
    best = float("inf")
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for i in range(additions):
            total += i
        best = min(best, time.perf_counter() - started)
    return round(best, 2)


def run_one(name: str, target: str) -> dict:
    """Import and run one benchmark; a failure is recorded, not fatal for the others."""
    module, function = target.split(":")
    print(f"bench: {name} …", flush=True)
    started = time.perf_counter()
    try:
        figures = getattr(importlib.import_module(module), function)()
    except Exception as error:  # noqa: BLE001 - report and go on with the next benchmark
        traceback.print_exc()
        return {"error": f"{type(error).__name__}: {error}"}
    print(f"bench: {name} done in {time.perf_counter() - started:.1f} s: {figures}", flush=True)
    return figures


def verdict(value, target: tuple[float, str]) -> str:
    limit, sense = target
    if not isinstance(value, (int, float)):
        return ""
    met = {"<=": value <= limit, ">=": value >= limit, "==": value == limit}[sense]
    return f"{sense} {limit:g} {'✅' if met else '❌'}"


def machine_line(results: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in results["machine"].items())


def rows(results: dict) -> dict[str, list[str]]:
    """Table rows of each benchmark in ``results``."""
    found = {}
    for name, figures in results["benchmarks"].items():
        targets = BENCHMARKS.get(name, ("", {}))[1]
        found[name] = []
        for figure, value in flatten(figures).items():
            shown = f"{value:.4g}" if isinstance(value, float) else value
            target = verdict(value, targets[figure]) if figure in targets else ""
            found[name].append(f"| {name} | {figure} | {shown} | {target} |")
    return found


def kept(previous: str, ran) -> tuple[list[str], dict[str, list[str]]]:
    """From the last RESULTS.md: its machine lines and the rows of benchmarks not re-run."""
    header = [line for line in previous.splitlines() if line.startswith(("Measured", "Re-run"))]
    found: dict[str, list[str]] = {}
    for line in previous.splitlines():
        name = line[2:].split(" | ")[0] if line.startswith("| ") else None
        if name and name != "benchmark" and name not in ran:
            found.setdefault(name, []).append(line)
    return [line for line in header if not any(f"`{n}`" in line for n in ran)], found


def markdown(results: dict, previous: str = "") -> str:
    """The results as a Markdown table, with the machine they were measured on. With
    ``previous`` (the last table), the benchmarks not run now keep their rows and machine."""
    ran = rows(results)
    header, old = kept(previous, ran) if previous else ([], {})
    if header and old:
        names = ", ".join(f"`{name}`" for name in ran)
        header.append(
            f"Re-run alone (`scripts/bench.py --only`): {names} on: " + machine_line(results)
        )
    else:
        header = ["Measured with `make bench` on: " + machine_line(results)]
    lines = [
        "# Benchmark results",
        "",
        *header,
        "",
        "| benchmark | figure | value | target |",
        "|---|---|---|---|",
    ]
    for name in [n for n in BENCHMARKS if n in ran or n in old]:
        lines += ran[name] if name in ran else old[name]
    lines += ["", *(f"- {note}" for note in NOTES)]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), default=None)
    return parser.parse_args(argv)


def selected(only: list[str] | None) -> list[str]:
    """The benchmarks to run: ``only`` or all, always after "stack" (what they measure)."""
    return ["stack", *(name for name in only or BENCHMARKS if name != "stack")]


def merged(results: dict, path: Path) -> dict:
    """``results`` with the other benchmarks' figures of the last results.json (as the table
    keeps their rows), and which were re-run when."""
    last = json.loads(path.read_text())
    benchmarks = {**last.get("benchmarks", {}), **results["benchmarks"]}
    reruns = {
        **last.get("reruns", {}),
        **{name: results["machine"]["date"] for name in results["benchmarks"]},
    }
    return {
        "machine": last.get("machine", results["machine"]),
        "reruns": reruns,
        "benchmarks": benchmarks,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    names = selected(args.only)
    results = {
        "machine": machine(),
        "benchmarks": {name: run_one(name, BENCHMARKS[name][0]) for name in names},
    }
    results["machine"]["cpu_reference_end_s"] = cpu_reference()  # the CPU's pace at the end
    table, figures = OUT / "RESULTS.md", OUT / "results.json"
    previous = table.read_text() if args.only and table.exists() else ""
    OUT.mkdir(exist_ok=True)
    kept_figures = merged(results, figures) if args.only and figures.exists() else results
    figures.write_text(json.dumps(kept_figures, indent=1, default=str) + "\n")
    table.write_text(markdown(results, previous))
    print(table.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
