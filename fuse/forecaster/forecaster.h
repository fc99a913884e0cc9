// Forecaster: the shadow that keeps predicting. A background thread inside sfsg-mount
// that, every interval, runs one round: meter -> adjust -> load ladder -> predict ->
// publish -> alert:
//
//  1. Meter: a directory source is metered as sfsg-meter meters it (TakeSample in
//     predictor/meter.h) and the row appended to STATE/usage.csv; a file source is a
//     usage series (CSV or Prometheus export, see sfsg-predict(1)) that something else
//     keeps growing; a Prometheus URL is fetched into STATE/usage.csv
//     (prometheus_watch.h).
//  2. Adjust: the files series is forecast to the horizon and the shadow re-scaled to
//     it (Namespace::Rescale: existing entries keep names and content); the kernel is
//     told what changed. The workload is re-fitted to the usage rates when the series
//     has operation columns, and scaled to the horizon's demand.
//     Passive model: with no --device and a watched device whose diskstats the series
//     holds, a passive device model is fitted from them (predictor/calibrate/passive.h)
//     and the mount timed by it (STATE/device-passive.json); the plan says it covers
//     only the load observed. Until the history allows a fit, the figures stay the
//     shadow's own.
//  3. Load ladder: sfsg-replay runs the ladder against the mount itself as a child
//     process (ladder_process.h), so the curve (STATE/curve.json) has the filesystem's
//     CPU apart from the load generator's.
//     With a device model, the device requests served per file operation of the ladder
//     are counted, so the plan compares the demand (diskstats: device requests) with
//     the curve (file operations) in one unit.
//     Probes (--probe): each user command is timed in the mount, in the same private
//     view, its duration the forecast for the horizon (plan "probes"). Without --watch
//     there is no plan and no horizon: the probes are timed on the shadow as mounted and
//     published in /.sfsg/forecast's no-forecast document.
//  4. Predict: the capacity plan from the usage series and the curve. With a device
//     model and a demand series, the candidate device configurations are evaluated at
//     the horizon's peak (plan "device_candidates", predictor/candidates.h).
//  5. Publish: /.sfsg/forecast, /.sfsg/curve, /.sfsg/alerts, gauges in /.sfsg/metrics.
//  6. Alert and scale: AlertEngine rules; each transition is logged, appended to
//     STATE/alerts.jsonl, and runs the --on-alert hook; a firing alert with a
//     recommendation runs the --on-scale hook (dry run unless scale_mode is "execute").
//     Each hook run is logged and appended to alerts.jsonl: its exit status, or the
//     error that kept it from starting. With config.alertmanager, alerts are also
//     pushed to Alertmanager, firing and resolved (alertmanager.h).
//
// Thread-safety: Start/Stop from one thread; RunOnce is also callable directly (tests,
// --rounds 1). The forecaster only reads the ShadowFs through its thread-safe interface.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fuse/config.h"
#include "fuse/forecaster/alerts.h"
#include "fuse/shadow_fs.h"
#include "generator/shadow_recipe.h"
#include "generator/util/status.h"
#include "generator/workload.h"
#include "predictor/capacity_plan.h"
#include "predictor/config.h"
#include "predictor/device_basis.h"

