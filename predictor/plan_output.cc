// Rendering a CapacityPlan: "sfsg-forecast" JSON, Prometheus text, a human table.
#include <cmath>
#include <cstdio>
#include <ctime>

#include "generator/util/units.h"
#include "predictor/capacity_plan.h"
#include "predictor/config.h"

namespace sfsg {
namespace {

constexpr double kDay = config::kDaySeconds;

// JSON numbers are finite or null: the schema never carries NaN or infinity.
Json Num(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }
Json Num(const std::optional<double>& v) { return v ? Num(*v) : Json(nullptr); }

Json FallbackName(BacktestSummary::Fallback f) {
  switch (f) {
    case BacktestSummary::Fallback::kLosesToBaselineChoice:
      return "loses_to_baseline_choice";
    case BacktestSummary::Fallback::kLosesToBaselineScore:
      return "loses_to_baseline_score";
    case BacktestSummary::Fallback::kNone:
      break;
  }
  return nullptr;
}

// Bands no measured error sizes (ForecastResult::bands_identified false) have zero width:
// null, not the expected value repeated as if it were certain.
Json BandJson(const Band& b, bool bands_identified) {
  auto bound = [&](double v) { return bands_identified ? Num(v) : Json(nullptr); };
  return {{"expected", Num(b.expected)},
          {"lower80", bound(b.lower80)},
          {"upper80", bound(b.upper80)},
          {"lower95", bound(b.lower95)},
          {"upper95", bound(b.upper95)}};
}

// The dates' bounds come from the bands: null, like them, when no error sized them.
Json CrossingJson(const Crossing& c, double origin_s, bool bands_identified) {
  auto days = [&](const std::optional<double>& t) {
    return t ? Num((*t - origin_s) / kDay) : Json(nullptr);
  };
  auto bound = [&](const Json& j) { return bands_identified ? j : Json(nullptr); };
  return {{"already", c.already},
          {"earliest_unix", bound(Num(c.earliest_s))},
          {"expected_unix", Num(c.expected_s)},
          {"latest_unix", bound(Num(c.latest_s))},
          {"earliest_days", bound(days(c.earliest_s))},
          {"expected_days", days(c.expected_s)},
          {"latest_days", bound(days(c.latest_s))},
          {"earliest80_days", bound(days(c.earliest80_s))},
          {"latest80_days", bound(days(c.latest80_s))}};
}

Json RecentRateJson(const std::optional<RecentRateCrossing>& r, double origin_s) {
  if (!r) return nullptr;
  return {
      {"threshold_unix", Num(r->threshold_s)},
      {"threshold_days", r->threshold_s ? Num((*r->threshold_s - origin_s) / kDay) : Json(nullptr)},
      {"search_days", Num(r->search_s / kDay)},
      {"recent_slope_per_day", Num(r->recent_slope_per_day)},
      {"history_slope_per_day", Num(r->history_slope_per_day)},
      {"slope_change_stderr_per_day", Num(r->slope_change_stderr_per_day)},
      {"rate_changed", r->rate_changed},
      {"far_from_plan", r->far_from_plan}};
}

}  // namespace

Json ForecastToJson(const ForecastResult& f) {
  Json shifts = Json::array();
  for (const ShiftEvent& s : f.level_shifts)
    shifts.push_back({{"time_unix", Num(s.time_s)},
                      {"size", Num(s.size)},
                      {"kind", ShiftKindName(s.kind)},
                      {"modelled", s.kind != ShiftKind::kRetention},
                      {"declared", s.declared}});
  Json models = Json::array();
  for (const ModelScore& s : f.backtest.scores) {
    auto value = [&](double v) { return s.applies ? Num(v) : Json(nullptr); };
    models.push_back({{"model", std::string(ModelName(s.model))},
                      {"candidate", s.candidate},
                      {"baseline", s.baseline},
                      {"mase", value(s.mase)},
                      {"smape", value(s.smape)},
                      {"coverage80", value(s.coverage80)},
                      {"coverage95", value(s.coverage95)}});
  }
  Json combined = Json::array();
  for (ModelKind m : f.backtest.combined) combined.push_back(std::string(ModelName(m)));
  // Up to 100 points from the origin to the horizon.
  Json path = Json::array();
  const size_t horizon_steps =
      std::min(f.path.size(), static_cast<size_t>(std::ceil(f.horizon_s / f.grid.step_s - 1e-9)));
  const size_t stride = std::max<size_t>(1, (horizon_steps + 99) / 100);
  for (size_t i = stride - 1; i < horizon_steps; i += stride) {
    Json point = BandJson(f.path[i], f.bands_identified);
    point["time_unix"] = Num(f.origin_s + static_cast<double>(i + 1) * f.grid.step_s);
    path.push_back(std::move(point));
  }
  return {
      {"model", std::string(ModelName(f.model))},
      {"seasonality", f.seasonality.name},
      {"step_s", Num(f.grid.step_s)},
      {"points", f.grid.values.size()},
      {"filled_points", f.grid.filled},
      {"level_shifts", std::move(shifts)},
      {"backtest",
       {{"folds", f.backtest.folds},
        {"horizon_steps", f.backtest.horizon_steps},
        {"lead_days", Num(f.backtest.lead_s / kDay)},
        {"selection_mase", f.backtest.folds >= 3 ? Num(f.backtest.selection_mase) : Json(nullptr)},
        {"baseline_selection_mase",
         f.backtest.folds >= 3 ? Num(f.backtest.baseline_selection_mase) : Json(nullptr)},
        {"best_baseline", std::string(ModelName(f.backtest.best_baseline))},
        {"best_baseline_mase", Num(f.backtest.best_baseline_mase)},
        {"lowest_mase_model", std::string(ModelName(f.backtest.lowest_mase_model))},
        {"fallback", FallbackName(f.backtest.fallback)},
        {"curve_chosen", f.backtest.curve_chosen},
        {"curve_declined", f.backtest.curve_declined},
        {"curvature_stderrs", Num(f.backtest.curvature_stderrs)},
        {"combined", std::move(combined)},
        {"shrink_weight", Num(f.backtest.shrink_weight)},
        {"shrink_toward", f.backtest.shrink_weight > 0
                              ? Json(std::string(ModelName(f.backtest.shrink_toward)))
                              : Json(nullptr)},
        {"models", std::move(models)}}},
      {"low_confidence", f.low_confidence},
      {"bands_identified", f.bands_identified},
      {"path", std::move(path)}};
}

namespace {

Json StorageJson(const StoragePlan& s) {
  Json files = nullptr;
  if (s.files) {
    files = {
        {"current", Num(s.files->last_value)},
        {"at_horizon",
         BandJson(s.files->At(s.files->origin_s + s.files->horizon_s), s.files->bands_identified)},
        {"forecast", ForecastToJson(*s.files)},
        {"capacity_files", Num(s.capacity_files)},
        {"threshold_files", s.capacity_files ? Num(s.files_threshold_count) : Json(nullptr)},
        {"threshold_reached", s.capacity_files ? CrossingJson(s.files_threshold, s.files->origin_s,
                                                              s.files->bands_identified)
                                               : Json(nullptr)},
        {"recommended_capacity_files",
         s.capacity_files ? Num(s.recommended_capacity_files) : Json(nullptr)},
        {"additional_files", s.capacity_files ? Num(s.additional_files) : Json(nullptr)}};
  }
  const BindingLimit binding = BindingLimitOf(s);
  const double binding_days = BindingDays(binding);
  return {{"column", s.forecast.column},
          {"current_bytes", Num(s.current_bytes)},
          {"capacity_bytes", Num(s.capacity_bytes)},
          {"capacity_source", s.capacity_source},
          {"threshold_bytes", Num(s.threshold_bytes)},
          {"at_horizon", BandJson(s.at_horizon, s.forecast.bands_identified)},
          {"threshold_reached",
           CrossingJson(s.threshold, s.forecast.origin_s, s.forecast.bands_identified)},
          {"recent_rate", RecentRateJson(s.recent_rate, s.forecast.origin_s)},
          {"binding_limit", LimitName(binding.limit)},
          {"binding_days", binding_days == -INFINITY ? Json(0.0) : Num(binding_days)},
          {"recommended_capacity_bytes", Num(s.recommended_capacity_bytes)},
          {"additional_bytes", Num(s.additional_bytes)},
          {"forecast", ForecastToJson(s.forecast)},
          {"files", std::move(files)}};
}

// performance.device: the model (DeviceBasisJson) and the units demand is compared in.
Json DeviceUnitJson(Json device, const DemandUnit& unit) {
  device["unit"] = {{"curve", unit.curve},
                    {"demand", unit.demand},
                    {"device_requests_per_file_op", Num(unit.device_requests_per_op)},
                    {"comparable", unit.comparable},
                    {"mapping", unit.mapping},
                    {"mapping_statement", unit.mapping_statement}};
  return device;
}

Json PerformanceJson(const PerformancePlan& p) {
  Json usl = nullptr;
  if (p.usl) {
    const UslFit& u = *p.usl;
    usl = {{"sigma", Num(u.sigma)},
           {"kappa", Num(u.kappa)},
           {"lambda", Num(u.lambda)},
           {"sigma_stderr", Num(u.sigma_stderr)},
           {"kappa_stderr", Num(u.kappa_stderr)},
           {"lambda_stderr", Num(u.lambda_stderr)},
           {"n_star", Num(u.n_star)},
           {"x_max", Num(u.x_max)},
           {"r_squared", Num(u.r_squared)},
           {"points", u.points},
           {"residual_dof", u.residual_dof},
           {"warnings", u.warnings}};
  }
  Json latency = Json::array();
  for (const ObjectivePlan& o : p.objectives)
    latency.push_back({{"quantile", o.objective.quantile},
                       {"objective_us", Num(o.objective.latency_us)},
                       {"base_us", Num(o.fit.base_us)},
                       {"saturation_ops_per_s", Num(o.fit.saturation_ops_per_s)},
                       {"fitted_ops_per_s", Num(o.fitted_ops_per_s)},
                       {"objective_ops_per_s", Num(o.objective_ops_per_s)},
                       {"beyond_measured_range", o.beyond_measured_range},
                       {"measured_ops_per_s", Num(o.measured_ops_per_s)},
                       {"warnings", o.fit.warnings}});
  Json demand = nullptr;
  if (p.demand) {
    demand = {{"current_ops_per_s", Num(p.demand->last_value)},
              {"peak_at_horizon", BandJson(p.peak_at_horizon, p.demand->bands_identified)},
              {"threshold_ops_per_s", Num(p.threshold_ops_per_s)},
              {"threshold_reached",
               p.unit.comparable
                   ? CrossingJson(p.threshold, p.demand->origin_s, p.demand->bands_identified)
                   : Json(nullptr)},  // units differ: not computed
              {"forecast", ForecastToJson(*p.demand)}};
  }
  Json shadow_timed = Json::array();
  for (const PerformancePlan::ShadowTimedStep& s : p.shadow_timed)
    shadow_timed.push_back({{"concurrency", s.concurrency},
                            {"ops_per_s", Num(s.ops_per_s)},
                            {"model_share", Num(s.model_share)}});
  return {{"usl", std::move(usl)},
          {"latency", std::move(latency)},
          {"max_measured_ops_per_s", Num(p.max_measured_ops_per_s)},
          {"sustainable_ops_per_s", Num(p.sustainable_ops_per_s)},
          {"sustainable_basis", p.sustainable_basis},
          {"sustainable_lower_bound", p.sustainable_lower_bound},
          {"shadow_timed_steps", std::move(shadow_timed)},
          {"demand", std::move(demand)},
          {"recommended_ops_per_s", Num(p.recommended_ops_per_s)},
          {"device", DeviceUnitJson(DeviceBasisJson(p.device), p.unit)},
          {"headroom", Num(p.headroom)},
          {"headroom_now", Num(p.headroom_now)}};
}

Json DeviceCandidatesJson(const DeviceCandidates& c) {
  if (!c.evaluated) return {{"status", "none"}, {"reason", c.reason}};
  Json json = CandidatePlanToJson(*c.evaluated);
  json["status"] = "evaluated";
  json["basis"] = DeviceBasisJson(c.basis);
  json["basis"]["statement"] = CandidatesBasisStatement(c);
  return json;
}

// Prometheus text: one HELP/TYPE block per metric name, samples under it.
class Exposition {
 public:
  void Gauge(const std::string& name, const std::string& help) {
    out_ += "# HELP sfsg_forecast_" + name + " " + help + "\n";
    out_ += "# TYPE sfsg_forecast_" + name + " gauge\n";
    name_ = name;
  }
  // Non-finite values other than +Inf are skipped: the exposition never carries NaN.
  void Sample(double value, const std::string& labels = "") {
    if (std::isnan(value) || value == -INFINITY) return;
    char buf[64];
    if (std::isinf(value))
      std::snprintf(buf, sizeof(buf), "+Inf");
    else
      std::snprintf(buf, sizeof(buf), "%.17g", value);
    out_ +=
        "sfsg_forecast_" + name_ + (labels.empty() ? "" : "{" + labels + "}") + " " + buf + "\n";
  }
  // Bands not identified (zero width, no error measured): the expected value alone.
  void Band(const std::string& name, const std::string& help, const sfsg::Band& b,
            bool bands_identified) {
    Gauge(name, help);
    Sample(b.expected, "band=\"expected\"");
    if (!bands_identified) return;
    Sample(b.lower80, "band=\"lower80\"");
    Sample(b.upper80, "band=\"upper80\"");
    Sample(b.lower95, "band=\"lower95\"");
    Sample(b.upper95, "band=\"upper95\"");
  }
  void Crossing(const std::string& name, const std::string& help, const sfsg::Crossing& c,
                double origin_s, bool bands_identified) {
    Gauge(name, help);
    auto seconds = [&](const std::optional<double>& t) { return t ? *t - origin_s : INFINITY; };
    Sample(seconds(c.expected_s), "bound=\"expected\"");
    if (!bands_identified) return;
    Sample(seconds(c.earliest_s), "bound=\"earliest\"");
    Sample(seconds(c.latest_s), "bound=\"latest\"");
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_, name_;
};

}  // namespace

Result<Json> PlanToJson(const CapacityPlan& plan) {
  Json objectives = Json::array();
  for (const Objective& o : plan.objectives)
    objectives.push_back({{"quantile", o.quantile}, {"latency_us", Num(o.latency_us)}});
  Json json = {
      {"format", kForecastFormat},
      {"version", kForecastVersion},
      {"created_unix", Num(plan.created_unix)},
      {"origin_unix", Num(plan.origin_unix)},
      {"horizon_s", Num(plan.horizon_s)},
      {"horizon_days", Num(plan.horizon_s / kDay)},
      {"buffer", Num(plan.buffer)},
      {"objectives", std::move(objectives)},
      {"low_confidence", plan.low_confidence},
      {"warnings", plan.warnings},
      {"storage", plan.storage ? StorageJson(*plan.storage) : Json(nullptr)},
      {"performance", plan.performance ? PerformanceJson(*plan.performance) : Json(nullptr)},
      {"device_candidates", DeviceCandidatesJson(plan.device_candidates)}};
  return json;
}

std::string PlanToPrometheus(const CapacityPlan& plan) {
  Exposition e;
  e.Gauge("created_timestamp_seconds", "When the plan was made.");
  e.Sample(plan.created_unix);
  e.Gauge("horizon_seconds", "Planning horizon.");
  e.Sample(plan.horizon_s);
  e.Gauge("buffer_ratio", "Fraction of capacity and throughput kept free.");
  e.Sample(plan.buffer);
  e.Gauge("low_confidence", "1 when the data was too thin for a confident plan.");
  e.Sample(plan.low_confidence ? 1 : 0);
  if (const auto& s = plan.storage) {
    e.Gauge("storage_info", "Models chosen for the storage forecast.");
    e.Sample(1, "model=\"" + std::string(ModelName(s->forecast.model)) + "\",seasonality=\"" +
                    s->forecast.seasonality.name + "\"");
    e.Gauge("storage_used_bytes", "Used bytes at the last sample.");
    e.Sample(s->current_bytes);
    e.Gauge("storage_capacity_bytes", "Capacity planned against.");
    e.Sample(s->capacity_bytes);
    e.Gauge("storage_threshold_bytes", "Capacity times (1 - buffer).");
    e.Sample(s->threshold_bytes);
    e.Band("storage_used_at_horizon_bytes", "Forecast used bytes at the horizon.", s->at_horizon,
           s->forecast.bands_identified);
    e.Crossing("storage_threshold_seconds",
               "Seconds from the last sample until the threshold is reached (+Inf: not found).",
               s->threshold, s->forecast.origin_s, s->forecast.bands_identified);
    if (const auto& r = s->recent_rate) {
      e.Gauge("storage_recent_rate_threshold_seconds",
              "Seconds from the last sample until the threshold is reached at the growth rate "
              "since it last changed (+Inf: not found).");
      e.Sample(r->threshold_s ? *r->threshold_s - s->forecast.origin_s : INFINITY);
      e.Gauge("storage_recent_rate_changed",
              "1 when the growth since the rate last changed differs from the whole "
              "history's by more than 3 standard errors (0: noise could explain it).");
      e.Sample(r->rate_changed ? 1 : 0);
    }
    e.Gauge("storage_recommended_capacity_bytes", "Capacity keeping the buffer to the horizon.");
    e.Sample(s->recommended_capacity_bytes);
    e.Gauge("storage_additional_bytes", "Capacity to add.");
    e.Sample(s->additional_bytes);
    // Inodes, like bytes, when the series says how many there are (the plan's inode threshold).
    if (s->files && s->capacity_files) {
      const ForecastResult& f = *s->files;
      e.Gauge("files_used", "Files (inodes) in use at the last sample.");
      e.Sample(f.last_value);
      e.Gauge("files_capacity", "Inodes the filesystem has.");
      e.Sample(*s->capacity_files);
      e.Gauge("files_threshold", "Inodes times (1 - buffer).");
      e.Sample(s->files_threshold_count);
      e.Band("files_used_at_horizon", "Forecast files in use at the horizon.",
             f.At(f.origin_s + f.horizon_s), f.bands_identified);
      e.Crossing("files_threshold_seconds",
                 "Seconds from the last sample until the inode threshold is reached (+Inf: not "
                 "found).",
                 s->files_threshold, f.origin_s, f.bands_identified);
      e.Gauge("files_recommended_capacity", "Inodes keeping the buffer to the horizon.");
      e.Sample(s->recommended_capacity_files);
    }
    // The limit the volume reaches first: inodes need a filesystem with more of them,
    // not more bytes.
    {
      e.Gauge("storage_binding_limit_info",
              "1, labelled with the limit reached first: bytes or inodes (more bytes alone "
              "do not add inodes).");
      e.Sample(1, std::string("limit=\"") + LimitName(BindingLimitOf(*s).limit) + "\"");
    }
  }
  if (const auto& p = plan.performance) {
    if (p->usl) {
      e.Gauge("usl_sigma", "USL contention coefficient.");
      e.Sample(p->usl->sigma);
      e.Gauge("usl_kappa", "USL coherency coefficient.");
      e.Sample(p->usl->kappa);
      e.Gauge("usl_lambda_ops_per_second", "USL single-worker throughput.");
      e.Sample(p->usl->lambda);
      if (p->usl->n_star) {
        e.Gauge("usl_peak_concurrency", "Concurrency of peak throughput (N*).");
        e.Sample(*p->usl->n_star);
      }
      if (p->usl->x_max) {
        e.Gauge("usl_peak_throughput_ops_per_second", "Peak throughput (X_max).");
        e.Sample(*p->usl->x_max);
      }
    }
    if (!p->objectives.empty()) {
      e.Gauge("objective_throughput_ops_per_second",
              "Throughput at which each latency objective is reached (fitted).");
      for (const ObjectivePlan& o : p->objectives)
        e.Sample(o.objective_ops_per_s, "quantile=\"" + o.objective.quantile + "\"");
    }
    e.Gauge("sustainable_throughput_ops_per_second", "Throughput sustained within the limits.");
    e.Sample(p->sustainable_ops_per_s);
    if (p->demand) {
      e.Band("demand_peak_ops_per_second", "Peak forecast demand until the horizon.",
             p->peak_at_horizon, p->demand->bands_identified);
      if (p->unit.comparable)
        e.Crossing("demand_threshold_seconds",
                   "Seconds until demand reaches sustainable throughput times (1 - buffer).",
                   p->threshold, p->demand->origin_s, p->demand->bands_identified);
      e.Gauge("recommended_throughput_ops_per_second", "Throughput keeping the buffer.");
      e.Sample(*p->recommended_ops_per_s);
      if (p->headroom) {
        e.Gauge("throughput_headroom_ratio", "1 - peak demand / sustainable throughput.");
        e.Sample(*p->headroom);
      }
    }
  }
  return e.Take();
}

}  // namespace sfsg
