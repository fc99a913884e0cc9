#include "predictor/capacity_plan.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <span>
#include <utility>

#include "generator/util/strings.h"
#include "generator/util/units.h"
#include "predictor/storage_warnings.h"

namespace sfsg {
namespace {

std::string Printf(const char* format, double a, double b = 0) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), format, a, b);
  return buf;
}

void Absorb(CapacityPlan& plan, const ForecastResult& f) {
  plan.low_confidence |= f.low_confidence;
  plan.warnings.insert(plan.warnings.end(), f.warnings.begin(), f.warnings.end());
}

// The usage series counts operations (read_ops, write_ops): demand to plan for. Columns
// with no value at all are not metered (sfsg-meter leaves them empty on tmpfs, FUSE and
// NFS, which have no block device): no demand, as if absent.
bool HasDemand(const PlanInputs& in) {
  if (!in.usage) return false;
  for (const char* column : {"read_ops", "write_ops"}) {
    auto it = in.usage->columns.find(column);
    if (it != in.usage->columns.end() && std::any_of(it->second.begin(), it->second.end(),
                                                     [](double v) { return std::isfinite(v); }))
      return true;
  }
  return false;
}

// Data too thin for the performance part (demand too short to forecast, a ladder too
// short to fit) when there is a storage plan: the plan is kept, low-confidence, with
// `message + what` said, so the storage plan and the alerts on it stand. False (the error
// fails the plan) for anything else.
bool KeepStoragePlan(const Error& error, const std::string& message, CapacityPlan& plan) {
  if (error.code != ErrorCode::kBadInput || !plan.storage) return false;
  plan.low_confidence = true;
  plan.warnings.push_back(message);
  return true;
}

// Demand columns present but empty: said, since the plan then has no demand forecast.
void NoteUnmeteredDemand(const PlanInputs& in, CapacityPlan& plan) {
  if (!in.usage || HasDemand(in)) return;
  if (in.usage->columns.count("read_ops") || in.usage->columns.count("write_ops"))
    plan.warnings.push_back(in.usage->source +
                            ": read_ops and write_ops hold no values (not metered: a filesystem "
                            "without a block device, such as tmpfs, FUSE or NFS); no demand "
                            "forecast");
}

std::optional<double> LastCapacity(const UsageTable& usage) {
  auto it = usage.columns.find("capacity_bytes");
  if (it == usage.columns.end()) return std::nullopt;
  for (size_t i = it->second.size(); i-- > 0;)
    if (std::isfinite(it->second[i]) && it->second[i] > 0) return it->second[i];
  return std::nullopt;
}

