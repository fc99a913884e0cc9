// Metrics: what the filesystem measures about itself, served as /.sfsg/metrics.
//
// Per operation: a count, an error count and a latency histogram (log-linear, in ns,
// measured from the request's arrival to the reply). Plus bytes served and written.
// Record() is lock-free (relaxed atomics) and allocation-free: safe on the data path.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "generator/util/log_histogram.h"

namespace sfsg {

enum class Op : int {
  kLookup,
  kGetattr,
  kSetattr,
  kReadlink,
  kMkdir,
  kUnlink,
  kRmdir,
  kSymlink,
  kRename,
  kLink,
  kOpen,
  kRead,
  kWrite,
  kRelease,
  kFsync,
  kReaddir,
  kCreate,
  kStatfs,
  kFallocate,
  kMknod,
  kOther,
  kCount
};

const char* OpName(Op op);

class Metrics {
 public:
  void Record(Op op, uint64_t latency_ns, bool error) {
    PerOp& p = ops_[static_cast<int>(op)];
    p.count.fetch_add(1, std::memory_order_relaxed);
    if (error) p.errors.fetch_add(1, std::memory_order_relaxed);
    p.latency_ns.Add(latency_ns);
  }
  void AddBytesRead(uint64_t n) { bytes_read_.fetch_add(n, std::memory_order_relaxed); }
  void AddBytesWritten(uint64_t n) { bytes_written_.fetch_add(n, std::memory_order_relaxed); }

  uint64_t count(Op op) const {
    return ops_[static_cast<int>(op)].count.load(std::memory_order_relaxed);
  }
  uint64_t bytes_read() const { return bytes_read_.load(std::memory_order_relaxed); }
  uint64_t bytes_written() const { return bytes_written_.load(std::memory_order_relaxed); }

  // Prometheus text exposition format (version 0.0.4).
  std::string PrometheusText() const;

 private:
  struct PerOp {
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> errors{0};
    AtomicLogHistogram latency_ns;
  };
  std::array<PerOp, static_cast<int>(Op::kCount)> ops_;
  std::atomic<uint64_t> bytes_read_{0};
  std::atomic<uint64_t> bytes_written_{0};
};

}  // namespace sfsg
