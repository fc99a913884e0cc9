// Order-by dates, purchase units and prices from a storage plan (see procurement.h).
#include "predictor/procurement.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "generator/util/units.h"

namespace sfsg {
namespace {

constexpr double kTiB = 1099511627776.0;
constexpr double kDay = 86400;

Json Num(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? Json(*v) : Json(nullptr);
}

std::string Date(double unix_s) { return FormatUtc(unix_s, "%Y-%m-%d"); }

std::string Fixed(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string Money(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

}  // namespace

Procurement MakeProcurement(const CapacityPlan& plan, const ProcurementOptions& options) {
  Procurement p;
  const StoragePlan& s = *plan.storage;
  const BindingLimit binding = BindingLimitOf(s);
  const Crossing& threshold = *binding.crossing;
  p.binding_limit = binding.limit;
  p.binding_days = BindingDays(binding);
  p.search_days = binding.search_s / kDay;
  p.inode_threshold = s.capacity_files && s.files;
  if (p.inode_threshold) {
    p.recommended_capacity_files = s.recommended_capacity_files;
    p.additional_files = s.additional_files;
  }
  if (options.lead_time_s) {
    auto order = [&](const std::optional<double>& t) -> std::optional<double> {
      if (threshold.already) return plan.origin_unix - *options.lead_time_s;
      if (!t) return std::nullopt;
      return *t - *options.lead_time_s;
    };
    p.order_by_unix = order(threshold.expected_s);
    p.order_by_earliest_unix = order(threshold.earliest_s);
    p.overdue = p.order_by_unix && *p.order_by_unix < plan.created_unix;
  }
  p.additional_bytes = s.additional_bytes;
  const double inc = options.increment_bytes.value_or(0);
  if (s.additional_bytes > 0) {
    p.purchase_units = inc > 0 ? std::ceil(s.additional_bytes / inc) : 0;
    p.purchase_bytes = inc > 0 ? p.purchase_units * inc : s.additional_bytes;
  } else if (p.binding_limit == Limit::kBytes) {
    const double spare = s.capacity_bytes - s.recommended_capacity_bytes;
    if (spare > 0) p.reclaimable_bytes = inc > 0 ? std::floor(spare / inc) * inc : spare;
  }
  if (options.cost_per_tib) {
    p.purchase_cost = p.purchase_bytes / kTiB * *options.cost_per_tib;
    p.reclaimable_value = p.reclaimable_bytes / kTiB * *options.cost_per_tib;
  }
  return p;
}

Json ProcurementToJson(const Procurement& p, const ProcurementOptions& o) {
  return {{"lead_time_s", Num(o.lead_time_s)},
          {"increment_bytes", Num(o.increment_bytes)},
          {"cost_per_tib", Num(o.cost_per_tib)},
          {"binding_limit", LimitName(p.binding_limit)},
          {"binding_days", p.binding_days == -INFINITY ? Json(0.0) : Num(p.binding_days)},
          {"recommended_capacity_files",
           p.inode_threshold ? Json(p.recommended_capacity_files) : Json(nullptr)},
          {"additional_files", p.inode_threshold ? Json(p.additional_files) : Json(nullptr)},
          {"order_by_unix", Num(p.order_by_unix)},
          {"order_by_earliest_unix", Num(p.order_by_earliest_unix)},
          {"overdue", p.overdue},
          {"additional_bytes", p.additional_bytes},
          {"purchase_bytes", p.purchase_bytes},
          {"purchase_units", p.purchase_units},
          {"reclaimable_bytes", p.reclaimable_bytes},
          {"purchase_cost", Num(p.purchase_cost)},
          {"reclaimable_value", Num(p.reclaimable_value)}};
}

std::string ProcurementToTable(const Procurement& p, const ProcurementOptions& o) {
  std::string out = "procurement\n";
  auto row = [&](const char* label, const std::string& value) {
    char buf[256];
    std::snprintf(buf, sizeof(buf), "  %-24s %s\n", label, value.c_str());
    out += buf;
  };
  const bool inodes = p.binding_limit == Limit::kInodes;
  if (p.inode_threshold) {
    const std::string when = p.binding_days == -INFINITY     ? std::string("already reached")
                             : std::isfinite(p.binding_days) ? "in " + Fixed(p.binding_days) + " d"
                                                             : "not within the search limit (" +
                                                                   Fixed(p.search_days, 0) + " d)";
    row("limit reached first", std::string(LimitName(p.binding_limit)) + ", " + when);
  }
  if (inodes)
    row("inodes",
        "run out first: " + InodesNeedText(p.recommended_capacity_files, p.additional_files) +
            "; more bytes alone do not add inodes on most filesystems");
  if (o.lead_time_s) {
    char days[32];
    std::snprintf(days, sizeof(days), "%g", *o.lead_time_s / kDay);
    const std::string lead = std::string(" (lead time ") + days + " d)";
    row("order by", p.order_by_unix ? Date(*p.order_by_unix) + lead + (p.overdue ? ", OVERDUE" : "")
                                    : "no order needed within the search limit");
    if (p.order_by_earliest_unix && p.order_by_unix &&
        Date(*p.order_by_earliest_unix) != Date(*p.order_by_unix))
      row("order by (earliest)", Date(*p.order_by_earliest_unix));
  }
  if (p.purchase_bytes > 0) {
    std::string buy = FormatBytes(p.purchase_bytes);
    if (o.increment_bytes)
      buy += " (" + Money(p.purchase_units).substr(0, Money(p.purchase_units).size() - 3) + " x " +
             FormatBytes(*o.increment_bytes) + ")";
    row("purchase", buy);
    if (p.purchase_cost) row("purchase cost", Money(*p.purchase_cost));
  } else if (p.reclaimable_bytes > 0) {
    row("reclaimable", FormatBytes(p.reclaimable_bytes) + " beyond the recommendation");
    if (p.reclaimable_value) row("reclaimable value", Money(*p.reclaimable_value));
  } else {
    row("purchase",
        inodes && InodesNeeded(p.additional_files) ? "no bytes needed (the inodes are)" : "none");
  }
  if (inodes && p.purchase_bytes == 0)
    row("reclaimable", "none: shrinking the volume takes inodes away");
  return out;
}

}  // namespace sfsg
