// A fleet: one capacity plan per volume (every mountpoint of a Prometheus result, every
// usage file), ranked worst first, and rendered as one table, one JSON document, one
// Prometheus exposition (a "volume" label on every sample) and one HTML page.
//
// Ranking: volumes whose plan failed first (they need a look), then by expected days to
// the limit reached first, bytes or inodes (BindingLimitOf: already reached first, not
// reached within the search limit last), then by name.
//
// JSON schema "sfsg-fleet" version 1:
//   {"format": "sfsg-fleet", "version": 1, "created_unix": number, "volumes": [
//     {"volume": string, "labels": {string: string}, "source": string,
//      "days_to_threshold": number | null (to the binding limit's threshold; 0: already
//                           reached; null: not reached within search_days, or no
//                           storage plan),
//      "binding_limit": "bytes" | "inodes" | null, "search_days": number | null,
//      "error": null | string, "procurement": null | PROCUREMENT (procurement.h),
//      "plan": null | "sfsg-forecast" v1 document (capacity_plan.h)}]}
//
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "generator/util/json_io.h"
#include "generator/util/status.h"
#include "predictor/capacity_plan.h"
#include "predictor/procurement.h"

namespace sfsg {

inline constexpr const char* kFleetFormat = "sfsg-fleet";
inline constexpr int kFleetVersion = 1;

struct VolumeResult {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string source;
  std::optional<CapacityPlan> plan;        // set unless error
  std::optional<Error> error;              // why no plan could be made
  std::optional<Procurement> procurement;  // with a storage plan
};

struct Fleet {
  double created_unix = 0;
  ProcurementOptions procurement;
  std::vector<VolumeResult> volumes;
};

// Expected days from the last sample to the threshold of the limit reached first (bytes
// or inodes, BindingLimitOf): -inf when already reached, +inf when not reached within the
// search limit or without a storage plan.
double DaysToThreshold(const VolumeResult& v);

// Sorts fleet.volumes worst first (see above).
void RankWorstFirst(Fleet& fleet);

Result<Json> FleetToJson(const Fleet& fleet);
std::string FleetToTable(const Fleet& fleet);
std::string FleetToPrometheus(const Fleet& fleet);
std::string FleetToHtml(const Fleet& fleet);

// Procurement gauges (sfsg_procurement_*), with `labels` ("volume=\"/srv\"" or "") on
// each sample.
std::string ProcurementToPrometheus(const Procurement& p, const std::string& labels);

}  // namespace sfsg
