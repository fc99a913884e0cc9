#include "fuse/device_timer.h"

#include <sys/prctl.h>

#include <algorithm>
#include <chrono>

namespace sfsg {

uint64_t SteadyNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

namespace {
// The most the thread wakes early by: beyond it the scheduler is not late, it is busy.
constexpr uint64_t kMaxEarlyNs = 200'000;
}  // namespace

ReplyTimer::ReplyTimer(uint64_t tick_ns, std::function<void()> on_tick)
    : tick_ns_(tick_ns), on_tick_(std::move(on_tick)), thread_([this] { Run(); }) {}

ReplyTimer::~ReplyTimer() { Stop(); }

void ReplyTimer::Schedule(uint64_t due_ns, std::unique_ptr<PendingReply> reply) {
  bool earliest;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      // After Stop: nothing would send it later, so send it now (outside the lock).
      earliest = false;
    } else {
      heap_.push_back({due_ns, sequence_++, std::move(reply)});
      std::push_heap(heap_.begin(), heap_.end(), Later());
      earliest = heap_.front().sequence == sequence_ - 1;
    }
  }
  if (reply) return reply->Send();
  if (earliest) wake_.notify_one();
}

void ReplyTimer::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

uint64_t ReplyTimer::pending() const {
  std::lock_guard lock(mutex_);
  return heap_.size();
}

uint64_t ReplyTimer::oversleep_ns() const {
  std::lock_guard lock(mutex_);
  return oversleep_ns_;
}

uint64_t ReplyTimer::sent() const {
  std::lock_guard lock(mutex_);
  return sent_;
}

void ReplyTimer::Run() {
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // wake when asked, not up to 50 us later
  std::vector<std::unique_ptr<PendingReply>> due;
  uint64_t next_tick = SteadyNowNs();  // a first tick at once: gauges from the start
  std::unique_lock lock(mutex_);
  while (true) {
    const uint64_t now = SteadyNowNs();
    while (!heap_.empty() && (stopping_ || heap_.front().due_ns <= now + oversleep_ns_)) {
      std::pop_heap(heap_.begin(), heap_.end(), Later());
      due.push_back(std::move(heap_.back().reply));
      heap_.pop_back();
    }
    if (!due.empty()) {
      sent_ += due.size();
      lock.unlock();
      for (auto& reply : due) reply->Send();
      due.clear();
      lock.lock();
      continue;
    }
    if (stopping_) break;
    if (now >= next_tick) {
      lock.unlock();
      if (on_tick_) on_tick_();
      lock.lock();
      next_tick = now + tick_ns_;
      continue;
    }
    uint64_t target = next_tick;
    if (!heap_.empty()) target = std::min(target, heap_.front().due_ns - oversleep_ns_);
    const auto deadline = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(target));
    if (wake_.wait_until(lock, deadline) == std::cv_status::timeout && !heap_.empty() &&
        target != next_tick) {
      // Learn the oversleep from timed wake-ups only (a notify is not late): how long
      // after the asked time the thread ran is how early it asks next time.
      const uint64_t woke = SteadyNowNs();
      const uint64_t sample = std::min(woke > target ? woke - target : 0, kMaxEarlyNs);
      oversleep_ns_ = (oversleep_ns_ * 7 + sample) / 8;
    }
  }
  lock.unlock();
  if (on_tick_) on_tick_();
}

}  // namespace sfsg
