#include "predictor/calibrate/passive.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>

#include "predictor/calibrate/parallelism_fit.h"

namespace sfsg {

namespace {

// Below this mean queue a request barely waited: its time is the device's service time.
constexpr double kUnqueuedDepth = 1.5;

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

}  // namespace

Result<Calibration> FitPassive(const UsageTable& table) {
  const std::string& src = table.source;
  std::map<std::string, const std::vector<double>*> col;
  for (const char* name : kDiskstatsColumns) {
    const auto it = table.columns.find(name);
    if (it == table.columns.end())
      return Error::BadInput(src + ": no column '" + name +
                             "' (a passive calibration needs the diskstats counters read_ops, "
                             "write_ops, read_bytes, write_bytes, read_time_ms, write_time_ms, "
                             "io_time_ms, io_weighted_ms, as sfsg-meter writes them)");
    col[name] = &it->second;
  }
  const size_t n = table.time_s.size();
  for (const auto& [name, values] : col) {
    for (size_t i = 0; i < n; ++i) {
      const double v = (*values)[i];
      if (std::isfinite(v) && v < 0)
        return Error::BadInput(src + ": line " + std::to_string(i + 2) + ", column " + name + ": " +
                               Fixed(v, 3) + " is negative (a cumulative counter)");
    }
  }

  Calibration out;
  out.mode = "passive";
  out.target = src;
  out.created_unix = static_cast<double>(std::time(nullptr));
  LogHistogram read_ns, write_ns;
  ConcurrencyLadder ladder{"mixed", 0, false, {}};
  double read_ops = 0, write_ops = 0, read_bytes = 0, write_bytes = 0;
  double read_x_max = 0, write_x_max = 0;
  size_t resets = 0, busy = 0;
  double first_t = 0, last_t = 0;
  out.observed_queue_min = INFINITY;
  for (size_t i = 1; i < n; ++i) {
    const double dt = table.time_s[i] - table.time_s[i - 1];
    if (!(dt > 0)) continue;
    std::map<std::string, double> d;
    bool usable = true, reset = false;
    for (const auto& [name, values] : col) {
      const double a = (*values)[i - 1], b = (*values)[i];
      if (!std::isfinite(a) || !std::isfinite(b))
        usable = false;
      else if (b < a)
        reset = true;
      d[name] = b - a;
    }
    if (reset) ++resets;
    if (!usable || reset) continue;
    const double ops = d["read_ops"] + d["write_ops"];
    if (ops <= 0) continue;
    ++busy;
    if (busy == 1) first_t = table.time_s[i - 1];
    last_t = table.time_s[i];
    const double x = ops / dt;
    const double queue = d["io_weighted_ms"] / 1e3 / dt;
    const double r_ms = (d["read_time_ms"] + d["write_time_ms"]) / ops;
    read_ops += d["read_ops"];
    write_ops += d["write_ops"];
    read_bytes += d["read_bytes"];
    write_bytes += d["write_bytes"];
    read_x_max = std::max(read_x_max, d["read_ops"] / dt);
    write_x_max = std::max(write_x_max, d["write_ops"] / dt);
    out.read_bytes_per_s_max = std::max(out.read_bytes_per_s_max, d["read_bytes"] / dt);
    out.write_bytes_per_s_max = std::max(out.write_bytes_per_s_max, d["write_bytes"] / dt);
    out.observed_ops_per_s_max = std::max(out.observed_ops_per_s_max, x);
    if (queue > 0) {
      ladder.points.push_back({queue, x, r_ms * 1e3, 0});
      out.observed_queue_min = std::min(out.observed_queue_min, queue);
      out.observed_queue_max = std::max(out.observed_queue_max, queue);
    }
    if (queue < kUnqueuedDepth) {
      if (d["read_ops"] > 0)
        read_ns.Add(static_cast<uint64_t>(std::llround(d["read_time_ms"] / d["read_ops"] * 1e6)),
                    static_cast<uint64_t>(std::llround(d["read_ops"])));
      if (d["write_ops"] > 0)
        write_ns.Add(static_cast<uint64_t>(std::llround(d["write_time_ms"] / d["write_ops"] * 1e6)),
                     static_cast<uint64_t>(std::llround(d["write_ops"])));
    }
  }
  if (busy < 3)
    return Error::BadInput(src + ": " + std::to_string(busy) +
                           " interval(s) with I/O in the counters read_ops/write_ops; a passive "
                           "fit needs at least 3");
  if (ladder.points.size() < 2)
    return Error::BadInput(src +
                           ": column io_weighted_ms never grows while I/O happens; the "
                           "queue depth cannot be measured");
  if (!std::isfinite(out.observed_queue_min)) out.observed_queue_min = 0;
  out.duration_s = last_t - first_t;
  out.read_fraction = read_ops / (read_ops + write_ops);
  out.read_ops_per_s_max = read_x_max;
  out.write_ops_per_s_max = write_x_max;
  auto fit = FitParallelism(ladder.points, src + ": io_weighted_ms against read_ops+write_ops");
  if (!fit) return fit.error();
  out.read_parallelism = *fit;
  out.write_parallelism = *fit;
  out.ladders.push_back(ladder);
  // With no unqueued interval, the fitted S (the c-server model's) stands in.
  const auto service_of = [&](const LogHistogram& ns) {
    if (ns.count() > 0) return MeasuredTimeFromNs(ns);
    return MeasuredTime{0, fit->service_time_us, {{0.5, fit->service_time_us}}};
  };
  if (read_ops > 0) {
    OpClass c{"read",     static_cast<uint64_t>(std::llround(read_bytes / read_ops)),
              false,      service_of(read_ns),
              read_x_max, out.read_bytes_per_s_max};
    out.classes.push_back(c);
  }
  if (write_ops > 0) {
    OpClass c{"write",     static_cast<uint64_t>(std::llround(write_bytes / write_ops)),
              false,       service_of(write_ns),
              write_x_max, out.write_bytes_per_s_max};
    out.classes.push_back(c);
  }
  out.notes.push_back("passive: fitted from " + std::to_string(busy) +
                      " metered intervals with I/O; the model "
                      "covers only the observed load (mean queue " +
                      Fixed(out.observed_queue_min, 2) + " to " + Fixed(out.observed_queue_max, 2) +
                      ", at most " + Fixed(out.observed_ops_per_s_max, 0) + " requests/s)");
  out.notes.push_back(
      "passive: service-time spread is that of interval means (diskstats keep no per-request "
      "times); request sizes are means; sequential and random are not told apart");
  out.notes.push_back(
      "passive: one parallelism for reads and writes (diskstats count one queue); no page-cache "
      "figures (diskstats see only what the cache let through); no metadata operations");
  if (fit->lower_bound)
    out.notes.push_back("passive: the queue never saturated the device (deepest mean queue " +
                        Fixed(out.observed_queue_max, 2) +
                        "): parallelism is a lower bound and the peak is not known");
  if (read_ns.count() == 0 && write_ns.count() == 0)
    out.notes.push_back(
        "passive: no interval with a mean queue below 1.5: the service "
        "times are the fitted mean S of the c-server model");
  if (resets > 0)
    out.notes.push_back("passive: " + std::to_string(resets) +
                        " counter reset(s) skipped (a reboot or a device change)");
  return out;
}

}  // namespace sfsg
