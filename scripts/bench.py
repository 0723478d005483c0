"""Run every benchmark side by side; write bench/results.json and bench/RESULTS.md.

Each benchmark is a function returning ``{figure: value}``; targets are compared, never
asserted. Usage: python scripts/bench.py [--only NAME ...]
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
# name -> (module:function, {figure: (target, "<=" or ">=")})
BENCHMARKS: dict[str, tuple[str, dict[str, tuple[float, str]]]] = {
    "local cloud": ("localcloud.bench:run", {
        "up_to_healthy_s": (15.0, "<="), "lambda_warm_invoke_p50_ms": (30.0, "<="),
        "lambda_cold_start_s": (1.0, "<=")}),
    "ingest": ("scripts.bench_ingest:run", {"real_file_61069_rows_s": (5.0, "<=")}),
    "training": ("training.bench:bench", {
        "wall_seconds": (60.0, "<="), "peak_rss_mb": (2048.0, "<=")}),
    "prediction": ("scripts.bench_predict:run", {
        "in_handler.specimens_1.p50_ms": (0.3, "<="),
        "in_handler.specimens_1000.p50_ms": (20.0, "<="),
        "cold_start.total_s": (0.5, "<=")}),
}  # fmt: skip


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
    "local cloud: `up_to_healthy_s` is the figure the last real `make up` recorded; the Lambda "
    "cold start is a small function's first invoke (the prediction function's own cold start is "
    "`prediction | cold_start.*`).",
    "prediction: `cold_start` is a fresh interpreter importing the handler and loading the "
    "champion from S3 on LocalStack (the target's definition); `deployed_function` is the "
    "deployed function's first request on a fresh container through LocalStack's Lambda "
    "service (process start, imports, champion, answer) against the next, warm request.",
    "prediction: `in_handler` is parse, validate, encode, predict, safety policy and response "
    "in the handler (prediction log write measured apart as `log_write`); `mlflow.*` run the "
    "same registered version; `pyfunc_in_process` is `predict` on an already encoded row only, "
    "so its ratio is not like for like; `serve_http` is a whole HTTP request.",
]


def machine() -> dict:
    """What the figures were measured on."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


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
    met = value <= limit if sense == "<=" else value >= limit
    return f"{sense} {limit:g} {'✅' if met else '❌'}"


def markdown(results: dict) -> str:
    """The results as a Markdown table, with the machine they were measured on."""
    lines = [
        "# Benchmark results",
        "",
        "Measured with `make bench` on: "
        + ", ".join(f"{k} {v}" for k, v in results["machine"].items()),
        "",
        "| benchmark | figure | value | target |",
        "|---|---|---|---|",
    ]
    for name, figures in results["benchmarks"].items():
        targets = BENCHMARKS.get(name, ("", {}))[1]
        for figure, value in flatten(figures).items():
            shown = f"{value:.4g}" if isinstance(value, float) else value
            target = verdict(value, targets[figure]) if figure in targets else ""
            lines.append(f"| {name} | {figure} | {shown} | {target} |")
    lines += ["", *(f"- {note}" for note in NOTES)]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    names = args.only or list(BENCHMARKS)
    results = {
        "machine": machine(),
        "benchmarks": {name: run_one(name, BENCHMARKS[name][0]) for name in names},
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    (OUT / "RESULTS.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
