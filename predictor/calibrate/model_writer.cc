#include "predictor/calibrate/model_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>

#include "generator/util/units.h"
#include "predictor/calibrate/parallelism_fit.h"
#include "predictor/usl.h"

namespace sfsg {

namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string IsoUtc(double unix_s) { return FormatUtc(unix_s, "%Y-%m-%dT%H:%M:%SZ"); }

// A measured distribution as the model's inverse CDF: quantile points with q strictly
// increasing and times made non-decreasing; a single point is a constant.
ServiceTime ToServiceTime(const MeasuredTime& m) {
  std::vector<double> q, us;
  for (const auto& [p, t] : m.quantiles_us) {
    if (!q.empty() && p <= q.back()) continue;
    q.push_back(p);
    us.push_back(us.empty() ? std::max(0.0, t) : std::max(us.back(), t));
  }
  if (q.size() < 2) return ServiceTime::Constant(q.empty() ? std::max(0.0, m.mean_us) : us[0]);
  return ServiceTime::Quantiles(std::move(q), std::move(us));
}

SizeCurve CurveOf(const std::vector<const OpClass*>& classes) {
  SizeCurve curve;
  std::vector<const OpClass*> sorted = classes;
  std::sort(sorted.begin(), sorted.end(),
            [](auto* a, auto* b) { return a->request_bytes < b->request_bytes; });
  for (const OpClass* c : sorted) {
    if (!curve.buckets.empty() && curve.buckets.back().size_bytes == c->request_bytes) continue;
    curve.buckets.push_back({c->request_bytes, ToServiceTime(c->service)});
  }
  return curve;
}

// The ladder the concurrency model comes from: 4 KiB random reads, else the read ladder
// with most points, else any with most points.
const ConcurrencyLadder* ConcurrencySource(const Calibration& cal) {
  const ConcurrencyLadder* best = nullptr;
  auto score = [](const ConcurrencyLadder& l) {
    return (l.op == "read" && l.request_bytes == 4096 && !l.sequential ? 1000 : 0) +
           (l.op == "read" ? 100 : 0) + static_cast<int>(l.points.size());
  };
  for (const ConcurrencyLadder& l : cal.ladders)
    if (l.points.size() >= 2 && (!best || score(l) > score(*best))) best = &l;
  return best;
}

Status FillData(const Calibration& cal, DeviceModel& model, std::vector<std::string>& notes) {
  std::map<std::pair<std::string, bool>, std::vector<const OpClass*>> by;
  for (const OpClass& c : cal.classes) by[{c.op, c.sequential}].push_back(&c);
  if (by.empty())
    return Error::BadInput(cal.target + ": the calibration measured no read or write");
  struct Slot {
    SizeCurve* curve;
    std::string op;
    bool sequential;
  };
  const Slot slots[] = {{&model.data.read_sequential, "read", true},
                        {&model.data.read_random, "read", false},
                        {&model.data.write_sequential, "write", true},
                        {&model.data.write_random, "write", false}};
  for (const Slot& s : slots) {
    // Nearest measured: same direction other pattern, then other direction same pattern,
    // then other direction other pattern.
    const std::string other = s.op == "read" ? "write" : "read";
    const std::pair<std::string, bool> order[] = {
        {s.op, s.sequential}, {s.op, !s.sequential}, {other, s.sequential}, {other, !s.sequential}};
    for (size_t k = 0; k < 4; ++k) {
      const auto it = by.find(order[k]);
      if (it == by.end()) continue;
      *s.curve = CurveOf(it->second);
      if (k > 0)
        notes.push_back(s.op + (s.sequential ? " sequential" : " random") +
                        " not measured: copied from " + order[k].first +
                        (order[k].second ? " sequential" : " random"));
      break;
    }
  }
  return Status::Ok();
}

void FillConcurrency(const Calibration& cal, DeviceModel& model, std::vector<std::string>& notes) {
  const ConcurrencyLadder* ladder = ConcurrencySource(cal);
  if (!ladder) {
    notes.push_back("no concurrency ladder: one server (the device's parallelism is not known)");
    return;
  }
  double max_n = 0;
  std::vector<UslPoint> points;
  for (const ConcurrencyPoint& p : ladder->points) {
    points.push_back({p.concurrency, p.ops_per_s});
    max_n = std::max(max_n, p.concurrency);
  }
  model.provenance.concurrency_max = static_cast<uint32_t>(std::ceil(max_n));
  double min_n = max_n;
  for (const ConcurrencyPoint& p : ladder->points) min_n = std::min(min_n, p.concurrency);
  model.provenance.concurrency_min = static_cast<uint32_t>(std::max(1.0, std::floor(min_n)));
  auto usl = FitUsl(points);
  if (usl.ok()) {
    model.concurrency.contention = usl->sigma;
    model.concurrency.coherency = usl->kappa;
    const bool peaked = usl->n_star && *usl->n_star < max_n;
    const double servers = peaked ? *usl->n_star : max_n;
    model.servers = static_cast<uint32_t>(std::max(1.0, std::round(servers)));
    notes.push_back("concurrency: USL fit of " + ladder->op + " " +
                    FormatBytes(static_cast<double>(ladder->request_bytes)) + " (sigma " +
                    Fixed(usl->sigma, 4) + ", kappa " + Fixed(usl->kappa, 6) + ", R^2 " +
                    (usl->r_squared ? Fixed(*usl->r_squared, 3) : std::string("n/a")) +
                    "); servers " + std::to_string(model.servers) +
                    (peaked ? " (the USL peak)" : " (the deepest level measured: a lower bound)"));
    return;
  }
  const std::string what = cal.target + ": " + ladder->op + " ladder";
  auto knee = FitParallelism(ladder->points, what);
  if (!knee.ok()) return;
  model.servers = static_cast<uint32_t>(std::max(1.0, std::round(knee->parallelism)));
  notes.push_back("concurrency: c-server knee (" + std::to_string(ladder->points.size()) +
                  " levels, too few for a USL fit); servers " + std::to_string(model.servers));
}

// A class measured at one request in flight faster than an IOPS ceiling the ladders found
// (a throttle) waited at that ceiling now and then: its distribution jumps from the
// device's times to the throttle's waits (e.g. 1 ms at q 0.99, 85 ms at q 0.995). The
// emulator already makes requests wait at the ceiling, so those waits are cut from the
// tail (clamped to the last time before a jump of 10x or more, above the median, to at
// least 10 gaps between requests at the ceiling) lest they be charged twice.
// Adds to `slices_us` the throttle's slice each clamped class shows: at one request in
// flight a slice's allowance passes at the device's pace, then the rest of the slice is
// a wait, so slice = longest wait / (1 - ceiling x median time).
void ClampCeilingWaits(SizeCurve& curve, double ops_cap, const std::string& what,
                       std::vector<std::string>& notes, std::vector<double>& slices_us) {
  constexpr double kJump = 10;
  if (ops_cap <= 0) return;
  for (SizeBucket& b : curve.buckets) {
    ServiceTime& t = b.service;
    if (t.kind != ServiceTime::Kind::kQuantiles) continue;
    const double median = t.TimeAtUs(0.5);
    if (median <= 0 || 1e6 / median <= ops_cap) continue;  // slower than the ceiling
    for (size_t i = 1; i < t.quantile_q.size(); ++i) {
      // A wait for the ceiling: a jump, to at least kJump gaps between requests at the ceiling.
      if (t.quantile_q[i] <= 0.5 || t.quantile_us[i] < kJump * t.quantile_us[i - 1] ||
          t.quantile_us[i] < kJump * 1e6 / ops_cap)
        continue;
      const double keep = t.quantile_us[i - 1];
      notes.push_back(what + " " + FormatBytes(static_cast<double>(b.size_bytes)) +
                      ": ran at one request in flight above the " + Fixed(ops_cap, 0) +
                      "/s ceiling; its waits above q " + Fixed(t.quantile_q[i - 1], 4) +
                      " (up to " + Fixed(t.quantile_us.back() / 1000, 1) +
                      " ms) left to the ceiling");
      const double busy = std::min(0.9, ops_cap * median / 1e6);
      slices_us.push_back(t.quantile_us.back() / (1 - busy));
      std::fill(t.quantile_us.begin() + static_cast<long>(i), t.quantile_us.end(), keep);
      break;
    }
  }
}

}  // namespace

