// Ranking and rendering a fleet of volume plans (see fleet.h).
#include "predictor/fleet.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

#include "generator/util/strings.h"
#include "generator/util/units.h"

namespace sfsg {
namespace {

constexpr double kDay = 86400;
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string Date(const std::optional<double>& unix_s) {
  if (!unix_s || !std::isfinite(*unix_s)) return "-";
  return FormatUtc(*unix_s, "%Y-%m-%d");
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// As the single-volume plan says it: "not within 365 d" (its search limit), not "never".
std::string Days(double days, double search_days) {
  if (days == -kInf) return "reached";
  if (!std::isfinite(days))
    return search_days > 0 ? "not within " + Fixed(search_days, 0) + " d" : "not reached";
  return Fixed(days, 1);
}

// Purchase or reclaim, in words for the table; a volume whose inodes run out first needs
// a filesystem with more of them when they fall short within the horizon (bytes bought
// besides, when those are short too), and nothing reclaimed either way.
std::string Action(const VolumeResult& v) {
  if (!v.procurement) return "-";
  const Procurement& p = *v.procurement;
  if (p.binding_limit == Limit::kInodes && InodesNeeded(p.additional_files))
    return p.purchase_bytes > 0 ? "more inodes; buy " + FormatBytes(p.purchase_bytes)
                                : "more inodes";
  if (p.binding_limit == Limit::kInodes)
    return p.purchase_bytes > 0 ? "buy " + FormatBytes(p.purchase_bytes)
                                : "none (more inodes after the horizon)";
  if (p.purchase_bytes > 0) return "buy " + FormatBytes(p.purchase_bytes);
  if (p.reclaimable_bytes > 0) return "reclaim " + FormatBytes(p.reclaimable_bytes);
  return "none";
}

std::string Cost(const VolumeResult& v) {
  if (!v.procurement) return "-";
  const Procurement& p = *v.procurement;
  if (p.purchase_bytes > 0 && p.purchase_cost) return Fixed(*p.purchase_cost, 2);
  if (p.reclaimable_bytes > 0 && p.reclaimable_value) return "-" + Fixed(*p.reclaimable_value, 2);
  return "-";
}

std::string LabelValue(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// One row of figures, shared by the text table and the HTML page.
struct Row {
  std::string volume, used, capacity, used_pct, threshold, days, limit, order_by, recommended,
      action, cost, model, device, note;
  bool overdue = false;
};

// Every column in order, the note last.
std::vector<const std::string*> Cells(const Row& r) {
  return {&r.volume,   &r.used,        &r.capacity, &r.used_pct, &r.threshold, &r.days,   &r.limit,
          &r.order_by, &r.recommended, &r.action,   &r.cost,     &r.model,     &r.device, &r.note};
}

// The smallest device configuration that keeps the objective at the horizon's peak
// ("today", "parallelism x2"), "none meets", or "-" without candidates.
std::string DeviceCell(const DeviceCandidates& c) {
  if (!c.evaluated) return "-";
  if (!c.evaluated->recommended) return "none meets";
  return c.evaluated->results[*c.evaluated->recommended].candidate.name;
}

Row MakeRow(const VolumeResult& v, const ProcurementOptions& o) {
  Row r;
  r.volume = v.name;
  r.used = r.capacity = r.used_pct = r.threshold = r.order_by = r.recommended = r.model = "-";
  r.device = "-";
  r.days = r.limit = "-";
  r.action = r.cost = "-";
  if (v.error) {
    r.note = "error: " + v.error->message;
    return r;
  }
  r.device = DeviceCell(v.plan->device_candidates);
  if (!v.plan || !v.plan->storage) {
    r.note = "no storage series (used_bytes)";
    return r;
  }
  const StoragePlan& s = *v.plan->storage;
  r.used = FormatBytes(s.current_bytes);
  r.capacity = FormatBytes(s.capacity_bytes);
  r.used_pct =
      s.capacity_bytes > 0 ? Fixed(100 * s.current_bytes / s.capacity_bytes, 0) + "%" : "-";
  const BindingLimit binding = BindingLimitOf(s);
  r.threshold = binding.crossing->already ? "reached" : Date(binding.crossing->expected_s);
  r.days = Days(DaysToThreshold(v), binding.search_s / kDay);
  r.limit = LimitName(binding.limit);
  // The recommendation for the limit that binds: bytes would not help a volume whose
  // inodes run out first.
  r.recommended = binding.limit == Limit::kInodes
                      ? FormatCount(s.recommended_capacity_files) + " inodes"
                      : FormatBytes(s.recommended_capacity_bytes);
  r.model = std::string(ModelName(s.forecast.model));
  if (v.procurement) {
    if (o.lead_time_s) r.order_by = Date(v.procurement->order_by_unix);
    r.overdue = v.procurement->overdue;
    if (r.overdue) r.order_by += " (overdue)";
    r.action = Action(v);
    r.cost = Cost(v);
  }
  if (binding.limit == Limit::kInodes)
    r.note = InodesNeeded(s.additional_files)
                 ? "inodes run out first: a filesystem with more inodes (or a new one) is needed"
                 : "inodes run out first, after the horizon: a filesystem with more inodes (or "
                   "a new one) is needed then";
  if (v.plan->low_confidence)
    r.note += (r.note.empty() ? "" : "; ") + std::string("low confidence");
  return r;
}

}  // namespace

double DaysToThreshold(const VolumeResult& v) {
  if (!v.plan || !v.plan->storage) return kInf;
  return BindingDays(BindingLimitOf(*v.plan->storage));
}

void RankWorstFirst(Fleet& fleet) {
  std::stable_sort(fleet.volumes.begin(), fleet.volumes.end(),
                   [](const VolumeResult& a, const VolumeResult& b) {
                     if (a.error.has_value() != b.error.has_value()) return a.error.has_value();
                     const double da = DaysToThreshold(a), db = DaysToThreshold(b);
                     if (da != db) return da < db;
                     return a.name < b.name;
                   });
}

Result<Json> FleetToJson(const Fleet& fleet) {
  Json volumes = Json::array();
  for (const VolumeResult& v : fleet.volumes) {
    Json plan = nullptr;
    if (v.plan) {
      auto doc = PlanToJson(*v.plan);
      if (!doc) return doc.error();
      plan = std::move(*doc);
    }
    const double days = DaysToThreshold(v);
    std::optional<BindingLimit> binding;
    if (v.plan && v.plan->storage) binding = BindingLimitOf(*v.plan->storage);
    volumes.push_back(
        {{"volume", v.name},
         {"labels", v.labels},
         {"source", v.source},
         {"days_to_threshold", days == -kInf         ? Json(0.0)
                               : std::isfinite(days) ? Json(days)
                                                     : Json(nullptr)},
         {"binding_limit", binding ? Json(LimitName(binding->limit)) : Json(nullptr)},
         {"search_days", binding ? Json(binding->search_s / kDay) : Json(nullptr)},
         {"error", v.error ? Json(v.error->message) : Json(nullptr)},
         {"procurement",
          v.procurement ? ProcurementToJson(*v.procurement, fleet.procurement) : Json(nullptr)},
         {"plan", std::move(plan)}});
  }
  return Json{{"format", kFleetFormat},
              {"version", kFleetVersion},
              {"created_unix", fleet.created_unix},
              {"volumes", std::move(volumes)}};
}

std::string FleetToTable(const Fleet& fleet) {
  std::vector<Row> rows;
  for (const VolumeResult& v : fleet.volumes) rows.push_back(MakeRow(v, fleet.procurement));
  const Row header = {"VOLUME", "USED",     "CAPACITY",    "USED%",  "THRESHOLD", "DAYS",
                      "LIMIT",  "ORDER BY", "RECOMMENDED", "ACTION", "COST",      "MODEL",
                      "DEVICE", "",         false};
  std::vector<size_t> widths(Cells(header).size());
  auto cells = [](const Row& r) {
    auto c = Cells(r);
    c.pop_back();  // the note follows the columns
    return c;
  };
  for (const Row* r : {&header}) {
    auto c = cells(*r);
    for (size_t i = 0; i < c.size(); ++i) widths[i] = std::max(widths[i], c[i]->size());
  }
  for (const Row& r : rows) {
    auto c = cells(r);
    for (size_t i = 0; i < c.size(); ++i) widths[i] = std::max(widths[i], c[i]->size());
  }
  std::string out = "fleet: " + std::to_string(fleet.volumes.size()) +
                    " volumes, worst first (days: expected, from each volume's last sample, "
                    "to the limit reached first: bytes or inodes)\n";
  auto line = [&](const Row& r) {
    std::string l = " ";
    auto c = cells(r);
    for (size_t i = 0; i < c.size(); ++i) {
      l += " " + *c[i];
      if (i + 1 < c.size()) l += std::string(widths[i] - c[i]->size() + 1, ' ');
    }
    if (!r.note.empty()) l += "  (" + r.note + ")";
    return l + "\n";
  };
  out += line(header);
  for (const Row& r : rows) out += line(r);
  return out;
}

std::string ProcurementToPrometheus(const Procurement& p, const std::string& labels) {
  std::string out;
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  auto gauge = [&](const char* name, const char* help, double value) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", value);
    out += std::string("# HELP sfsg_procurement_") + name + " " + help + "\n";
    out += std::string("# TYPE sfsg_procurement_") + name + " gauge\n";
    out += std::string("sfsg_procurement_") + name + braces + " " + buf + "\n";
  };
  if (p.order_by_unix)
    gauge("order_by_timestamp_seconds", "Threshold date minus the lead time.", *p.order_by_unix);
  gauge("purchase_bytes", "Capacity to buy, in whole increments.", p.purchase_bytes);
  gauge("reclaimable_bytes", "Capacity beyond the recommendation.", p.reclaimable_bytes);
  if (p.purchase_cost) gauge("purchase_cost", "Price of the purchase.", *p.purchase_cost);
  return out;
}

std::string FleetToPrometheus(const Fleet& fleet) {
  // Every volume's exposition, merged by metric name so each HELP/TYPE appears once.
  std::vector<std::string> order;
  std::map<std::string, std::string> headers, samples;
  for (const VolumeResult& v : fleet.volumes) {
    if (!v.plan) continue;
    const std::string label = "volume=\"" + LabelValue(v.name) + "\"";
    std::string text = PlanToPrometheus(*v.plan);
    if (v.procurement) text += ProcurementToPrometheus(*v.procurement, "");
    size_t pos = 0;
    while (pos < text.size()) {
      size_t eol = text.find('\n', pos);
      if (eol == std::string::npos) eol = text.size();
      const std::string line = text.substr(pos, eol - pos);
      pos = eol + 1;
      if (line.empty()) continue;
      if (line[0] == '#') {
        const size_t name_at = line.find(' ', 2) + 1;
        const std::string name = line.substr(name_at, line.find(' ', name_at) - name_at);
        if (!headers.count(name)) order.push_back(name);
        if (headers[name].find(line) == std::string::npos) headers[name] += line + "\n";
        continue;
      }
      const size_t cut = line.find_first_of("{ ");
      const std::string name = line.substr(0, cut);
      std::string labelled;
      if (line[cut] == '{')
        labelled = name + "{" + label + "," + line.substr(cut + 1);
      else
        labelled = name + "{" + label + "}" + line.substr(cut);
      samples[name] += labelled + "\n";
    }
  }
  std::string out;
  for (const std::string& name : order) out += headers[name] + samples[name];
  return out;
}

std::string FleetToHtml(const Fleet& fleet) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>sfsg fleet plan</title><style>"
      "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
      "th,td{border:1px solid #bbb;padding:4px 8px;text-align:right}"
      "td:first-child,th:first-child{text-align:left}tr.worst td{background:#fde2e2}"
      "tr.overdue td{color:#a00}tr.error td{background:#fff3cd}"
      "</style></head><body>\n<h1>Capacity plan: " +
      std::to_string(fleet.volumes.size()) + " volumes, worst first</h1>\n";
  out +=
      "<table id=\"fleet\"><thead><tr><th>volume</th><th>used</th><th>capacity</th>"
      "<th>used %</th><th>threshold (expected)</th><th>days</th><th>limit</th><th>order by</th>"
      "<th>recommended</th><th>action</th><th>cost</th><th>model</th><th>device</th>"
      "<th>note</th>"
      "</tr></thead><tbody>\n";
  bool first = true;
  for (const VolumeResult& v : fleet.volumes) {
    const Row r = MakeRow(v, fleet.procurement);
    std::string cls = v.error ? "error" : first ? "worst" : "";
    if (r.overdue) cls += cls.empty() ? "overdue" : " overdue";
    first = false;
    out += "<tr class=\"volume" + (cls.empty() ? "" : " " + cls) + "\">";
    for (const std::string* c : Cells(r)) out += "<td>" + HtmlEscape(*c) + "</td>";
    out += "</tr>\n";
  }
  out +=
      "</tbody></table>\n<p>Days count from each volume's last sample to the expected date "
      "its used bytes reach capacity x (1 - buffer), or its files capacity_files x (1 - "
      "buffer), whichever comes first (the limit column says which: more bytes alone do not "
      "add inodes); the order-by date is that date minus the lead time. <code>sfsg-predict "
      "--usage</code> on one volume gives its full report.</p>\n</body></html>\n";
  return out;
}

}  // namespace sfsg