Result<StoragePlan> PlanStorage(const PlanInputs& in, const ForecastOptions& options,
                                CapacityPlan& plan) {
  auto series = ExtractSeries(*in.usage, "used_bytes");
  if (!series) return series.error();
  auto forecast = ForecastSeries(*series, options);
  if (!forecast) return forecast.error();
  StoragePlan s;
  s.forecast = std::move(*forecast);
  Absorb(plan, s.forecast);
  if (in.capacity_bytes) {
    s.capacity_bytes = *in.capacity_bytes;
    s.capacity_source = in.capacity_note.empty() ? "option" : "option: " + in.capacity_note;
  } else if (auto capacity = LastCapacity(*in.usage)) {
    s.capacity_bytes = *capacity;
    s.capacity_source = "series";
  } else {
    return Error::Usage(in.usage->source +
                        ": no capacity_bytes column; give the capacity (--capacity)");
  }
  const double end = s.forecast.origin_s + in.horizon_s;
  s.current_bytes = s.forecast.last_value;
  s.threshold_bytes = s.capacity_bytes * (1 - in.buffer);
  s.at_horizon = s.forecast.At(end);
  s.threshold = TimeToThreshold(s.forecast, s.threshold_bytes);
  if (auto warning = CapacityDriftWarning(in, s, options)) plan.warnings.push_back(*warning);
  s.recent_rate = RecentRate(s);
  if (auto warning = RecentRateWarning(s)) plan.warnings.push_back(*warning);
  const double peak95 = std::max(s.forecast.PeakUntil(end).upper95, s.current_bytes);
  s.recommended_capacity_bytes = peak95 / (1 - in.buffer);
  s.additional_bytes = s.recommended_capacity_bytes - s.capacity_bytes;
  if (auto warning = BaselineBeatsChoiceWarning(s.forecast)) plan.warnings.push_back(*warning);
  if (s.current_bytes > s.capacity_bytes)
    plan.warnings.push_back("used bytes (" + FormatBytes(s.current_bytes) +
                            ") exceed the capacity (" + FormatBytes(s.capacity_bytes) + ")");
  for (const auto& [name, values] : in.usage->columns)
    if (const std::string meant = LikelyMeantColumn(name); !meant.empty())
      plan.warnings.push_back("column '" + name + "' is not one sfsg plans (read as a gauge): " +
                              (in.usage->columns.count(meant) ? "'" + meant + "' is there too"
                                                              : "did you mean '" + meant + "'?"));
  if (in.usage->columns.count("files") && !in.usage->columns.count("capacity_files"))
    plan.warnings.push_back(
        "files: no capacity_files column, so no inode threshold (sfsg-meter writes one)");
  if (in.usage->columns.count("files")) {
    auto files = ExtractSeries(*in.usage, "files");
    if (files) {
      auto f = ForecastSeries(*files, options);
      if (f) {
        Absorb(plan, *f);  // its warnings (a glitch, a step) were dropped
        s.files = std::move(*f);
        if (auto it = in.usage->columns.find("capacity_files"); it != in.usage->columns.end()) {
          for (size_t i = it->second.size(); i-- > 0;)
            if (std::isfinite(it->second[i]) && it->second[i] > 0) {
              s.capacity_files = it->second[i];
              break;
            }
        }
        if (s.capacity_files) {
          s.files_threshold_count = *s.capacity_files * (1 - in.buffer);
          s.files_threshold = TimeToThreshold(*s.files, s.files_threshold_count);
          const double peak95 = std::max(
              s.files->PeakUntil(s.files->origin_s + in.horizon_s).upper95, s.files->last_value);
          s.recommended_capacity_files = peak95 / (1 - in.buffer);
          s.additional_files = s.recommended_capacity_files - *s.capacity_files;
          if (auto warning = InodesFirstWarning(s)) plan.warnings.push_back(*warning);
        }
      } else {
        plan.warnings.push_back("files: " + f.error().message);
      }
    }
  }
  return s;
}

// The throughput the system sustains within every objective (or its USL peak, or the
// best it was measured at, when no objective is given).
void SetSustainable(PerformancePlan& p, CapacityPlan& plan) {
  p.sustainable_ops_per_s = 0;
  for (const ObjectivePlan& o : p.objectives) {
    const double limit = o.objective_ops_per_s;
    if (p.sustainable_basis.empty() || limit < p.sustainable_ops_per_s) {
      p.sustainable_ops_per_s = limit;
      p.sustainable_basis = o.objective.quantile + " objective";
    }
  }
  const std::optional<double> usl_max = p.usl ? p.usl->x_max : std::nullopt;
  if (usl_max && (p.sustainable_basis.empty() || *usl_max < p.sustainable_ops_per_s)) {
    p.sustainable_ops_per_s = *usl_max;
    p.sustainable_basis = "usl peak throughput";
  }
  if (p.sustainable_basis.empty()) {
    p.sustainable_ops_per_s = p.max_measured_ops_per_s;
    p.sustainable_basis = "largest measured throughput";
  }
  if (p.sustainable_ops_per_s > 1.2 * p.max_measured_ops_per_s) {
    plan.low_confidence = true;
    plan.warnings.push_back(
        Printf("the sustainable throughput (%.0f ops/s) is extrapolated "
               "beyond the largest measured (%.0f ops/s)",
               p.sustainable_ops_per_s, p.max_measured_ops_per_s));
  }
}