Result<DeviceModel> ToDeviceModel(const Calibration& cal) {
  DeviceModel model;
  std::vector<std::string> notes = cal.notes;
  if (Status st = FillData(cal, model, notes); !st) return st.error();
  FillConcurrency(cal, model, notes);
  for (const MetaClass& m : cal.metadata) {
    if (m.service.samples == 0) continue;
    for (int k = 0; k < kMetadataOpCount; ++k)
      if (MetadataOpName(static_cast<MetadataOp>(k)) == m.op)
        model.metadata.ops[k] = ToServiceTime(m.service);
  }
  if (cal.mode == "active") {
    model.caps.read_bytes_per_s = cal.read_bytes_per_s_max;
    model.caps.write_bytes_per_s = cal.write_bytes_per_s_max;
    // An IOPS ceiling only where the 4 KiB ladder flattened (a throttle, a saturated
    // queue); an unsaturated ladder's best is no ceiling.
    if (cal.read_parallelism && !cal.read_parallelism->lower_bound)
      model.caps.read_ops_per_s = cal.read_ops_per_s_max;
    if (cal.write_parallelism && !cal.write_parallelism->lower_bound)
      model.caps.write_ops_per_s = cal.write_ops_per_s_max;
    std::vector<double> slices_us;
    ClampCeilingWaits(model.data.read_random, model.caps.read_ops_per_s, "read random", notes,
                      slices_us);
    ClampCeilingWaits(model.data.read_sequential, model.caps.read_ops_per_s, "read sequential",
                      notes, slices_us);
    ClampCeilingWaits(model.data.write_random, model.caps.write_ops_per_s, "write random", notes,
                      slices_us);
    ClampCeilingWaits(model.data.write_sequential, model.caps.write_ops_per_s, "write sequential",
                      notes, slices_us);
    if (!slices_us.empty()) {  // a throttle: its ceilings admit in slices (DeviceCaps)
      // The median over the classes: one class's longest wait may span two slices.
      std::sort(slices_us.begin(), slices_us.end());
      const size_t n = slices_us.size();
      const double median = (slices_us[(n - 1) / 2] + slices_us[n / 2]) / 2;
      model.caps.slice_s = std::clamp(median / 1e6, 0.001, 1.0);
      notes.push_back("ceilings: admitted in slices of " + Fixed(model.caps.slice_s * 1e3, 0) +
                      " ms, as a throttle's (from the longest wait at a ceiling at one request "
                      "in flight, the median over " +
                      std::to_string(n) + " classes)");
    }
    if (cal.cache.cached_read && cal.cache.mem_available_bytes > 0) {
      model.cache.size_bytes = cal.cache.mem_available_bytes;
      model.cache.read_hit.buckets.push_back({4096, ToServiceTime(*cal.cache.cached_read)});
      if (cal.cache.cached_read_large)
        model.cache.read_hit.buckets.push_back(
            {kLargeCacheRequestBytes, ToServiceTime(*cal.cache.cached_read_large)});
      if (cal.cache.inodes) {
        const InodeFit& f = *cal.cache.inodes;
        model.cache.inodes_per_miss = f.inodes_per_miss;
        model.cache.inode_reads_per_miss = f.reads_per_miss;
        model.cache.inode_ios_per_miss = f.ios_per_miss;
        notes.push_back("inode records: " + std::to_string(f.misses) + " of " +
                        std::to_string(f.probes) + " stats after a cache drop read the device, " +
                        Fixed(f.reads_per_miss, 1) + " requests (" + Fixed(f.ios_per_miss, 1) +
                        " bios) each; one miss caches " + std::to_string(f.inodes_per_miss) +
                        " inode numbers (" + std::to_string(f.mismatches) +
                        " probes predicted wrongly)");
      }
      for (const auto& [bytes, cost] : cal.cache.read_miss)
        if (cost.samples > 0) model.cache.read_miss.buckets.push_back({bytes, ToServiceTime(cost)});
      if (cal.cache.cached_write && cal.cache.dirty_limit_bytes > 0) {
        model.cache.write_hit.buckets.push_back({4096, ToServiceTime(*cal.cache.cached_write)});
        if (cal.cache.cached_write_large)
          model.cache.write_hit.buckets.push_back(
              {kLargeCacheRequestBytes, ToServiceTime(*cal.cache.cached_write_large)});
        model.cache.dirty_limit_bytes = cal.cache.dirty_limit_bytes;
      }
    }
  } else {
    notes.push_back(cal.mode + ": no bandwidth ceilings and no page cache in this model");
  }
  DeviceProvenance& p = model.provenance;
  p.mode = cal.mode;
  p.created_utc = cal.created_unix > 0 ? IsoUtc(cal.created_unix) : "";
  p.tool = "sfsg-calibrate";
  p.target_path = cal.target;
  p.filesystem_type = cal.filesystem;
  p.device = cal.device;
  p.ops_per_s_max =
      std::max({cal.read_ops_per_s_max, cal.write_ops_per_s_max, cal.observed_ops_per_s_max});
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const OpClass& c : cal.classes) {
    lo = std::min(lo, c.request_bytes);
    hi = std::max(hi, c.request_bytes);
  }
  p.request_bytes_min = lo == UINT64_MAX ? 0 : lo;
  p.request_bytes_max = hi;
  for (const std::string& n : notes) p.notes += (p.notes.empty() ? "" : "; ") + n;
  model.name = cal.mode + " " + (cal.filesystem.empty() ? "" : cal.filesystem + " ") + cal.target +
               (p.created_utc.empty() ? "" : " " + p.created_utc.substr(0, 10));
  if (Status st = ValidateDeviceModel(model, cal.target + " (calibrated model)"); !st)
    return Error::Internal(st.error().message);
  return model;
}

