// Worker: one replayer thread's state and its operations, each a real system call
// sequence against the target (read = open + pread + close unless descriptors are kept
// open, stat = fstatat, readdir = opendir + readdir to the end + closedir, ...).
//
// Reads go to the FileSet (Zipf-popular files of the target); writes, creates and
// unlinks go only to the worker's own folder inside the ScratchDir, so nothing outside
// the scratch directory is ever modified. Latency is measured from an intended start
// time (open loop: the schedule's send time, so queueing counts; closed loop: now).
//
// A Worker belongs to one thread at a time; its tally is read after the thread joins.
// The only state shared between workers is the read-only WorkerContext.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "generator/replay/file_set.h"
#include "generator/replay/zipf.h"
#include "generator/util/hash.h"
#include "generator/util/log_histogram.h"
#include "generator/workload.h"

namespace sfsg {

enum class OpKind : uint8_t { kRead, kWrite, kCreate, kUnlink, kStat, kReaddir };
inline constexpr int kOpKinds = 6;
const char* OpName(OpKind kind);

// What one worker measured in one step. Latencies in nanoseconds.
struct OpTally {
  std::array<LogHistogram, kOpKinds> latency_ns;
  std::array<uint64_t, kOpKinds> errors{};
  std::array<uint64_t, kOpKinds> bytes{};
  LogHistogram missed_ns;  // open loop: sends the schedule never made (lower bounds)
  void Merge(const OpTally& other);
};

// Shared, read-only inputs of every worker of a run. Pointers must outlive the workers.
struct WorkerContext {
  int target_fd = -1;                   // O_DIRECTORY fd of the target
  const FileSet* files = nullptr;       // what reads, stats and readdirs pick from
  const ZipfSampler* zipf = nullptr;    // over [1, files->count()]
  const ScratchDir* scratch = nullptr;  // null: the workload never modifies anything
  std::array<double, kOpKinds> mix_cdf{};
  std::vector<std::pair<uint64_t, double>> read_size_cdf, write_size_cdf;
  double sequential_fraction = 0;
  uint32_t keep_open = 0;                 // descriptors kept open per worker (0: open per op)
  uint64_t scratch_file_bytes = 8 << 20;  // extent of each write file
  uint32_t scratch_files = 2;             // write files per worker

  // Fills the CDFs from a workload. Errors (kUsage): nothing to do in the mix.
  Status SetWorkload(const Workload& w);
  uint64_t max_request_bytes() const;
  bool modifies() const;  // the mix writes, creates or unlinks
};

// Each worker's hot fields sit on cache lines of their own (a worker is written by one
// thread per operation; sharing a line with its neighbour would bounce it between cores).
class alignas(64) Worker {
 public:
  // Creates the worker's scratch folder when the context has a scratch directory.
  static Result<std::unique_ptr<Worker>> Create(const WorkerContext& ctx, uint32_t id);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts a new random stream and an empty tally (between steps).
  void Reset(uint64_t stream_key);
  OpKind Draw();
  // Performs one operation of `kind`. Latency runs from intended_ns (0: from the real
  // start) to completion, and is recorded only if `record`. Returns completion time.
  uint64_t Execute(OpKind kind, uint64_t intended_ns, bool record);
  // Records an open-loop send that never happened (the step ran out of time).
  void RecordMissed(uint64_t lower_bound_ns) { tally_.missed_ns.Add(lower_bound_ns); }

  const OpTally& tally() const { return tally_; }
  uint64_t done() const { return done_.load(std::memory_order_relaxed); }

 private:
  Worker(const WorkerContext& ctx, uint32_t id, int dir_fd);
  int64_t Read();
  int64_t Write();
  int64_t CreateFile();
  int64_t Unlink();
  int64_t Stat();
  int64_t Readdir();
  int OpenRanked(uint64_t rank, uint64_t* size_bytes);
  void ReleaseRanked(int fd);
  uint64_t DrawSize(const std::vector<std::pair<uint64_t, double>>& cdf);
  uint64_t DrawOffset(uint64_t extent, uint64_t size);

  struct CachedFd {
    uint64_t rank = 0;
    int fd = -1;
    uint64_t size_bytes = 0;
    uint64_t last_use = 0;
  };
  struct Cursor {  // where a sequential continuation goes next
    uint64_t key = 0;
    uint64_t offset = 0;
    bool valid = false;
  };

  const WorkerContext& ctx_;
  const int dir_fd_;  // the worker's scratch folder, -1 without scratch
  SplitMixStream rng_{0};
  OpTally tally_;
  alignas(64) std::atomic<uint64_t> done_{0};
  std::unique_ptr<char, void (*)(void*)> buffer_;
  std::vector<CachedFd> cache_;
  std::vector<int> write_fds_;
  uint64_t use_clock_ = 0;
  Cursor read_cursor_, write_cursor_;
  std::deque<std::string> created_;
  uint64_t created_count_ = 0;
};

}  // namespace sfsg
