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
//
// Why a helper at all (measured on a 2-vCPU VM, fio seq 1 MiB against sfsg-nullfs): the
// reply's writev takes 66-78 us in both filesystems and the shadow's fill 11-13 us per
// MiB more, and on this VM each microsecond a request spends in the daemon costs about
// two of throughput (the waiting vCPU halts; guest halt polling is off). Replacing the
// fill with a busy-wait of the same length gives the same ratio (a 1 us wait 0.95, an
// 8 us wait 0.90), so halving the fill's time on the critical path is what helps; the
// reader's CPU is idle meanwhile. Without the helper the ratio is 0.81-0.95.
//
// Tried and dropped before it:
//   - replying with an iovec that points each block's repetitions at its literal run and
//     zero blocks at the zero page (0.64-0.70: the kernel pins a page per segment);
//   - generating the next range ahead on the worker that just replied (0.71-0.73), or
//     on a helper thread (slower still);
//   - a LIFO pool of reply buffers, a transparent-huge-page buffer, `rep movsb` or
//     32-byte moves for the repeats (no gain);
//   - pointing dedup-pool and zero blocks at shared pages with page-aligned segments
//     (0.71-0.77 against 0.83-0.85: a segmented reply costs more than the writes it
//     saves).
// Kept from those: the AES generator (fill 36 -> 50-60 GB/s).
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
