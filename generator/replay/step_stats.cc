#include "generator/replay/step_stats.h"

#include <cstdio>
#include <ctime>

#include "generator/replay/replay.h"
#include "generator/util/units.h"

namespace sfsg {

LatencySummary SummarizeNs(const LogHistogram& ns) {
  LatencySummary l;
  if (ns.count() == 0) return l;
  l.mean_us = ns.mean() / 1e3;
  l.p50_us = ns.Quantile(0.50) / 1e3;
  l.p90_us = ns.Quantile(0.90) / 1e3;
  l.p99_us = ns.Quantile(0.99) / 1e3;
  l.p999_us = ns.Quantile(0.999) / 1e3;
  l.max_us = static_cast<double>(ns.max()) / 1e3;
  return l;
}

OpStats OpStatsFrom(const LogHistogram& ns, uint64_t errors, uint64_t bytes, double duration_s) {
  OpStats o;
  o.ops = ns.count();
  o.errors = errors;
  o.ops_per_s = duration_s > 0 ? static_cast<double>(o.ops) / duration_s : 0;
  o.bytes_per_s = duration_s > 0 ? static_cast<double>(bytes) / duration_s : 0;
  o.latency = SummarizeNs(ns);
  return o;
}

CurveStep StepFromTally(const OpTally& tally, double duration_s) {
  CurveStep step;
  step.duration_s = duration_s;
  LogHistogram all;
  uint64_t errors = 0, bytes = 0;
  for (int k = 0; k < kOpKinds; ++k) {
    const LogHistogram& h = tally.latency_ns[k];
    if (h.count() == 0) continue;
    step.per_op[OpName(static_cast<OpKind>(k))] =
        OpStatsFrom(h, tally.errors[k], tally.bytes[k], duration_s);
    all.Merge(h);
    errors += tally.errors[k];
    bytes += tally.bytes[k];
  }
  if (tally.missed_ns.count() > 0) {
    step.per_op["missed"] = OpStatsFrom(tally.missed_ns, tally.missed_ns.count(), 0, duration_s);
    all.Merge(tally.missed_ns);
    errors += tally.missed_ns.count();
  }
  step.total = OpStatsFrom(all, errors, bytes, duration_s);
  // Throughput counts what was done: sends never made are not operations per second.
  step.total.ops_per_s =
      duration_s > 0 ? static_cast<double>(all.count() - tally.missed_ns.count()) / duration_s : 0;
  return step;
}

namespace {

std::string Micros(double us) {
  char text[32];
  if (us < 1000)
    std::snprintf(text, sizeof(text), "%.0fus", us);
  else if (us < 1e6)
    std::snprintf(text, sizeof(text), "%.1fms", us / 1e3);
  else
    std::snprintf(text, sizeof(text), "%.2fs", us / 1e6);
  return text;
}

}  // namespace

std::string FormatCurveTable(const PerfCurve& curve) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line),
                "%-4s %-6s %5s %9s %10s %9s %8s %8s %8s %8s %8s %7s %6s %9s %6s\n", "step", "mode",
                "conc", "offered", "ops/s", "MiB/s", "p50", "p90", "p99", "p99.9", "max", "errors",
                "fs%cpu", "fs-rss", "self%");
  out += line;
  for (size_t i = 0; i < curve.steps.size(); ++i) {
    const CurveStep& s = curve.steps[i];
    const OpStats& t = s.total;
    const std::string offered =
        s.offered_ops_per_s > 0 ? FormatCount(s.offered_ops_per_s) : std::string("-");
    const std::string fs_cpu =
        s.filesystem.pid ? std::to_string(static_cast<int>(s.filesystem.cpu_percent + 0.5)) : "-";
    const std::string fs_rss =
        s.filesystem.pid ? FormatBytes(static_cast<double>(s.filesystem.rss_bytes)) : "-";
    const std::string self_cpu =
        s.replayer.pid ? std::to_string(static_cast<int>(s.replayer.cpu_percent + 0.5)) : "-";
    std::snprintf(line, sizeof(line),
                  "%-4zu %-6s %5u %9s %10.0f %9.2f %8s %8s %8s %8s %8s %7llu %6s %9s %6s\n", i,
                  s.mode.c_str(), s.concurrency, offered.c_str(), t.ops_per_s,
                  t.bytes_per_s / (1 << 20), Micros(t.latency.p50_us).c_str(),
                  Micros(t.latency.p90_us).c_str(), Micros(t.latency.p99_us).c_str(),
                  Micros(t.latency.p999_us).c_str(), Micros(t.latency.max_us).c_str(),
                  static_cast<unsigned long long>(t.errors), fs_cpu.c_str(), fs_rss.c_str(),
                  self_cpu.c_str());
    out += line;
  }
  return out;
}

PerfCurve ReplayCurve(const std::string& target) {
  PerfCurve curve;
  curve.source = "sfsg-replay";
  curve.target = target;
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  curve.created_unix = static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9;
  return curve;
}

}  // namespace sfsg