// The rungs a device-timed curve's shadow timed itself (PerformancePlan::shadow_timed):
// listed, warned about, and when the busiest rung is among them the sustainable figure
// is called what it is, a lower bound on the device's.
void MarkShadowTimed(const PerfCurve& curve, PerformancePlan& p, CapacityPlan& plan) {
  const CurveStep* busiest = nullptr;
  bool measured = false;
  for (const CurveStep& step : curve.steps) {
    measured = measured || step.device_model_share.has_value();
    if (busiest == nullptr || step.total.ops_per_s > busiest->total.ops_per_s) busiest = &step;
    if (step.device_model_share && *step.device_model_share < kDeviceTimedShare)
      p.shadow_timed.push_back({step.concurrency, step.total.ops_per_s, *step.device_model_share});
  }
  if (p.device && !measured && !curve.steps.empty())
    plan.warnings.push_back(
        "device: the curve does not say how much of each rung's time the model set (fio "
        "results, or a curve from before sfsg-replay recorded it): a rung where the device "
        "is faster than the shadow's own request path cannot be told from one the model "
        "timed; run the ladder with sfsg-replay against the shadow to know");
  if (p.shadow_timed.empty()) return;
  p.sustainable_lower_bound =
      busiest->device_model_share && *busiest->device_model_share < kDeviceTimedShare;
  std::string rungs;
  for (const PerformancePlan::ShadowTimedStep& s : p.shadow_timed)
    rungs += (rungs.empty() ? "" : ", ") +
             StringPrintf("c=%u (%.0f%%)", s.concurrency, 100 * s.model_share);
  plan.low_confidence = true;
  plan.warnings.push_back(
      "device: at " + rungs +
      " the device model set less of the calls' time than the shadow's own request path "
      "(CPU, the FUSE round trip): those rungs describe sfsg, not the device" +
      (p.sustainable_lower_bound
           ? Printf("; the sustainable throughput (%.0f ops/s) is a lower bound on the "
                    "device's",
                    p.sustainable_ops_per_s)
           : std::string()));
}

// How diskstats demand (device requests) maps onto the curve's file operations: the
// ratio given, else the one the curve's ladder measured on a device-timed shadow.
void MapDemandUnit(const PlanInputs& in, DemandUnit& unit, CapacityPlan& plan) {
  const PerfCurve& curve = *in.curve;
  const std::optional<double>& given = in.device_requests_per_op;
  if (given && *given > 0 && std::isfinite(*given)) {
    unit.mapping = "given";
    unit.device_requests_per_op = *given;
    unit.mapping_statement = Printf("%.3g device requests per file operation, as given", *given);
  } else if (curve.device_requests_per_op > 0) {
    unit.mapping = "measured";
    unit.device_requests_per_op = curve.device_requests_per_op;
    unit.mapping_statement =
        Printf("%.3g device requests per file operation, measured by the curve's load ladder",
               curve.device_requests_per_op) +
        " on a shadow timed by device model '" + curve.device_model + "'";
    if (in.device && in.device->name != curve.device_model)
      plan.warnings.push_back("the curve was measured on a shadow timed by device model '" +
                              curve.device_model + "', not by '" + in.device->name +
                              "' (--device): its ratio of device requests maps the demand");
  } else {
    unit.mapping_statement =
        "none: demand counts the device's requests (diskstats), the curve file operations";
    plan.warnings.push_back(
        "demand counts the device's requests (diskstats), the curve file operations: not "
        "the same unit (give --requests-per-op, or a curve from a device-timed shadow: "
        "sfsg-mount --device, or a passive model from --watch)");
    return;
  }
  unit.demand = "file operations/s";
  unit.comparable = true;
}

