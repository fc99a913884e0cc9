// ReplyTimer: one thread that sends FUSE replies at given times, so an emulated device's
// delays never hold a worker thread (64 outstanding 10 ms requests need no 64 threads;
// libfuse's low-level API lets any thread call fuse_reply_*).
//
// Schedule() may be called from any thread; O(log pending), one allocation per reply
// (the caller's PendingReply). The thread sleeps on a min-heap of due times with timer
// slack 1 ns, and learns how late it wakes (an exponential average of the measured
// oversleep) to wake that much earlier: the reply leaves at its due time, not a scheduler
// tick after it. Every `tick` it calls on_tick (for gauges), busy or idle.
// Stop() (or the destructor) sends every pending reply at once and joins the thread:
// call it after the session loop ended and before the session is destroyed.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sfsg {

// One deferred reply; Send() is called exactly once, on the timer thread (or in Stop).
class PendingReply {
 public:
  virtual ~PendingReply() = default;
  virtual void Send() = 0;
};

template <typename F>
class PendingReplyOf final : public PendingReply {
 public:
  explicit PendingReplyOf(F f) : f_(std::move(f)) {}
  void Send() override { f_(); }

 private:
  F f_;
};

// CLOCK_MONOTONIC (steady_clock) in nanoseconds: the time base of due times.
uint64_t SteadyNowNs();

class ReplyTimer {
 public:
  ReplyTimer(uint64_t tick_ns, std::function<void()> on_tick);
  ~ReplyTimer();
  ReplyTimer(const ReplyTimer&) = delete;
  ReplyTimer& operator=(const ReplyTimer&) = delete;

  void Schedule(uint64_t due_ns, std::unique_ptr<PendingReply> reply);
  void Stop();

  uint64_t pending() const;
  // How late the thread wakes on average, in ns (what it now wakes early by).
  uint64_t oversleep_ns() const;
  uint64_t sent() const;

 private:
  struct Entry {
    uint64_t due_ns;
    uint64_t sequence;  // FIFO among equal due times
    std::unique_ptr<PendingReply> reply;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.due_ns != b.due_ns ? a.due_ns > b.due_ns : a.sequence > b.sequence;
    }
  };
  void Run();

  const uint64_t tick_ns_;
  std::function<void()> on_tick_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Entry> heap_;
  uint64_t sequence_ = 0;
  uint64_t oversleep_ns_ = 0;
  uint64_t sent_ = 0;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after everything above is ready
};

}  // namespace sfsg
