#!/usr/bin/env python3
"""Validates a /.sfsg/forecast document against the "sfsg-forecast" v1 schema that
predictor/capacity_plan.h documents, plus the loop's "loop" object. Exit 0 when valid,
1 with one line per problem otherwise. No third-party modules."""
import json
import math
import sys

NUM = (int, float)
problems = []


def need(obj, key, kinds, where, nullable=False):
    if not isinstance(obj, dict) or key not in obj:
        problems.append(f"{where}.{key}: missing")
        return None
    value = obj[key]
    if value is None and nullable:
        return None
    if isinstance(value, bool) and bool not in kinds:
        problems.append(f"{where}.{key}: bool where {kinds} expected")
        return None
    if not isinstance(value, kinds):
        problems.append(f"{where}.{key}: {type(value).__name__} where {kinds} expected")
        return None
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(f"{where}.{key}: not finite")
    return value


def band(obj, where):
    if obj is None:
        return
    for k in ("expected", "lower80", "upper80", "lower95", "upper95"):
        need(obj, k, NUM, where, nullable=(k != "expected"))  # null: bands not identified
    if all(isinstance(obj.get(k), NUM) for k in ("lower95", "lower80", "expected", "upper80", "upper95")):
        if not obj["lower95"] <= obj["lower80"] <= obj["expected"] <= obj["upper80"] <= obj["upper95"]:
            problems.append(f"{where}: bands out of order")


def crossing(obj, where):
    if obj is None:
        return
    need(obj, "already", (bool,), where)
    for k in ("earliest_unix", "expected_unix", "latest_unix", "earliest_days", "expected_days",
              "latest_days"):
        need(obj, k, NUM, where, nullable=True)


def forecast(obj, where):
    if obj is None:
        return
    need(obj, "model", (str,), where)
    if need(obj, "seasonality", (str,), where) not in (None, "none", "daily", "weekly"):
        problems.append(f"{where}.seasonality: unknown value")
    for k in ("step_s", "points", "filled_points"):
        need(obj, k, NUM, where)
    need(obj, "level_shifts", (list,), where)
    bt = need(obj, "backtest", (dict,), where)
    if bt:
        need(bt, "folds", NUM, where + ".backtest")
        for i, m in enumerate(need(bt, "models", (list,), where + ".backtest") or []):
            need(m, "model", (str,), f"{where}.backtest.models[{i}]")
            need(m, "candidate", (bool,), f"{where}.backtest.models[{i}]")
    need(obj, "low_confidence", (bool,), where)
    for i, p in enumerate(need(obj, "path", (list,), where) or []):
        need(p, "time_unix", NUM, f"{where}.path[{i}]")
        band(p, f"{where}.path[{i}]")


def probes(doc):
    for i, p in enumerate(need(doc, "probes", (list,), "$") or []):
        need(p, "command", (str,), f"$.probes[{i}]")
        if "error" not in p:
            need(p, "duration_s", NUM, f"$.probes[{i}]")
            need(p, "statement", (str,), f"$.probes[{i}]")
            basis = need(p, "basis", (dict,), f"$.probes[{i}]")
            if basis:
                need(basis, "statement", (str,), f"$.probes[{i}].basis")


def report(path):
    for p in problems:
        print(f"{path}: {p}")
    return 1 if problems else 0


def main(path):
    doc = json.load(open(path))
    if doc.get("format") != "sfsg-forecast" or doc.get("version") != 1:
        problems.append("format/version: not sfsg-forecast v1")
    if doc.get("status") == "no-forecast":  # no plan: why, and the probes if any were run
        need(doc, "reason", (str,), "$")
        if "probes" in doc:
            probes(doc)
        return report(path)
    for k in ("created_unix", "origin_unix", "horizon_s", "horizon_days", "buffer"):
        need(doc, k, NUM, "$")
    for i, o in enumerate(need(doc, "objectives", (list,), "$") or []):
        need(o, "quantile", (str,), f"$.objectives[{i}]")
        need(o, "latency_us", NUM, f"$.objectives[{i}]")
    need(doc, "low_confidence", (bool,), "$")
    need(doc, "warnings", (list,), "$")
    storage = need(doc, "storage", (dict,), "$", nullable=True)
    if storage:
        for k in ("current_bytes", "capacity_bytes", "threshold_bytes", "recommended_capacity_bytes",
                  "additional_bytes"):
            need(storage, k, NUM, "$.storage")
        band(need(storage, "at_horizon", (dict,), "$.storage"), "$.storage.at_horizon")
        crossing(need(storage, "threshold_reached", (dict,), "$.storage"), "$.storage.threshold_reached")
        forecast(need(storage, "forecast", (dict,), "$.storage"), "$.storage.forecast")
    perf = need(doc, "performance", (dict,), "$", nullable=True)
    if perf:
        need(perf, "usl", (dict,), "$.performance", nullable=True)
        need(perf, "latency", (list,), "$.performance")
        need(perf, "sustainable_ops_per_s", NUM, "$.performance")
        need(perf, "headroom", NUM, "$.performance", nullable=True)
        device = need(perf, "device", (dict,), "$.performance")
        if device:
            need(device, "statement", (str,), "$.performance.device")
            unit = need(device, "unit", (dict,), "$.performance.device")
            if unit:
                need(unit, "comparable", (bool,), "$.performance.device.unit")
                need(unit, "device_requests_per_file_op", NUM, "$.performance.device.unit",
                     nullable=True)
                need(unit, "mapping", (str,), "$.performance.device.unit")
                need(unit, "mapping_statement", (str,), "$.performance.device.unit")
    cands = need(doc, "device_candidates", (dict,), "$")
    if cands:
        need(cands, "status", (str,), "$.device_candidates")
    if cands and "candidates" in cands:
        need(cands, "recommended", (str,), "$.device_candidates", nullable=True)
        need(cands, "statement", (str,), "$.device_candidates")
        for i, c in enumerate(need(cands, "candidates", (list,), "$.device_candidates") or []):
            for k in ("size", "latency_us", "mean_us", "served_per_s"):
                need(c, k, NUM, f"$.device_candidates.candidates[{i}]")
            need(c, "meets", (bool,), f"$.device_candidates.candidates[{i}]")
    elif cands:
        need(cands, "reason", (str,), "$.device_candidates")
    probes(doc)
    loop = need(doc, "loop", (dict,), "$")
    if loop:
        for k in ("round", "last_run_unix", "shadow_scale", "shadow_layers", "shadow_entries"):
            need(loop, k, NUM, "$.loop")
    text = open(path).read()
    if "NaN" in text or "Infinity" in text:
        problems.append("$: NaN or Infinity in the text")
    return report(path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