Result<PerformancePlan> PlanPerformance(const PlanInputs& in, const ForecastOptions& options,
                                        CapacityPlan& plan) {
  const PerfCurve& curve = *in.curve;
  PerformancePlan p;
  p.device = in.device;
  // A ladder run on a device-timed shadow now records its model; one that records none
  // ran on a plain shadow (or predates the record): the model named is then on trust.
  if (in.device && curve.source == "sfsg-replay" && curve.device_model.empty())
    plan.warnings.push_back(
        "the curve records no device model (sfsg-replay on a plain "
        "shadow, or an older curve): that it was timed by '" +
        in.device->name + "' (--device) is taken on trust");
  for (const CurveStep& step : curve.steps)
    p.max_measured_ops_per_s = std::max(p.max_measured_ops_per_s, step.total.ops_per_s);
  p.usl_points = UslPointsFromCurve(curve);
  auto usl = FitUsl(p.usl_points);
  if (usl) {
    p.usl = *usl;
    for (const std::string& w : usl->warnings) plan.warnings.push_back("USL: " + w);
  } else {
    plan.low_confidence = true;
    plan.warnings.push_back(usl.error().message);
  }
  if (auto points = LatencyPointsFromCurve(curve, "p99")) p.p99_points = *points;
  for (const Objective& objective : in.objectives) {
    auto points = LatencyPointsFromCurve(curve, objective.quantile);
    if (!points) return points.error();
    auto fit = FitLatency(*points, objective.quantile);
    // A ladder too short to fit (one step): the objective is not judged, and said so.
    if (!fit && KeepStoragePlan(fit.error(),
                                "latency: the " + objective.quantile +
                                    " objective is not judged: " + fit.error().message,
                                plan))
      continue;
    if (!fit) return fit.error();
    ObjectivePlan o;
    o.objective = objective;
    o.fit = *fit;
    o.fitted_ops_per_s = fit->ThroughputAt(objective.latency_us);
    o.objective_ops_per_s = o.fitted_ops_per_s;
    o.measured_ops_per_s = MeasuredThroughputWithin(*points, objective.latency_us);
    // A ladder that never came near the objective says little about where it breaks: the
    // queueing fit is not trusted beyond the largest throughput measured, nor beyond the
    // USL peak.
    double largest = 0;
    for (const LatencyPoint& point : *points) largest = std::max(largest, point.throughput);
    double cap = largest;
    std::string basis = kLargestMeasured;
    if (p.usl && p.usl->x_max && (!(cap > 0) || *p.usl->x_max < cap))
      cap = *p.usl->x_max, basis = kUslPeak;
    if (cap > 0 && o.fitted_ops_per_s > cap) {
      o.objective_ops_per_s = cap;
      o.beyond_measured_range = true;
      o.capped_by = basis;
      plan.warnings.push_back(
          "latency: the " + objective.quantile + " objective is met up to " +
          FittedRateText(o, largest) + " by the fit, " +
          (basis == kUslPeak ? "above the USL peak" : "beyond the range measured") +
          Printf("; capped at %.0f ops/s (", cap) + basis + ")");
    }
    for (const std::string& w : fit->warnings) plan.warnings.push_back("latency: " + w);
    if (o.objective_ops_per_s == 0) {
      char buf[200];
      std::snprintf(buf, sizeof(buf),
                    "the %s objective of %.0f us is not met even at light load (fitted %.0f us)",
                    objective.quantile.c_str(), objective.latency_us, fit->base_us);
      plan.warnings.push_back(buf);
    }
    p.objectives.push_back(std::move(o));
  }
  if (!p.usl && p.objectives.empty())
    return Error::BadInput("curve '" + curve.target + "' (" + std::to_string(curve.steps.size()) +
                           " steps) supports neither a USL fit nor a latency objective");
  SetSustainable(p, plan);
  MarkShadowTimed(curve, p, plan);

  if (HasDemand(in)) {
    auto series = ExtractSeries(*in.usage, "ops");
    if (!series) return series.error();
    MapDemandUnit(in, p.unit, plan);
    if (p.unit.comparable)  // device requests -> file operations
      for (double& v : series->values) v /= *p.unit.device_requests_per_op;
    auto demand = ForecastSeries(*series, options);
    // Too few metered operations to forecast (a few rows with I/O among storage-only ones):
    // the curve stands; the demand is said to be missing.
    if (!demand &&
        KeepStoragePlan(demand.error(),
                        "demand: " + demand.error().message + "; no demand forecast", plan))
      return p;
    if (!demand) return demand.error();
    Absorb(plan, *demand);
    if (auto warning = BaselineBeatsChoiceWarning(*demand)) plan.warnings.push_back(*warning);
    const double end = demand->origin_s + in.horizon_s;
    p.peak_at_horizon = demand->PeakUntil(end);
    p.threshold_ops_per_s = p.sustainable_ops_per_s * (1 - in.buffer);
    p.recommended_ops_per_s = p.peak_at_horizon.upper95 / (1 - in.buffer);
    // Demand and the curve in different units: no headroom and no crossing, rather than
    // device requests divided by file operations.
    if (p.unit.comparable) p.threshold = TimeToThreshold(*demand, p.threshold_ops_per_s);
    if (p.unit.comparable && p.sustainable_ops_per_s > 0) {
      p.headroom = 1 - p.peak_at_horizon.expected / p.sustainable_ops_per_s;
      p.headroom_now = 1 - demand->last_value / p.sustainable_ops_per_s;
    }
    p.demand = std::move(*demand);
  }
  return p;
}

