// CapacityPlan: what to do, from what was measured. Joins the usage forecast (storage and
// demand) with the performance curve (USL and latency fits) over a planning horizon with a
// safety buffer: the dates each limit is reached, and the capacity and throughput to
// provision so the buffer holds to the horizon.
//
// MakeCapacityPlan() is the library's front door (sfsg-predict and the mount's forecast
// loop both call it). The plan is a plain value; PlanToJson(), PlanToPrometheus() and
// PlanToTable() render it. All are pure and thread-safe; the cost is that of the
// forecasts (see forecast.h), well under a second.
//
// JSON schema "sfsg-forecast" version 1 (what /.sfsg/forecast serves). Numbers are finite
// or null, never NaN; times are unix seconds; "days" fields count from "origin_unix";
// a threshold not reached within the search limit has null times.
//   {
//     "format": "sfsg-forecast", "version": 1,
//     "created_unix": number, "origin_unix": number (time of the last sample),
//     "horizon_s": number, "horizon_days": number, "buffer": number (0..1),
//     "objectives": [{"quantile": "p99", "latency_us": number}],
//     "low_confidence": bool, "warnings": [string],
//     "storage": null | {
//       "column": "used_bytes", "current_bytes": number,
//       "capacity_bytes": number, "capacity_source": "option" | "series",
//       "threshold_bytes": number (capacity x (1 - buffer)),
//       "at_horizon": BAND, "threshold_reached": CROSSING,
//       "recent_rate": null | {"threshold_unix", "threshold_days": number | null,
//                              "search_days", "recent_slope_per_day",
//                              "history_slope_per_day",
//                              "slope_change_stderr_per_day": number,
//                              "rate_changed": bool, "far_from_plan": bool}
//                      (StoragePlan::recent_rate: when the growth since the rate last
//                       changed reaches the threshold; null times: not within the search),
//       "binding_limit": "bytes" | "inodes", "binding_days": number | null
//                      (BindingLimitOf: 0 already reached, null not within the search),
//       "recommended_capacity_bytes": number, "additional_bytes": number,
//       "forecast": FORECAST,
//       "files": null | {"current": number, "at_horizon": BAND, "forecast": FORECAST,
//                        "capacity_files": number | null, "threshold_files": number | null,
//                        "threshold_reached": CROSSING | null,
//                        "recommended_capacity_files", "additional_files": number | null}
//     },
//     "performance": null | {
//       "usl": null | {"sigma", "kappa", "lambda": number, "sigma_stderr",
//                      "kappa_stderr", "lambda_stderr", "n_star", "x_max": number | null,
//                      "r_squared": number | null, "points": number,
//                      "residual_dof": number, "warnings": [string]},
//                     (the stderr fields and r_squared are null when residual_dof is 0)
//       "latency": [{"quantile": string, "objective_us": number, "base_us": number,
//                    "saturation_ops_per_s": number, "fitted_ops_per_s": number,
//                    "objective_ops_per_s": number (fitted, capped at the largest
//                    measured and the USL peak), "beyond_measured_range": bool,
//                    "measured_ops_per_s": number, "warnings": [string]}],
//       "max_measured_ops_per_s": number,
//       "sustainable_ops_per_s": number, "sustainable_basis": string,
//       "sustainable_lower_bound": bool (the busiest rung was timed by the shadow's own
//                                  request path, not the device model: the device's is higher),
//       "shadow_timed_steps": [{"concurrency", "ops_per_s", "model_share": number}],
//       "demand": null | {"current_ops_per_s": number, "peak_at_horizon": BAND,
//                         "threshold_ops_per_s": number (sustainable x (1 - buffer)),
//                         "threshold_reached": CROSSING, "forecast": FORECAST},
//       "recommended_ops_per_s": number | null,
//       "headroom": number | null (1 - the horizon's expected peak / sustainable),
//       "headroom_now": number | null (1 - the last demand / sustainable),
//       "device": {"model": null | {"name", "mode", "created_utc", "target",
//                                   "filesystem", "device": string,
//                                   "validation": null | {"throughput_error",
//                                     "p99_error", "usl_peak_error": number | null,
//                                     "validated_utc": string}},
//                  "statement": string (which model, or that the figures are the
//                                       shadow's own and describe no real device),
//                  "unit": {"curve": string, "demand": string,
//                           "device_requests_per_file_op": number | null,
//                           "comparable": bool,
//                           "mapping": "given" | "measured" | "none",
//                           "mapping_statement": string}}
//     },
//     "device_candidates": {"status": "none", "reason": string}
//                        | {"status": "evaluated", "basis": DEVICE (the model scaled),
//                           CandidatePlanToJson's fields (candidates.h)}
//   }
//   DEVICE   = DeviceBasisJson (device_basis.h): {"model": ..., "statement": string}
//   BAND     = {"expected": number, "lower80", "upper80", "lower95", "upper95": number | null}
//              (the bounds are null when the forecast's bands_identified is false)
//   CROSSING = {"already": bool, "earliest_unix", "expected_unix", "latest_unix",
//               "earliest_days", "expected_days", "latest_days",
//               "earliest80_days", "latest80_days": number | null}
//   FORECAST = {"model": string, "seasonality": "none" | "daily" | "weekly",
//               "step_s": number, "points": number, "filled_points": number,
//               "level_shifts": [{"time_unix": number, "size": number,
//                                 "kind": "cleanup" | "import" | "migration" | "retention",
//                                 "modelled": bool, "declared": bool}],
//               "backtest": {"folds": number, "horizon_steps": number,
//                            "lead_days": number, "selection_mase": number | null,
//                            "baseline_selection_mase": number | null,
//                            "best_baseline": string, "best_baseline_mase": number,
//                            "lowest_mase_model": string (the candidate ranked first),
//                            "fallback": null | "loses_to_baseline_choice" |
//                                        "loses_to_baseline_score" (why the best
//                                        baseline replaced it),
//                            "combined": [string] (the mean of these),
//                            "shrink_weight": number (0, 0.25, 0.5, 0.75),
//                            "shrink_toward": string | null (the baseline the
//                                             model's forecast is shrunk toward),
//                            "models": [{"model": string, "candidate": bool,
//                                        "baseline": bool,
//                                        "mase", "smape", "coverage80", "coverage95":
//                                        number | null}]},
//               "low_confidence": bool,
//               "bands_identified": bool (false: no error was measured; the bands
//                                         have zero width and mean nothing),
//               "path": [{"time_unix": number, BAND fields}] (at most 100, to the horizon)}
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generator/perf_curve.h"
#include "generator/util/json_io.h"
#include "generator/util/status.h"
#include "predictor/candidates.h"
#include "predictor/config.h"
#include "predictor/device_basis.h"
#include "predictor/forecast.h"
#include "predictor/latency_fit.h"
#include "predictor/objective.h"
#include "predictor/series.h"
#include "predictor/usl.h"

