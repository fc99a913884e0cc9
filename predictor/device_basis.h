// DeviceBasis: which device model a plan's performance figures stand on, and how far it
// is validated; or, with none, the plain statement that the figures are the shadow's own.
//
// A shadow's speed is a FUSE daemon making bytes in memory. Only a shadow timed by a
// device model calibrated on real storage (sfsg-calibrate; sfsg-mount --device) can say
// something about that storage, and then within the model's validation error
// (scripts/bench-device). The plan, /.sfsg/forecast and the HTML report carry this
// value so the reader knows which. Plain value type; pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>

#include "generator/device/device_model.h"
#include "generator/util/json_io.h"

namespace sfsg {

struct DeviceBasis {
  std::string name;         // the model's label
  std::string mode;         // "active", "passive", "fio", "manual"
  std::string created_utc;  // when it was calibrated ("" unknown)
  std::string target;       // the directory or file it was calibrated on
  std::string filesystem;   // e.g. "xfs" ("" unknown)
  std::string device;       // e.g. "/dev/loop0" ("" unknown)
  // Worst errors against the real target (fractions), unset when not validated.
  std::optional<double> throughput_error, p99_error, usl_peak_error;
  std::string validated_utc;
  // The load the calibration saw (provenance): a passive model covers only this range.
  // 0: unknown.
  double covered_ops_per_s_max = 0;
  uint32_t covered_concurrency_max = 0;
};

DeviceBasis DeviceBasisFromModel(const DeviceModel& model);

// One sentence for tables and reports. With no model: the figures are the shadow's own
// and describe no real device. With one: which model, and its validation error or that
// it has none.
std::string DeviceBasisStatement(const std::optional<DeviceBasis>& basis);
// The model alone: its name, calibration, and validation error or that it has none.
std::string DeviceModelStatement(const DeviceBasis& basis);

// {"model": null | {name, mode, created_utc, target, filesystem, device, validation:
// null | {throughput_error, p99_error, usl_peak_error, validated_utc},
// covers: {ops_per_s_max, concurrency_max: number | null}},
//  "statement": string}
Json DeviceBasisJson(const std::optional<DeviceBasis>& basis);

}  // namespace sfsg