// The candidate device configurations at the horizon's expected peak demand, in device
// requests/s: the demand series counts them (a plan that converted the demand into file
// operations is converted back). Without a curve the demand is forecast here, for the
// candidates alone, and `origin_s` is set to its last sample. Never fails the plan:
// whatever stops the candidates is their reason.
DeviceCandidates PlanCandidates(const PlanInputs& in, const ForecastOptions& options,
                                const CapacityPlan& plan, double* origin_s) {
  DeviceCandidates out;
  if (!in.device_model) {
    out.reason = "no device model (sfsg-predict --device; sfsg-mount --device, or a passive one)";
    return out;
  }
  out.basis = in.device ? *in.device : DeviceBasisFromModel(*in.device_model);
  if (in.objectives.empty()) {
    out.reason = "no latency objective to hold the candidates to (--slo)";
    return out;
  }
  if (!HasDemand(in)) {
    out.reason = "no demand series (read_ops, write_ops) to size the device for";
    return out;
  }
  double peak = 0;
  if (plan.performance && plan.performance->demand) {
    const PerformancePlan& p = *plan.performance;
    peak = p.peak_at_horizon.expected;
    if (p.unit.comparable && p.unit.device_requests_per_op) peak *= *p.unit.device_requests_per_op;
  } else {
    auto series = ExtractSeries(*in.usage, "ops");
    if (!series) return out.reason = series.error().message, out;
    auto demand = ForecastSeries(*series, options);
    if (!demand) return out.reason = demand.error().message, out;
    peak = demand->PeakUntil(demand->origin_s + in.horizon_s).expected;
    *origin_s = demand->origin_s;
  }
  if (!(peak > 0)) return out.reason = "no demand at the horizon's peak", out;
  auto load = DeviceLoadFromUsage(*in.usage, peak);
  if (!load) return out.reason = load.error().message, out;
  auto evaluated = PlanDeviceCandidates(*in.device_model, DefaultCandidates(*in.device_model),
                                        *load, in.objectives.front(), in.forecast.seed);
  if (!evaluated) return out.reason = evaluated.error().message, out;
  out.evaluated = std::move(*evaluated);
  return out;
}

}  // namespace

std::string CandidatesBasisStatement(const DeviceCandidates& candidates) {
  return candidates.basis ? "the candidates scale " + DeviceModelStatement(*candidates.basis)
                          : "no device model";
}

Result<double> ParseCapacity(std::string_view text, std::string_view what, std::string* how) {
  std::string t(text);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  // "KB", "MB", "GB", "TB", "PB", "EB" (any case, not "iB"): decimal.
  static const char kLetters[] = "kmgtpe";
  if (t.size() >= 3 && (t.back() == 'B' || t.back() == 'b')) {
    const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(t[t.size() - 2])));
    const char* at = std::strchr(kLetters, unit);
    if (at && unit != '\0' && std::isdigit(static_cast<unsigned char>(t[t.size() - 3]))) {
      auto number = ParsePositiveNumber(t.substr(0, t.size() - 2), what);
      if (!number) return Error::Usage(std::string(what) + ": '" + t + "' is not a size");
      const double bytes = *number * std::pow(1000.0, static_cast<double>(at - kLetters + 1));
      if (how)
        *how = t + Printf(" = %.6g bytes (decimal, 1000^%.0f)", bytes,
                          static_cast<double>(at - kLetters + 1));
      return bytes;
    }
  }
  auto bytes = ParseBytes(t, what);
  if (!bytes) return bytes.error();
  // A bare number is bytes already: no unit was read, binary or decimal.
  const bool bare =
      !t.empty() && (std::isdigit(static_cast<unsigned char>(t.back())) || t.back() == '.');
  if (how)
    *how = t + Printf(bare ? " = %.6g bytes (no unit: bytes)" : " = %.6g bytes (binary, 1024^n)",
                      static_cast<double>(*bytes));
  return static_cast<double>(*bytes);
}

Result<CapacityPlan> MakeCapacityPlan(const PlanInputs& in) {
  if (!in.usage && !in.curve)
    return Error::Usage("nothing to plan: give a usage series, a performance curve or both");
  if (!(in.buffer >= 0 && in.buffer < 1))
    return Error::Usage(Printf("buffer %g is outside [0, 1)", in.buffer));
  if (!(in.horizon_s > 0)) return Error::Usage("the horizon must be positive");
  CapacityPlan plan;
  plan.created_unix = in.created_unix;
  plan.horizon_s = in.horizon_s;
  plan.buffer = in.buffer;
  plan.objectives = in.objectives;
  ForecastOptions options = in.forecast;
  options.horizon_s = in.horizon_s;
  if (in.usage && in.usage->columns.count("used_bytes")) {
    auto storage = PlanStorage(in, options, plan);
    if (!storage) return storage.error();
    plan.storage = std::move(*storage);
  }
  NoteUnmeteredDemand(in, plan);
  if (in.curve) {
    auto performance = PlanPerformance(in, options, plan);
    if (performance)
      plan.performance = std::move(*performance);
    else if (!KeepStoragePlan(performance.error(),
                              performance.error().message + "; no performance plan", plan))
      return performance.error();
  }
  double candidates_origin_s = 0;
  plan.device_candidates = PlanCandidates(in, options, plan, &candidates_origin_s);
  if (!in.curve && !in.objectives.empty() && !plan.device_candidates.evaluated)
    plan.warnings.push_back(
        "latency objectives need a performance curve (--curve) or a device model (--device)");
  if (in.usage && !plan.storage && !(plan.performance && plan.performance->demand) &&
      !plan.device_candidates.evaluated)
    return Error::BadInput(in.usage->source +
                           ": no used_bytes, read_ops or write_ops column to plan from");
  if (plan.storage)
    plan.origin_unix = plan.storage->forecast.origin_s;
  else if (plan.performance && plan.performance->demand)
    plan.origin_unix = plan.performance->demand->origin_s;
  else if (in.curve)
    plan.origin_unix = in.curve->created_unix;
  else
    plan.origin_unix = candidates_origin_s;
  return plan;
}