namespace sfsg {

inline constexpr const char* kForecastFormat = "sfsg-forecast";
inline constexpr int kForecastVersion = 1;

// A capacity as typed: "2PB", "500GB", "1.5TB" are decimal (SI: 10^15, 10^9, 10^12, as
// drives are sold); "2PiB", "2P", "500G" are binary (2^50, ...), as fio reads them; a bare
// number is bytes. `how` says which reading was taken ("2PB = 2e15 bytes (decimal)").
// Errors: kUsage naming `what` and the text.
Result<double> ParseCapacity(std::string_view text, std::string_view what, std::string* how);

struct PlanInputs {
  std::optional<UsageTable> usage;  // used_bytes (+ capacity_bytes, files, op counters)
  std::optional<PerfCurve> curve;
  double horizon_s = config::kHorizonSeconds;
  double buffer = config::kBuffer;  // keep this fraction of capacity and throughput free
  std::vector<Objective> objectives;
  std::optional<double> capacity_bytes;  // else the series' last capacity_bytes
  std::string capacity_note;             // how an option's capacity was read (for the table)
  ForecastOptions forecast;              // its horizon_s is replaced by horizon_s above
  double created_unix = 0;               // stamped into the plan (the caller's clock)
  // The device model the curve's shadow was timed by (sfsg-mount --device); none: the
  // curve is the shadow's own speed, and the plan says so.
  std::optional<DeviceBasis> device;
  // That model itself: with a demand series (diskstats) and an objective, the plan
  // evaluates the candidate device configurations at the horizon's peak (candidates.h)
  // against the first objective. None: no candidates, and the plan says why.
  std::optional<DeviceModel> device_model;
  // Device requests per file operation, as given (sfsg-predict --requests-per-op). The
  // usage series' read_ops/write_ops count the device's requests (diskstats) while the
  // curve counts file operations: demand is divided by this ratio, so demand and
  // capacity are compared in file operations/s. None: the curve's own measured ratio
  // (PerfCurve::device_requests_per_op, from a device-timed shadow's ladder); neither:
  // the two stay in their own units and the plan says they are not comparable.
  std::optional<double> device_requests_per_op;
};

// In which units a plan compares demand with capacity ("performance.device.unit").
struct DemandUnit {
  std::string curve = "file operations/s";
  std::string demand = "device requests/s";  // after conversion, when converted
  std::optional<double> device_requests_per_op;
  bool comparable = false;
  // Where the ratio came from: "given" (an option), "measured" (the curve's ladder on a
  // device-timed shadow) or "none"; and that in a sentence for the reader.
  std::string mapping = "none";
  std::string mapping_statement;
};

// When the growth since the rate last changed (ForecastResult::recent_path, recent_linear)
// reaches the storage threshold, beside the plan's own date: the backtest, most of it
// from before a change, chooses a model of the whole history.
struct RecentRateCrossing {
  std::optional<double> threshold_s;  // unix time; unset: not reached within search_s
  double search_s = 0;                // how far the recent-rate path looks
  // The evidence that the rate changed: recent_linear's slope against the least-squares
  // slope of the whole history (modelled level steps taken out), per day, and the
  // standard error of their difference. The noise is measured about the line of the
  // recent third (the shortest window recent_linear fits), inflated for its lag-1
  // autocorrelation, and taken for both slopes: a change of rate does not inflate it.
  double recent_slope_per_day = 0, history_slope_per_day = 0;
  double slope_change_stderr_per_day = 0;
  // |recent - history| > config::kRateChangeStderrs standard errors.
  bool rate_changed = false;
  // rate_changed, and more than config::kRecentRateFarShare away from the plan's
  // expected date (or one of the two reached within the search and the other not): the
  // plan warns, and the gauge the alert rule reads is served.
  bool far_from_plan = false;
};

struct StoragePlan {
  ForecastResult forecast;  // used_bytes
  double current_bytes = 0;
  double capacity_bytes = 0;
  std::string capacity_source;  // "option" or "series"
  double threshold_bytes = 0;
  Band at_horizon;
  Crossing threshold;
  // None: no recent-rate path (the plan's model is recent_linear itself) or the
  // threshold is already reached.
  std::optional<RecentRateCrossing> recent_rate;
  // The 95% upper band's peak to the horizon / (1 - buffer), and never below what is
  // used now / (1 - buffer); below the present capacity when it is more than enough
  // (right-sizing: additional_bytes is then negative).
  double recommended_capacity_bytes = 0;
  double additional_bytes = 0;  // beyond the present capacity
  std::optional<ForecastResult> files;
  // Inodes, when the series has files and capacity_files: forecast to exhaustion like
  // bytes (threshold = capacity_files x (1 - buffer)).
  std::optional<double> capacity_files;
  double files_threshold_count = 0;
  Crossing files_threshold;
  // With capacity_files: the inodes that keep the buffer to the horizon (the 95% upper
  // band's peak of files / (1 - buffer), never below files now / (1 - buffer)), as
  // recommended_capacity_bytes is for bytes; additional_files beyond capacity_files.
  double recommended_capacity_files = 0;
  double additional_files = 0;
};

// Which of a volume's limits it reaches first: bytes (used_bytes against the threshold)
// or inodes (files against capacity_files x (1 - buffer)). Inodes bind when their
// expected date is earlier than the bytes' (already reached counts as earliest; a date
// not within the search limit as latest), or, both expected dates equal or unreached,
// their 95% band's earliest date is; bytes otherwise, and without an inode threshold.
// Most filesystems fix their inode count when they are made (ext4, XFS without
// imaxpct headroom): bytes added do not add inodes, and bytes taken away take inodes
// with them.
enum class Limit { kBytes, kInodes };
struct BindingLimit {
  Limit limit = Limit::kBytes;
  const Crossing* crossing = nullptr;  // into the StoragePlan (threshold or files_threshold)
  double origin_s = 0;                 // what its times count from
  double search_s = 0;                 // how far its forecast looked
};
BindingLimit BindingLimitOf(const StoragePlan& s);
// "bytes", "inodes".
const char* LimitName(Limit limit);
// Days from origin_s to the binding crossing's expected date: -inf when already reached,
// +inf when not reached within search_s.
double BindingDays(const BindingLimit& b);

// The change the recommendation asks of today's capacity, for a reader: "add 1.2 TiB",
// or "74.9 GiB more than needed to the horizon" (right-sizing). `amount`: |additional_bytes|
// as printed beside it, in the line's unit; empty: FormatBytes'.
// When the inodes bind (BindingLimitOf), the bytes beyond the recommendation are said to
// be kept: "0.6 TiB more than needed to the horizon, not reclaimable: shrinking the volume
// takes inodes away".
std::string CapacityChangeText(const StoragePlan& s, const std::string& amount = "");

// What a volume whose inodes run out first needs, for a reader, from the inodes that keep
// the buffer to the horizon and how many more that is than the filesystem has
// (StoragePlan::recommended_capacity_files, additional_files): within the horizon "a
// filesystem with more inodes (or a new one) is needed: 3.3M to the horizon, 1.3M more
// than it has"; beyond it "the 5.0M inodes it has hold to the horizon (3.8M needed); a
// filesystem with more inodes (or a new one) is needed after it". InodesNeeded: the former.
bool InodesNeeded(double additional_files);
std::string InodesNeedText(double recommended_files, double additional_files);

// Byte sizes in one unit (the largest's) with as many decimals (up to 4) as it takes to
// tell the given values apart: "used 1.6 PiB / threshold 1.6 PiB" hides the decision.
std::vector<std::string> DistinctBytes(const std::vector<double>& values);

// The table scores the chosen model on the folds it was chosen on (in sample); the choice
// itself is scored out of sample (BacktestSummary::selection_mase). When the best baseline's
// backtest MASE is lower than that and another model is used, this warning says so with both
// scores ("COLUMN: the best baseline drift scores backtest MASE 0.221, lower than the
// choice's out-of-sample MASE 0.237"); none otherwise (under 3 folds, after a fallback to
// the baseline, or when the baseline is itself chosen).
std::optional<std::string> BaselineBeatsChoiceWarning(const ForecastResult& f);

// What capped an objective's throughput (ObjectivePlan::capped_by), for a reader.
inline constexpr const char* kLargestMeasured = "the largest load measured";
inline constexpr const char* kUslPeak = "the USL peak";

struct ObjectivePlan {
  Objective objective;
  LatencyFit fit;
  double fitted_ops_per_s = 0;  // the latency fit's throughput at the objective, as fitted
  // What the plan and the alerts use: fitted_ops_per_s, capped at the largest measured
  // throughput and at the USL peak (a fit says nothing beyond what was measured).
  double objective_ops_per_s = 0;
  bool beyond_measured_range = false;  // the cap applied
  std::string capped_by;               // when it did: kLargestMeasured or kUslPeak
  double measured_ops_per_s = 0;       // largest measured throughput that met it
};

// The fitted throughput for a reader: "N ops/s", or "over 100 times the largest load
// measured" past that (a fitted curve that flat sets no bound worth a number).
std::string FittedRateText(const ObjectivePlan& o, double largest_measured);

struct PerformancePlan {
  std::vector<UslPoint> usl_points;
  std::optional<UslFit> usl;
  std::vector<ObjectivePlan> objectives;
  std::vector<LatencyPoint> p99_points;  // for reports
  double max_measured_ops_per_s = 0;
  double sustainable_ops_per_s = 0;
  std::string sustainable_basis;         // which limit set it
  std::optional<ForecastResult> demand;  // the "ops" series
  Band peak_at_horizon;
  double threshold_ops_per_s = 0;
  Crossing threshold;
  std::optional<double> recommended_ops_per_s;
  // 1 - demand / sustainable: at the horizon's expected peak, and at today's load.
  std::optional<double> headroom, headroom_now;
  std::optional<DeviceBasis> device;  // see PlanInputs::device
  DemandUnit unit;                    // see PlanInputs::device_requests_per_op
  // Rungs of a device-timed curve the shadow's own request path timed more than the
  // model did (CurveStep::device_model_share below kDeviceTimedShare): their figures
  // describe sfsg, not the device. When the busiest rung is one of them, the sustainable
  // throughput is a lower bound on the device's (`sustainable_lower_bound`).
  struct ShadowTimedStep {
    uint32_t concurrency = 0;
    double ops_per_s = 0;
    double model_share = 0;
  };
  std::vector<ShadowTimedStep> shadow_timed;
  bool sustainable_lower_bound = false;
};

// Why a sustainable figure is a lower bound (PerformancePlan::sustainable_lower_bound), in
// the table and the HTML report alike.
inline constexpr const char* kLowerBoundReason =
    "a lower bound: the busiest rung was timed by the shadow's own request path, not the "
    "device model";

// The candidate device configurations at the horizon's peak (PlanInputs::device_model).
struct DeviceCandidates {
  std::optional<CandidatePlan> evaluated;  // none: `reason` says why
  std::string reason;
  std::optional<DeviceBasis> basis;  // the model the candidates scale
};

// "candidates scale device model '...' (...); validated ..." (or "not validated").
std::string CandidatesBasisStatement(const DeviceCandidates& candidates);

struct CapacityPlan {
  double created_unix = 0;
  double origin_unix = 0;
  double horizon_s = 0;
  double buffer = 0;
  std::vector<Objective> objectives;
  std::optional<StoragePlan> storage;
  std::optional<PerformancePlan> performance;
  DeviceCandidates device_candidates;
  bool low_confidence = false;
  std::vector<std::string> warnings;
};

// What origin_unix is, for a reader: "last sample", or "curve measured" when no series was
// forecast (the origin is then the curve's time). The table and the HTML report alike.
const char* OriginLabel(const CapacityPlan& plan);

// REQUIRES: inputs.usage or inputs.curve. Errors: kUsage (nothing to plan, no capacity
// for a used_bytes series, buffer outside [0, 1)), kBadInput (a series too short to
// forecast, a curve too small for any fit), as the forecasts and fits report them.
Result<CapacityPlan> MakeCapacityPlan(const PlanInputs& inputs);

// The "sfsg-forecast" v1 document described above.
Result<Json> PlanToJson(const CapacityPlan& plan);
// One FORECAST object of that document (what `sfsg-predict backtest --json` prints).
Json ForecastToJson(const ForecastResult& forecast);
// Prometheus text exposition (gauges named sfsg_forecast_*), no NaN; +Inf for a limit
// not reached within the search limit.
std::string PlanToPrometheus(const CapacityPlan& plan);
// A human-readable table.
std::string PlanToTable(const CapacityPlan& plan);

}  // namespace sfsg
