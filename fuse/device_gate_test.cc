// DeviceGate's due times: the model's time from arrival, less the request-path floor.
// Computed, never slept on: no timed assertion.
#include "fuse/device_gate.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace sfsg {
namespace {

DeviceModel OneMillisecond() {
  SizeCurve c;
  c.buckets.push_back({4096, ServiceTime::Constant(1000)});
  DeviceModel m;
  m.data.read_sequential = m.data.read_random = m.data.write_sequential = m.data.write_random = c;
  return m;
}

// How long after its arrival a lone request (default: a 4 KiB read) is due, in ns
// (negative: before it).
int64_t DueAfterArrival(RequestFloor floor, const DeviceRequest& io) {
  DeviceModel model = OneMillisecond();
  model.metadata.Get(MetadataOp::kStat) = ServiceTime::Constant(1000);
  DeviceGate gate(model, 1, nullptr, floor);
  const uint64_t arrival = SteadyNowNs();
  const uint64_t due = gate.DueNs(arrival, io);
  gate.Stop();
  return static_cast<int64_t>(due) - static_cast<int64_t>(arrival);
}
int64_t DueAfterArrival(uint64_t floor_ns) {
  return DueAfterArrival(RequestFloor::Uniform(floor_ns), DataIo(false, 7, 0, 4096, 0));
}

TEST(DeviceGate, DueAtTheModelsTimeWithoutAFloor) {
  EXPECT_NEAR(DueAfterArrival(0), 1'000'000, 2'000);
}

TEST(DeviceGate, TheFloorIsSubtractedFromTheModelsTime) {
  EXPECT_NEAR(DueAfterArrival(300'000), 700'000, 2'000);
}

TEST(DeviceGate, AModelFasterThanTheFloorIsDueAtOnce) { EXPECT_LE(DueAfterArrival(5'000'000), 0); }

TEST(DeviceGate, EachOperationClassHasItsOwnFloor) {
  RequestFloor floor;
  floor.read_ns = 300'000;
  floor.write_ns = 400'000;
  floor.metadata_ns[static_cast<int>(MetadataOp::kStat)] = 100'000;
  EXPECT_NEAR(DueAfterArrival(floor, DataIo(false, 7, 0, 4096, 0)), 700'000, 2'000);
  EXPECT_NEAR(DueAfterArrival(floor, DataIo(true, 7, 0, 4096, 0)), 600'000, 2'000);
  EXPECT_NEAR(DueAfterArrival(floor, MetadataIo(MetadataOp::kStat)), 900'000, 2'000);
  EXPECT_FALSE(floor.IsUniform());
  EXPECT_TRUE(RequestFloor::Uniform(5).IsUniform());
  EXPECT_EQ(RequestFloor::Uniform(5).For(NoDeviceIo()), 0u);
}

// The model's response times are summed as charged (queueing included, before the
// floor), so a replayer can compare them with the time its calls took.
TEST(DeviceGate, SumsTheModelsResponseTimes) {
  DeviceGate gate(OneMillisecond(), 1, nullptr, RequestFloor::Uniform(300'000));
  const uint64_t arrival = SteadyNowNs();
  // Two random reads at once on one server: 1 ms, then 1 ms queued + 1 ms served.
  gate.DueNs(arrival, DataIo(false, 7, 0, 4096, O_DIRECT));
  gate.DueNs(arrival, DataIo(false, 8, 1 << 20, 4096, O_DIRECT));
  gate.Stop();
  const std::string text = gate.PrometheusText();
  const size_t at = text.find("\nsfsg_device_model_seconds_total ");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_NEAR(std::strtod(text.c_str() + at + 34, nullptr), 0.003, 0.000'01);
}

}  // namespace
}  // namespace sfsg