std::optional<std::string> BaselineBeatsChoiceWarning(const ForecastResult& f) {
  const BacktestSummary& b = f.backtest;
  // Under 3 folds the choice is not scored; after a fallback, or when the baseline is
  // itself chosen, the baseline is what the forecast uses.
  if (b.folds < 3 || b.fallback != BacktestSummary::Fallback::kNone) return std::nullopt;
  if (f.model == b.best_baseline && !(b.shrink_weight > 0)) return std::nullopt;
  if (!(b.best_baseline_mase < b.selection_mase)) return std::nullopt;
  return f.column + ": the best baseline " + std::string(ModelName(b.best_baseline)) +
         Printf(" scores backtest MASE %.3f, lower than the choice's out-of-sample MASE %.3f",
                b.best_baseline_mase, b.selection_mase);
}

const char* OriginLabel(const CapacityPlan& plan) {
  const bool curve_only = !plan.storage && plan.performance && !plan.performance->demand;
  return curve_only ? "curve measured" : "last sample";
}

std::string FittedRateText(const ObjectivePlan& o, double largest_measured) {
  if (largest_measured > 0 && o.fitted_ops_per_s > 100 * largest_measured)
    return "over 100 times the largest load measured";
  return Printf("%.0f ops/s", o.fitted_ops_per_s);
}

BindingLimit BindingLimitOf(const StoragePlan& s) {
  const BindingLimit bytes = {Limit::kBytes, &s.threshold, s.forecast.origin_s,
                              s.forecast.search_s()};
  if (!s.capacity_files || !s.files) return bytes;
  const BindingLimit inodes = {Limit::kInodes, &s.files_threshold, s.files->origin_s,
                               s.files->search_s()};
  // (expected, earliest) as unix times; -inf: already reached, +inf: not reached.
  constexpr double kInf = std::numeric_limits<double>::infinity();
  auto key = [&](const BindingLimit& b) {
    const Crossing& c = *b.crossing;
    if (c.already) return std::pair(-kInf, -kInf);
    return std::pair(c.expected_s.value_or(kInf), c.earliest_s.value_or(kInf));
  };
  return key(inodes) < key(bytes) ? inodes : bytes;
}

const char* LimitName(Limit limit) { return limit == Limit::kInodes ? "inodes" : "bytes"; }

double BindingDays(const BindingLimit& b) {
  if (b.crossing->already) return -INFINITY;
  if (!b.crossing->expected_s) return INFINITY;
  return (*b.crossing->expected_s - b.origin_s) / config::kDaySeconds;
}

std::string CapacityChangeText(const StoragePlan& s, const std::string& amount) {
  const std::string bytes = amount.empty() ? FormatBytes(std::fabs(s.additional_bytes)) : amount;
  if (s.additional_bytes >= 0) return "add " + bytes;
  // Bytes beyond the need are no saving when the inodes bind: the volume keeps its size.
  return bytes + " more than needed to the horizon" +
         (BindingLimitOf(s).limit == Limit::kInodes
              ? ", not reclaimable: shrinking the volume takes inodes away"
              : "");
}

bool InodesNeeded(double additional_files) { return additional_files > 0; }

std::string InodesNeedText(double recommended_files, double additional_files) {
  if (InodesNeeded(additional_files))
    return "a filesystem with more inodes (or a new one) is needed: " +
           FormatCount(recommended_files) + " to the horizon, " + FormatCount(additional_files) +
           " more than it has";
  return "the " + FormatCount(recommended_files - additional_files) +
         " inodes it has hold to the horizon (" + FormatCount(recommended_files) +
         " needed); a filesystem with more inodes (or a new one) is needed after it";
}

}  // namespace sfsg
