#include "fuse/fill_helper.h"

#include <pthread.h>

#include <chrono>

namespace sfsg {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace

FillHelper::FillHelper(uint32_t spin_us) : spin_us_(spin_us) {}

FillHelper::~FillHelper() {
  if (!started_.load(std::memory_order_acquire)) return;
  state_.store(kStop, std::memory_order_release);
  state_.notify_all();
  thread_.join();
}

void FillHelper::Split(void (*part)(void*, int), void* context) {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  const int64_t previous = last_split_ns_.exchange(now, std::memory_order_relaxed);
  int expected = kIdle;
  if (now - previous > int64_t{spin_us_} * 1000 ||  // a slow reader: not worth a wake-up
      !state_.compare_exchange_strong(expected, kClaimed, std::memory_order_acquire)) {
    part(context, 0);  // (or another split holds the helper)
    part(context, 1);
    return;
  }
  if (!started_.load(std::memory_order_relaxed)) {  // only a claimer gets here
    thread_ = std::thread(&FillHelper::Run, this);
    started_.store(true, std::memory_order_release);
  }
  part_ = part;
  context_ = context;
  state_.store(kPosted, std::memory_order_release);
  state_.notify_one();
  part(context, 0);
  expected = kPosted;
  if (state_.compare_exchange_strong(expected, kClaimed, std::memory_order_acq_rel)) {
    part(context, 1);  // the helper did not start in time (asleep): take it back
  } else {
    // Microseconds normally; if the helper lost its CPU mid-job, let it have one.
    for (uint32_t spins = 1; state_.load(std::memory_order_acquire) != kDone; ++spins) {
      CpuRelax();
      if (spins % 4096 == 0) std::this_thread::yield();
    }
  }
  state_.store(kIdle, std::memory_order_release);
}

void FillHelper::Run() {
  pthread_setname_np(pthread_self(), "sfsg-fill");
  using Clock = std::chrono::steady_clock;
  const auto spin = std::chrono::microseconds(spin_us_);
  auto spin_until = Clock::now() + spin;
  while (true) {
    int state = state_.load(std::memory_order_acquire);
    if (state == kStop) return;
    if (state == kPosted) {
      if (state_.compare_exchange_strong(state, kRunning, std::memory_order_acq_rel)) {
        part_(context_, 1);
        helped_.fetch_add(1, std::memory_order_relaxed);
        state_.store(kDone, std::memory_order_release);
        spin_until = Clock::now() + spin;
      }
      continue;
    }
    if (Clock::now() < spin_until) {
      CpuRelax();
      continue;
    }
    state_.wait(state, std::memory_order_acquire);  // until a split posts (or a stop)
    spin_until = Clock::now() + spin;
  }
}

}  // namespace sfsg