std::string CalibrationSummary(const Calibration& cal, const DeviceModel& model) {
  std::ostringstream out;
  out << "measured: mode " << cal.mode << ", " << Fixed(cal.duration_s, 1) << " s"
      << (cal.mode == "active" ? (cal.direct_io ? ", O_DIRECT" : ", buffered (no O_DIRECT)") : "")
      << "\n";
  for (const OpClass& c : cal.classes)
    out << "  " << c.op << " " << FormatBytes(static_cast<double>(c.request_bytes))
        << (c.sequential ? " seq " : " rand") << "  p50 " << Fixed(c.service.QuantileUs(0.5), 1)
        << " us  p99 " << Fixed(c.service.QuantileUs(0.99), 1) << " us  " << Fixed(c.ops_per_s, 0)
        << " ops/s\n";
  for (const MetaClass& m : cal.metadata)
    out << "  " << m.op << "  p50 " << Fixed(m.service.QuantileUs(0.5), 1) << " us  p99 "
        << Fixed(m.service.QuantileUs(0.99), 1) << " us\n";
  for (const ConcurrencyLadder& l : cal.ladders) {
    out << "  ladder " << l.op << " " << FormatBytes(static_cast<double>(l.request_bytes)) << ":";
    for (const ConcurrencyPoint& pt : l.points)
      out << " " << Fixed(pt.concurrency, pt.concurrency < 10 ? 1 : 0) << "->"
          << Fixed(pt.ops_per_s, 0);
    out << " ops/s\n";
  }
  out << ModelSummary(model);

  return out.str();
}

