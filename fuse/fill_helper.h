// A second pair of hands for large reads.
//
// A sequential reader (fio with psync, cp, tar) waits for each reply, so the time the
// daemon spends generating a 1 MiB reply is on its critical path, and on the other CPU
// the reader sleeps. FillHelper runs the second half of such a fill on a helper thread
// while the worker does the first. The helper spins for a short window after each job,
// as the next request of a stream comes within a few hundred microseconds (waking a
// sleeping thread costs tens of microseconds on a VM whose idle CPUs halt), and sleeps
// otherwise: idle, it costs nothing. A split that comes longer than that window after
// the previous one (a slow reader) runs here without waking the helper, and the worker
// never waits for a helper that has not started: it takes the half back. The price is
// CPU: while a fast stream of large reads lasts, the helper keeps one CPU busy.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace sfsg {

class FillHelper {
 public:
  // The helper spins this long after a job before it sleeps.
  explicit FillHelper(uint32_t spin_us = 300);
  ~FillHelper();
  FillHelper(const FillHelper&) = delete;
  FillHelper& operator=(const FillHelper&) = delete;

  // Calls part(context, 0) on this thread and part(context, 1) on the helper if it is
  // free (here otherwise); returns when both are done. The two parts must be
  // independent. Thread-safe; one split at a time, others run both parts here.
  void Split(void (*part)(void* context, int half), void* context);

  uint64_t helped() const { return helped_.load(std::memory_order_relaxed); }

 private:
  enum State : int { kIdle, kClaimed, kPosted, kRunning, kDone, kStop };
  void Run();

  const uint32_t spin_us_;
  std::atomic<int> state_{kIdle};
  void (*part_)(void*, int) = nullptr;
  void* context_ = nullptr;
  std::atomic<uint64_t> helped_{0};
  std::atomic<int64_t> last_split_ns_{0};
  std::thread thread_;  // started at the first split
  std::atomic<bool> started_{false};
};

}  // namespace sfsg