namespace sfsg {

// /.sfsg/forecast's reason when the mount has no --watch (so nothing to plan from).
inline constexpr const char* kNoUsageHistory =
    "this mount has no usage history to forecast from: mount with --watch DIR|CSV|URL "
    "to forecast (--replay alone runs only the load ladder and the probes)";

struct ForecasterConfig {
  std::string watch;       // directory to meter, a usage series file, or a Prometheus URL
  std::string state_dir;   // usage.csv, curve.json, forecast.json, alerts.jsonl
  std::string mountpoint;  // where the shadow is mounted (the load ladder's target)
  double interval_s = config::kForecasterIntervalSeconds;  // time between rounds
  uint32_t max_rounds = 0;                                 // 0: until stopped
  double horizon_s = config::kHorizonSeconds;
  double buffer = config::kBuffer;                        // keep this fraction free
  std::string slo_quantile = config::kObjectiveQuantile;  // "p50", "p90", "p99", "p999"
  double slo_us = config::kObjectiveLatencyUs;            // latency objective
  uint64_t capacity_bytes = 0;                            // 0: the series' capacity_bytes column
  // The device model the shadow is timed by (sfsg-mount --device): the ladder then
  // measures the modelled device, and the plan, /.sfsg/forecast and the report name the
  // model and its validation error. None: they say the figures are the shadow's own.
  std::optional<DeviceBasis> device;
  std::optional<DeviceModel> device_model;  // that model (as scaled), for the candidates
  // Without --device: fit a passive model from the watched device's diskstats each
  // round and time the shadow by it (see Forecaster::FitPassiveModel).
  bool passive_model = true;
  bool adjust = true;      // re-scale the shadow to the horizon
  bool run_ladder = true;  // run the load ladder each round
  std::vector<uint32_t> ladder{std::begin(config::kLadder), std::end(config::kLadder)};
  std::string replay_binary;  // the sfsg-replay the ladder runs; "": beside this program
  double step_s = config::kLadderStepSeconds, warmup_s = config::kLadderWarmupSeconds;
  Workload workload = DefaultWorkload();
  // Alert thresholds (a negative value disables the rule). alert_days_to_full is the
  // threshold of both days-to-full rules: storage_days_to_full (used bytes reach
  // capacity x (1 - buffer)) and files_days_to_full (files reach capacity_files x
  // (1 - buffer), when the series has both columns); whichever runs out first fires.
  double alert_days_to_full = config::kAlertDaysToFull;
  // Which date of those forecasts the days-to-full rules read: "expected" (the forecast
  // path), "earliest80" (the upper 80% band) or "earliest" (the upper 95% band).
  std::string alert_days_bound = "expected";
  double alert_headroom = -2;  // below this fraction of throughput headroom; -2: the buffer
  bool alert_slo = true;       // latency at the horizon's peak demand above the objective
  double hysteresis = config::kAlertHysteresis, cooldown_s = config::kAlertCooldownSeconds;
  std::vector<std::string> on_alert, on_scale;  // argument vectors; empty: none
  // User probes: commands (argument vectors) timed each round in the mount, after the
  // ladder, against the horizon-scaled, device-timed shadow; their durations are the
  // forecast of how long they take at the horizon. probe_window_s > 0: the time they
  // must fit in (an alert fires when one does not); a probe is stopped after twice the
  // window (one hour without a window).
  std::vector<std::vector<std::string>> probes;
  double probe_window_s = 0;
  std::string scale_mode = "dry-run";  // or "execute"
  double hook_timeout_s = config::kHookTimeoutSeconds;
  // What rebuilds the shadow as mounted; each re-scale that changes the layers is added
  // to it and published in /.sfsg/status (sfsg-replay rebuilds the namespace from it).
  ShadowRecipe recipe;
  // Hooks run in this directory (sfsg-mount's working directory when it started: the
  // daemon itself runs in /), so a relative hook path means what it meant to the user.
  std::string hook_dir;
  // With a Prometheus URL as watch: its label selectors and credential files
  // (fuse/forecaster/prometheus_watch.h).
  std::vector<std::string> watch_select;
  std::string watch_bearer_token_file, watch_basic_auth_file;
  std::string alertmanager;  // Alertmanager base URL the alerts are pushed to; "": none
};

class AlertmanagerSink;

// What the forecaster may ask of the mount's device emulation (sfsg-mount wires it to
// its DeviceGate); either may be empty.
struct DeviceControl {
  // Times the mount's replies by `model` from now on (a passive model).
  std::function<void(const DeviceModel& model)> install;
  // Requests the emulated device has served so far (those that occupied a server).
  std::function<uint64_t()> requests_served;
};

class Forecaster {
 public:
  using Invalidate = std::function<void(const RescaleChange&)>;
  // `invalidate` tells the kernel about a re-scale (may be empty in tests).
  Forecaster(ForecasterConfig config, ShadowFs& fs, Invalidate invalidate,
             DeviceControl device = {});
  ~Forecaster();
  Forecaster(const Forecaster&) = delete;
  Forecaster& operator=(const Forecaster&) = delete;

  void Start();        // the first round starts at once
  void RequestStop();  // no new round; returns at once
  void Stop();         // RequestStop, then waits for the round in progress

  // One round, synchronously. Errors are logged and returned; the loop goes on.
  Status RunOnce();
  uint64_t rounds() const { return rounds_.load(); }

 private:
  Status Meter();
  Status Adjust();
  Status FitPassiveModel();
  Status RunLoadLadder();
  Status RunProbes();
  Status Predict();
  Status PredictOnce();
  bool forecast_published_ = false;  // a plan is on /.sfsg/forecast (else its reason is)
  void AlertAndScale(const std::map<std::string, double>& figures, const CapacityPlan& plan);
  std::string UsagePath() const;

  ForecasterConfig config_;
  ShadowFs& fs_;
  Invalidate invalidate_;
  DeviceControl device_control_;
  bool device_given_ = false;           // --device: no passive model replaces it
  std::string passive_installed_;       // the passive model in force (its JSON), "" none
  std::string passive_last_error_;      // logged once until it changes
  Json probe_results_ = Json::array();  // the last round's probes
  AlertEngine alerts_;
  std::unique_ptr<AlertmanagerSink> alertmanager_;  // with config.alertmanager
  std::string curve_path_;
  std::atomic<uint64_t> rounds_{0};
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};  // set with stopping_: cuts a running ladder short
};

}  // namespace sfsg
