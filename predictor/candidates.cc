#include "predictor/candidates.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "generator/device/device_emulator.h"
#include "generator/util/hash.h"

namespace sfsg {
namespace {

constexpr double kWarmupShare = 0.1;     // of the requests, discarded
constexpr double kSaturatedBelow = 0.95;  // served / offered below this: saturated
constexpr uint64_t kRandomSpanBytes = uint64_t{1} << 36;  // where direct random requests land
constexpr uint64_t kFiles = 64;                            // sequential streams

// The probability of a quantile name; -1 for "mean", 0 for an unknown name.
double QuantileOf(const std::string& name) {
  if (name == "mean") return -1;
  if (name == "p50") return 0.5;
  if (name == "p90") return 0.9;
  if (name == "p99") return 0.99;
  if (name == "p999") return 0.999;
  return 0;
}

std::string Round(double v, const char* format) {
  char text[64];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

// Sum of the increments of a cumulative column over its last `intervals` intervals
// (counter resets skipped); NaN cells are skipped.
double RecentIncrease(const std::vector<double>& column, size_t intervals) {
  double total = 0;
  const size_t n = column.size();
  const size_t first = n > intervals + 1 ? n - intervals - 1 : 0;
  for (size_t i = first + 1; i < n; ++i) {
    const double d = column[i] - column[i - 1];
    if (std::isfinite(d) && d > 0) total += d;
  }
  return total;
}

CandidateResult Evaluate(const DeviceModel& model, const DeviceCandidate& candidate,
                         const DeviceLoad& load, double q, double objective_us, uint64_t seed,
                         size_t requests) {
  CandidateResult r;
  r.candidate = candidate;
  DeviceEmulator emulator(model, seed);
  const uint64_t block = 4096;
  std::vector<uint64_t> next_offset(kFiles, 0);
  std::vector<double> latencies;
  latencies.reserve(requests);
  const size_t warmup = static_cast<size_t>(static_cast<double>(requests) * kWarmupShare);
  double arrival_us = 0, first_measured_us = 0, last_completion_us = 0;
  for (size_t i = 0; i < requests; ++i) {
    SplitMixStream draw(HashWords(seed, 0x6361'6e64 /* "cand" */, i));
    // Exponential gaps: Poisson arrivals at the peak rate.
    arrival_us += -std::log(1 - draw.NextUnit()) * 1e6 / load.requests_per_s;
    DeviceRequest io;
    const bool write = draw.NextUnit() >= load.read_fraction;
    io.kind = write ? DeviceRequest::Kind::kWrite : DeviceRequest::Kind::kRead;
    io.size_bytes = write ? load.write_bytes : load.read_bytes;
    const uint64_t file = draw.NextBelow(kFiles);
    io.file = file + 1;
    const bool cached_read = !write && load.working_set_bytes > 0 && model.cache.size_bytes > 0;
    io.direct = !cached_read;
    if (draw.NextUnit() < load.sequential_fraction) {
      io.offset = next_offset[file];
    } else {
      const uint64_t span =
          cached_read ? std::max<uint64_t>(load.working_set_bytes / kFiles, block)
                      : kRandomSpanBytes;
      io.offset = draw.NextBelow(span / block) * block;
    }
    next_offset[file] = io.offset + io.size_bytes;
    io.arrival_us = arrival_us;
    const DeviceCompletion done = emulator.Submit(io);
    if (i < warmup) continue;
    if (latencies.empty()) first_measured_us = arrival_us;
    latencies.push_back(done.completion_us - arrival_us);
    last_completion_us = std::max(last_completion_us, done.completion_us);
  }
  if (latencies.empty()) return r;
  double sum = 0;
  for (double l : latencies) sum += l;
  r.mean_us = sum / static_cast<double>(latencies.size());
  const double span_s = (last_completion_us - first_measured_us) / 1e6;
  r.served_per_s = span_s > 0 ? static_cast<double>(latencies.size()) / span_s : 0;
  r.saturated = r.served_per_s < kSaturatedBelow * load.requests_per_s;
  if (q < 0) {
    r.latency_us = r.mean_us;
  } else {
    std::sort(latencies.begin(), latencies.end());
    const size_t at = std::min(latencies.size() - 1,
                               static_cast<size_t>(q * static_cast<double>(latencies.size())));
    r.latency_us = latencies[at];
  }
  r.meets = !r.saturated && r.latency_us <= objective_us;
  return r;
}

Json ScaleJson(const DeviceScale& s) {
  return {{"parallelism", s.parallelism},
          {"bandwidth", s.bandwidth},
          {"iops", s.iops},
          {"cache_bytes", s.cache_bytes ? Json(*s.cache_bytes) : Json()}};
}

}  // namespace

Result<DeviceLoad> DeviceLoadFromUsage(const UsageTable& table, double requests_per_s,
                                       size_t intervals) {
  double totals[4];
  const char* names[] = {"read_ops", "write_ops", "read_bytes", "write_bytes"};
  for (int i = 0; i < 4; ++i) {
    const auto it = table.columns.find(names[i]);
    if (it == table.columns.end())
      return Error::BadInput(table.source + ": no column '" + names[i] +
                             "' (sfsg-meter writes the device's diskstats counters)");
    totals[i] = RecentIncrease(it->second, intervals);
  }
  const double ops = totals[0] + totals[1];
  if (!(ops > 0))
    return Error::BadInput(table.source + ": no I/O in the last " + std::to_string(intervals) +
                           " intervals of read_ops and write_ops");
  DeviceLoad load;
  load.requests_per_s = requests_per_s;
  load.read_fraction = totals[0] / ops;
  auto mean_size = [](double bytes, double count) {
    return count > 0 ? std::max<uint64_t>(512, static_cast<uint64_t>(std::llround(bytes / count)))
                     : uint64_t{4096};
  };
  load.read_bytes = mean_size(totals[2], totals[0]);
  load.write_bytes = mean_size(totals[3], totals[1]);
  return load;
}

std::vector<DeviceCandidate> DefaultCandidates(const DeviceModel& model) {
  std::vector<DeviceCandidate> out;
  auto add = [&](const char* name, double p, double b, double iops, double size) {
    DeviceCandidate c;
    c.name = name;
    c.scale.parallelism = p;
    c.scale.bandwidth = b;
    c.scale.iops = iops;
    c.size = size;
    out.push_back(c);
  };
  add("today", 1, 1, 1, 1);
  add("parallelism x2", 2, 1, 1, 2);
  add("bandwidth x2", 1, 2, 1, 2);
  add("iops x2", 1, 1, 2, 2);
  if (model.cache.size_bytes > 0) {
    DeviceCandidate c;
    c.name = "cache x2";
    c.scale.cache_bytes = 2 * model.cache.size_bytes;
    c.size = 2;
    out.push_back(c);
  }
  add("parallelism x2 + bandwidth x2", 2, 2, 1, 4);
  add("parallelism x4", 4, 1, 1, 4);
  return out;
}

Result<CandidatePlan> PlanDeviceCandidates(const DeviceModel& model,
                                           const std::vector<DeviceCandidate>& candidates,
                                           const DeviceLoad& load, const Objective& objective,
                                           uint64_t seed, size_t requests) {
  if (candidates.empty()) return Error::Usage("device candidates: none to evaluate");
  if (!(load.requests_per_s > 0) || !std::isfinite(load.requests_per_s))
    return Error::Usage("device candidates: the load has no requests per second");
  if (load.read_bytes == 0 || load.write_bytes == 0)
    return Error::Usage("device candidates: a request size of 0 bytes");
  const double q = QuantileOf(objective.quantile);
  if (q == 0)
    return Error::Usage("device candidates: unknown quantile '" + objective.quantile + "'");
  if (requests < 100) return Error::Usage("device candidates: fewer than 100 requests");
  CandidatePlan plan;
  plan.objective = objective;
  plan.load = load;
  for (const DeviceCandidate& c : candidates) {
    auto scaled = ScaleDeviceModel(model, c.scale);
    if (!scaled) return scaled.error();
    plan.results.push_back(
        Evaluate(*scaled, c, load, q, objective.latency_us, seed, requests));
  }
  for (size_t i = 0; i < plan.results.size(); ++i) {
    if (!plan.results[i].meets) continue;
    if (!plan.recommended ||
        plan.results[i].candidate.size < plan.results[*plan.recommended].candidate.size)
      plan.recommended = i;
  }
  const std::string at = Round(load.requests_per_s, "%.0f") + " device requests/s";
  const std::string goal = objective.quantile + " <= " + Round(objective.latency_us / 1e3, "%.3g") + " ms";
  if (!plan.recommended) {
    plan.statement = "no candidate keeps " + goal + " at the horizon's peak of " + at;
    // Unsaturated everywhere: the time is the service time itself, not queueing, and
    // none of these dimensions shortens it (a faster device would: calibrate one).
    bool any_saturated = false;
    for (const CandidateResult& r : plan.results) any_saturated |= r.saturated;
    if (!any_saturated)
      plan.statement += "; none is saturated: the device's own service time keeps it above "
                        "the objective (" + objective.quantile + " " +
                        Round(plan.results.front().latency_us / 1e3, "%.3g") +
                        " ms today), which more parallelism, bandwidth or IOPS does not "
                        "shorten";
  } else {
    const CandidateResult& r = plan.results[*plan.recommended];
    plan.statement = (r.candidate.name == "today" ? std::string("today's device keeps ")
                                                  : r.candidate.name + " is the smallest change that keeps ") +
                     goal + " at the horizon's peak of " + at + " (" + objective.quantile + " " +
                     Round(r.latency_us / 1e3, "%.3g") + " ms)";
  }
  return plan;
}

Json CandidatePlanToJson(const CandidatePlan& plan) {
  Json candidates = Json::array();
  for (const CandidateResult& r : plan.results)
    candidates.push_back({{"name", r.candidate.name},
                          {"size", r.candidate.size},
                          {"scale", ScaleJson(r.candidate.scale)},
                          {"latency_us", r.latency_us},
                          {"mean_us", r.mean_us},
                          {"served_per_s", r.served_per_s},
                          {"saturated", r.saturated},
                          {"meets", r.meets}});
  const DeviceLoad& l = plan.load;
  return {{"objective",
           {{"quantile", plan.objective.quantile}, {"latency_us", plan.objective.latency_us}}},
          {"load",
           {{"requests_per_s", l.requests_per_s},
            {"read_fraction", l.read_fraction},
            {"read_bytes", l.read_bytes},
            {"write_bytes", l.write_bytes},
            {"sequential_fraction", l.sequential_fraction},
            {"working_set_bytes", l.working_set_bytes}}},
          {"candidates", std::move(candidates)},
          {"recommended", plan.recommended ? Json(plan.results[*plan.recommended].candidate.name)
                                           : Json()},
          {"statement", plan.statement}};
}

}  // namespace sfsg
