#include "fuse/fill_helper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace sfsg {
namespace {

struct Parts {
  std::atomic<int> runs[2] = {0, 0};
  std::thread::id second_on;
};

// A half takes 20 us, like half a 1 MiB fill.
void Record(void* context, int half) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
  while (std::chrono::steady_clock::now() < until) {
  }
  auto& parts = *static_cast<Parts*>(context);
  parts.runs[half].fetch_add(1);
  if (half == 1) parts.second_on = std::this_thread::get_id();
}

// Every split runs each half exactly once, from several callers at once, whether the
// helper takes the second half, is busy, or is asleep and the caller takes it back.
TEST(FillHelper, EachHalfRunsOnceFromEveryCaller) {
  FillHelper helper;
  std::atomic<int> bad{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        Parts parts;
        helper.Split(Record, &parts);
        if (parts.runs[0].load() != 1 || parts.runs[1].load() != 1) ++bad;
      }
    });
  for (auto& c : callers) c.join();
  EXPECT_EQ(bad.load(), 0);
}

// Back-to-back splits (a fast stream) get the helper's hands; it is another thread.
TEST(FillHelper, AFastStreamIsHelped) {
  FillHelper helper;
  int elsewhere = 0;
  for (int i = 0; i < 5000 && elsewhere == 0; ++i) {
    Parts parts;
    helper.Split(Record, &parts);
    elsewhere += parts.second_on != std::this_thread::get_id();
  }
  EXPECT_GT(elsewhere, 0);
  EXPECT_GT(helper.helped(), 0u);
}

// Splits further apart than the spin window never wake the helper.
TEST(FillHelper, SlowCallersDoBothHalvesThemselves) {
  FillHelper helper(/*spin_us=*/50);
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    Parts parts;
    helper.Split(Record, &parts);
    EXPECT_EQ(parts.second_on, std::this_thread::get_id());
  }
  EXPECT_EQ(helper.helped(), 0u);
}

}  // namespace
}  // namespace sfsg