std::string ModelSummary(const DeviceModel& model) {
  std::ostringstream out;
  const DeviceProvenance& p = model.provenance;
  out << "device model: " << model.name << "\n";
  out << "  mode " << p.mode << ", created " << (p.created_utc.empty() ? "?" : p.created_utc)
      << ", target " << p.target_path
      << (p.filesystem_type.empty() ? "" : " (" + p.filesystem_type + " on " + p.device + ")")
      << "\n";
  out << "  servers " << model.servers << ", contention " << Fixed(model.concurrency.contention, 4)
      << ", coherency " << Fixed(model.concurrency.coherency, 6) << "; covers concurrency "
      << p.concurrency_min << ".." << p.concurrency_max << "\n";
  out << "  4 KiB random read mean " << Fixed(model.data.read_random.TimeAtUs(4096, 0.5), 1)
      << " us (median), write " << Fixed(model.data.write_random.TimeAtUs(4096, 0.5), 1) << " us\n";
  if (model.caps.read_bytes_per_s > 0 || model.caps.write_bytes_per_s > 0)
    out << "  ceilings: read " << FormatBytes(model.caps.read_bytes_per_s) << "/s, write "
        << FormatBytes(model.caps.write_bytes_per_s) << "/s\n";
  if (model.cache.size_bytes > 0)
    out << "  page cache " << FormatBytes(static_cast<double>(model.cache.size_bytes)) << ", hit "
        << Fixed(model.cache.read_hit.TimeAtUs(4096, 0.5), 1) << " us"
        << (model.cache.read_miss.buckets.empty()
                ? std::string()
                : ", a miss costs the device's time + " +
                      Fixed(model.cache.read_miss.TimeAtUs(64 << 10, 0.5), 1) +
                      " us at 64 KiB (median)")
        << (model.cache.inodes_per_miss == 0
                ? std::string()
                : "; an uncached inode record costs " + Fixed(model.cache.inode_reads_per_miss, 1) +
                      " reads (" + Fixed(model.cache.inode_ios_per_miss, 1) + " bios) and brings " +
                      std::to_string(model.cache.inodes_per_miss) + " inodes in")
        << "\n";
  const DeviceValidation& v = model.validation;
  if (v.throughput_error || v.p99_error || v.usl_peak_error) {
    auto pct = [](const std::optional<double>& e) {
      return e ? Fixed(*e * 100, 1) + "%" : std::string("-");
    };
    out << "  validated " << v.validated_utc << ": throughput within " << pct(v.throughput_error)
        << ", p99 within " << pct(v.p99_error) << ", USL peak within " << pct(v.usl_peak_error)
        << " (" << v.workloads << ")\n";
  } else {
    out << "  not validated (scripts/bench-device measures a model against its target)\n";
  }
  if (!p.notes.empty()) out << "  notes: " << p.notes << "\n";
  return out.str();
}

}  // namespace sfsg
