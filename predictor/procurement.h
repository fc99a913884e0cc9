// Procurement: a storage plan turned into a purchase. Storage is bought with a lead
// time and in fixed units, so a planner needs the date the order must go out (the
// threshold date minus the lead time), the recommendation rounded up to whole units,
// and its price; a volume whose recommendation is below what it has is reported as
// reclaimable (whole units of it, when units are given).
//
// A volume that runs out of inodes before bytes (BindingLimitOf in capacity_plan.h) orders
// by the inode date, and nothing is reclaimable: more bytes alone do not add inodes on
// most filesystems, and shrinking one takes inodes away. The advice then is a filesystem
// with more inodes (or a new one), and says so.
//
// Pure functions of their inputs; thread-safe.
#pragma once

#include <optional>

#include "generator/util/json_io.h"
#include "predictor/capacity_plan.h"

namespace sfsg {

struct ProcurementOptions {
  std::optional<double> lead_time_s;      // --lead-time
  std::optional<double> increment_bytes;  // --increment: the purchase unit
  std::optional<double> cost_per_tib;     // --cost-per-tib: price of 2^40 bytes
  bool any() const { return lead_time_s || increment_bytes || cost_per_tib; }
};

struct Procurement {
  // The limit reached first and its expected days from its last sample (-inf: already
  // reached, +inf: not within search_days); inode_threshold: the plan forecasts inodes
  // against capacity_files, so bytes and inodes were compared.
  Limit binding_limit = Limit::kBytes;
  bool inode_threshold = false;
  double binding_days = 0, search_days = 0;
  // With an inode threshold: the inodes that keep the buffer to the horizon, and how many
  // more than the filesystem has (StoragePlan::recommended_capacity_files).
  double recommended_capacity_files = 0, additional_files = 0;
  // Order-by dates from the binding limit's threshold crossing's expected and earliest
  // times, minus the lead time (null when it is not reached within the search limit, or
  // no lead time was given). An already reached threshold orders at the plan's origin.
  std::optional<double> order_by_unix, order_by_earliest_unix;
  bool overdue = false;         // the order-by date is before the plan was made
  double additional_bytes = 0;  // the plan's, before rounding
  double purchase_bytes = 0;    // rounded up to whole increments (0: nothing to buy)
  double purchase_units = 0;    // purchase_bytes / increment (0 without an increment)
  // capacity - recommended when positive (whole units); 0 when inodes bind.
  double reclaimable_bytes = 0;
  std::optional<double> purchase_cost, reclaimable_value;  // with --cost-per-tib
};

// REQUIRES: plan.storage.
Procurement MakeProcurement(const CapacityPlan& plan, const ProcurementOptions& options);

// {"lead_time_s", "increment_bytes", "cost_per_tib": number | null,
//  "binding_limit": "bytes" | "inodes", "binding_days": number | null (0: already
//  reached; null: not within the search limit),
//  "recommended_capacity_files", "additional_files": number | null (null: no inode
//  threshold),
//  "order_by_unix", "order_by_earliest_unix": number | null, "overdue": bool,
//  "additional_bytes", "purchase_bytes", "purchase_units", "reclaimable_bytes": number,
//  "purchase_cost", "reclaimable_value": number | null}
Json ProcurementToJson(const Procurement& p, const ProcurementOptions& options);

// Lines for the human table ("  order by  2027-01-03 (lead time 30 d)"...); with an inode
// threshold, which limit is reached first, and when inodes bind what is needed instead.
std::string ProcurementToTable(const Procurement& p, const ProcurementOptions& options);

}  // namespace sfsg
