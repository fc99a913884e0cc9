// Workload: the operation stream a shadow is hammered with, as a model.
//
// What it holds: the operation mix, request sizes, sequential vs random access, file
// popularity (Zipf over the namespace's entries, chosen by index so no directory
// listing is needed), the daily load shape, the arrival process and the rates, plus
// how far it has been scaled toward a future point. Built from a profile (the built-in
// default exists) and re-fitted from usage rates (metering series).
//
// On disk: versioned JSON {"format": "sfsg-workload", "version": 1, ...}.
// Plain value type; thread-compatible. Errors name the file and the field.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "generator/profile.h"
#include "generator/util/json_io.h"
#include "generator/util/status.h"

namespace sfsg {

inline constexpr const char* kWorkloadFormat = "sfsg-workload";
inline constexpr int kWorkloadVersion = 1;

struct OperationMix {
  // Fractions of operations; they sum to 1. A read or write includes its open/close.
  double read = 0.60, write = 0.15, create = 0.03, unlink = 0.02, stat = 0.15, readdir = 0.05;
};

struct Workload {
  OperationMix mix;
  // Request sizes in bytes with weights (summing to 1), for reads and for writes.
  std::vector<std::pair<uint64_t, double>> read_sizes{{4096, 0.5}, {65536, 0.3}, {1 << 20, 0.2}};
  std::vector<std::pair<uint64_t, double>> write_sizes{{4096, 0.6}, {65536, 0.3}, {1 << 20, 0.1}};
  double sequential_fraction = 0.5;       // reads/writes continuing the previous one on that file
  double zipf_theta = 0.9;                // file popularity exponent (0 = uniform)
  std::array<double, 24> hourly_shape{};  // relative load per hour of day (UTC), mean 1
  std::string arrival = "poisson";        // "poisson" or "uniform" (open loop)
  double mean_ops_per_s = 200;            // average demand
  double peak_ops_per_s = 500;            // demand at the busiest hour
  double rate_scale = 1.0;                // applied growth factor (future point)
  double files_scale = 1.0;               // shadow scale the workload targets
  std::string origin = "builtin";         // "builtin", "usage:<file>", ...
};

// The built-in workload: a general-purpose file server (mix above, a working-day shape).
Workload DefaultWorkload();

// Usage rates per interval (what a metering series becomes); all vectors equal length.
struct UsageRates {
  std::vector<double> time_unix;
  std::vector<double> read_ops_per_s, write_ops_per_s;
  std::vector<double> read_bytes_per_s, write_bytes_per_s;
};

// Re-fits the rate side (read/write mix, request sizes from bytes per op, daily shape,
// mean and peak rates) to usage rates, keeping the rest of `base`. Errors (kBadInput):
// fewer than 2 samples, mismatched lengths, negative or non-finite values.
Result<Workload> FitWorkloadToUsage(const Workload& base, const UsageRates& usage);

// A workload for a future point: rates x rate_factor, targeting a shadow x files_factor.
Workload ScaleWorkload(const Workload& w, double rate_factor, double files_factor);

Json WorkloadToJson(const Workload& w);
Result<Workload> WorkloadFromJson(const Json& json, std::string_view source_name);
Result<Workload> LoadWorkload(const std::string& path);
Status SaveWorkload(const Workload& w, const std::string& path);

}  // namespace sfsg
