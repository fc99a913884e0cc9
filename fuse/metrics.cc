#include "fuse/metrics.h"

#include <cstdio>

namespace sfsg {

const char* OpName(Op op) {
  static const char* kNames[] = {"lookup",    "getattr", "setattr", "readlink", "mkdir",  "unlink",
                                 "rmdir",     "symlink", "rename",  "link",     "open",   "read",
                                 "write",     "release", "fsync",   "readdir",  "create", "statfs",
                                 "fallocate", "mknod",   "other"};
  return kNames[static_cast<int>(op)];
}

std::string Metrics::PrometheusText() const {
  // Bucket bounds in seconds: 1-2-5 steps from 1 us to 10 s.
  static const double kBounds[] = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3,
                                   5e-3, 1e-2, 2e-2, 5e-2, 0.1,  0.2,  0.5,  1,    2,    5,    10};
  std::string out;
  char line[256];
  out += "# HELP sfsg_operations_total FUSE operations served, by operation.\n";
  out += "# TYPE sfsg_operations_total counter\n";
  for (int i = 0; i < static_cast<int>(Op::kCount); ++i) {
    std::snprintf(line, sizeof(line), "sfsg_operations_total{op=\"%s\"} %llu\n",
                  OpName(static_cast<Op>(i)),
                  static_cast<unsigned long long>(ops_[i].count.load(std::memory_order_relaxed)));
    out += line;
  }
  out += "# HELP sfsg_operation_errors_total Operations answered with an error.\n";
  out += "# TYPE sfsg_operation_errors_total counter\n";
  for (int i = 0; i < static_cast<int>(Op::kCount); ++i) {
    std::snprintf(line, sizeof(line), "sfsg_operation_errors_total{op=\"%s\"} %llu\n",
                  OpName(static_cast<Op>(i)),
                  static_cast<unsigned long long>(ops_[i].errors.load(std::memory_order_relaxed)));
    out += line;
  }
  out +=
      "# HELP sfsg_operation_latency_seconds Time from request to reply inside the filesystem.\n";
  out += "# TYPE sfsg_operation_latency_seconds histogram\n";
  for (int i = 0; i < static_cast<int>(Op::kCount); ++i) {
    const LogHistogram h = ops_[i].latency_ns.Snapshot();
    if (h.count() == 0) continue;
    const char* name = OpName(static_cast<Op>(i));
    uint64_t cumulative = 0;
    int bucket = 0;
    for (double bound : kBounds) {
      const uint64_t limit_ns = static_cast<uint64_t>(bound * 1e9);
      while (bucket < LogBuckets::kCount && LogBuckets::High(bucket) <= limit_ns + 1)
        cumulative += h.counts()[bucket++];
      std::snprintf(line, sizeof(line),
                    "sfsg_operation_latency_seconds_bucket{op=\"%s\",le=\"%g\"} %llu\n", name,
                    bound, static_cast<unsigned long long>(cumulative));
      out += line;
    }
    std::snprintf(line, sizeof(line),
                  "sfsg_operation_latency_seconds_bucket{op=\"%s\",le=\"+Inf\"} %llu\n"
                  "sfsg_operation_latency_seconds_sum{op=\"%s\"} %.9f\n"
                  "sfsg_operation_latency_seconds_count{op=\"%s\"} %llu\n",
                  name, static_cast<unsigned long long>(h.count()), name, h.sum() / 1e9, name,
                  static_cast<unsigned long long>(h.count()));
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "# HELP sfsg_read_bytes_total Bytes returned to readers.\n"
                "# TYPE sfsg_read_bytes_total counter\nsfsg_read_bytes_total %llu\n"
                "# HELP sfsg_written_bytes_total Bytes accepted from writers.\n"
                "# TYPE sfsg_written_bytes_total counter\nsfsg_written_bytes_total %llu\n",
                static_cast<unsigned long long>(bytes_read()),
                static_cast<unsigned long long>(bytes_written()));
  out += line;
  return out;
}

}  // namespace sfsg
