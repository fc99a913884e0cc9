// DeviceGate's due times: the model's time from arrival, less the request-path floor.
// Computed, never slept on: no timed assertion.
#include "fuse/device_gate.h"

#include <gtest/gtest.h>

namespace sfsg {
namespace {

DeviceModel OneMillisecond() {
  SizeCurve c;
  c.buckets.push_back({4096, ServiceTime::Constant(1000)});
  DeviceModel m;
  m.data.read_sequential = m.data.read_random = m.data.write_sequential = m.data.write_random = c;
  return m;
}

// How long after its arrival a lone 4 KiB read is due, in ns (negative: before it).
int64_t DueAfterArrival(uint64_t floor_ns) {
  DeviceGate gate(OneMillisecond(), 1, nullptr, floor_ns);
  const uint64_t arrival = SteadyNowNs();
  const uint64_t due = gate.DueNs(arrival, DataIo(false, 7, 0, 4096, 0));
  gate.Stop();
  return static_cast<int64_t>(due) - static_cast<int64_t>(arrival);
}

TEST(DeviceGate, DueAtTheModelsTimeWithoutAFloor) {
  EXPECT_NEAR(DueAfterArrival(0), 1'000'000, 2'000);
}

TEST(DeviceGate, TheFloorIsSubtractedFromTheModelsTime) {
  EXPECT_NEAR(DueAfterArrival(300'000), 700'000, 2'000);
}

TEST(DeviceGate, AModelFasterThanTheFloorIsDueAtOnce) {
  EXPECT_LE(DueAfterArrival(5'000'000), 0);
}

}  // namespace
}  // namespace sfsg
