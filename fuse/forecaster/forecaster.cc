#include "fuse/forecaster/forecaster.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>

#include "fuse/forecaster/alertmanager.h"
#include "fuse/forecaster/hooks.h"
#include "fuse/forecaster/ladder_process.h"
#include "fuse/forecaster/private_view.h"
#include "fuse/forecaster/prometheus_watch.h"
#include "generator/replay/replay.h"
#include "predictor/calibrate/model_writer.h"
#include "predictor/calibrate/passive.h"
#include "predictor/capacity_plan.h"
#include "predictor/meter.h"
#include "predictor/series.h"

namespace sfsg {
namespace {

double NowUnix() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

std::vector<AlertRule> MakeRules(const ForecasterConfig& c) {
  std::vector<AlertRule> rules;
  if (c.alert_days_to_full >= 0) {
    rules.push_back({"storage_days_to_full", "storage_days_to_full", true, c.alert_days_to_full,
                     "storage reaches capacity minus the buffer within the threshold (days; the " +
                         c.alert_days_bound + " date)"});
    // Inodes run out as surely as bytes (many small files): the same threshold and
    // bound, so "days to full" means one thing whichever runs out first.
    rules.push_back({"files_days_to_full", "files_days_to_full", true, c.alert_days_to_full,
                     "files (inodes) reach capacity_files minus the buffer within the threshold "
                     "(days; the " +
                         c.alert_days_bound + " date)"});
  }
  if (c.alert_slo)
    rules.push_back({"latency_objective", "slo_ratio_at_peak", false, 1.0,
                     "latency at the horizon's peak demand breaks the objective (ratio)"});
  if (!c.probes.empty() && c.probe_window_s > 0)
    rules.push_back({"probe_window", "probe_window_ratio", false, 1.0,
                     "a probe's duration at the horizon exceeds its window (ratio)"});
  const double headroom = c.alert_headroom < -1 ? c.buffer : c.alert_headroom;
  if (headroom >= 0)
    rules.push_back({"throughput_headroom", "throughput_headroom", true, headroom,
                     "throughput headroom at the horizon's peak is below the buffer (fraction)"});
  return rules;
}

// The usage rates a metering table carries (operation columns), as the workload model
// takes them. Nothing when the columns are missing or too short.
std::optional<Workload> FitWorkloadFromTable(const Workload& base, const UsageTable& table) {
  UsageRates rates;
  const char* columns[] = {"read_ops", "write_ops", "read_bytes", "write_bytes"};
  std::vector<double>* into[] = {&rates.read_ops_per_s, &rates.write_ops_per_s,
                                 &rates.read_bytes_per_s, &rates.write_bytes_per_s};
  std::vector<double> times;
  for (int i = 0; i < 4; ++i) {
    auto series = ExtractSeries(table, columns[i]);
    if (!series) return std::nullopt;
    if (i == 0) times = series->time_s;
    if (series->time_s != times) return std::nullopt;  // misaligned columns: keep the model
    *into[i] = series->values;
  }
  rates.time_unix = times;
  auto fitted = FitWorkloadToUsage(base, rates);
  if (!fitted) return std::nullopt;
  return *fitted;
}

// A figure the plan could not give (an empty optional, or not finite) is left out.
void PutFinite(std::map<std::string, double>& into, const char* name, std::optional<double> v) {
  if (v && std::isfinite(*v)) into[name] = *v;
}

// Days from `origin_s` to a crossing time.
std::optional<double> DaysTo(const std::optional<double>& t, double origin_s) {
  if (!t) return std::nullopt;
  return (*t - origin_s) / config::kDaySeconds;
}

// Days to a threshold crossing at the configured date (--alert-days-bound: the expected
// one by default): 0 when already past it; never reached within the search limit reads
// as very far away.
double DaysToFull(const Crossing& crossing, double origin_s, const std::string& bound) {
  if (crossing.already) return 0.0;
  const std::optional<double> days = DaysTo(bound == "earliest"     ? crossing.earliest_s
                                            : bound == "earliest80" ? crossing.earliest80_s
                                                                    : crossing.expected_s,
                                            origin_s);
  return days && std::isfinite(*days) ? *days : 1e9;
}

// What the alert rules look at, from the plan. A figure the plan could not give is left
// out, so its rule keeps its state (files_days_to_full without files and capacity_files
// columns, or when the files forecast failed).
std::map<std::string, double> AlertFigures(const CapacityPlan& plan, const std::string& bound) {
  std::map<std::string, double> figures;
  if (plan.storage) {
    const StoragePlan& s = *plan.storage;
    figures["storage_days_to_full"] = DaysToFull(s.threshold, s.forecast.origin_s, bound);
    if (s.files && s.capacity_files)
      figures["files_days_to_full"] = DaysToFull(s.files_threshold, s.files->origin_s, bound);
  }
  if (plan.performance) {
    const PerformancePlan& perf = *plan.performance;
    PutFinite(figures, "throughput_headroom", perf.headroom);
    // Demand in device requests and the curve in file operations (no mapping between
    // them) are not compared: the rule is not evaluated rather than fed their quotient.
    const double peak = perf.demand && perf.unit.comparable ? perf.peak_at_horizon.expected : -1;
    if (!perf.objectives.empty()) {
      const double within = perf.objectives[0].objective_ops_per_s;
      if (std::isfinite(peak) && peak >= 0 && std::isfinite(within) && within > 0)
        figures["slo_ratio_at_peak"] = peak / within;
      // An objective met at no load at all (0 ops/s) is broken whatever the demand.
      if (within == 0) figures["slo_ratio_at_peak"] = 1e9;
    }
  }
  return figures;
}

// The plan's figures for hooks, as SFSG_* environment variables.
std::map<std::string, std::string> HookEnvironment(const CapacityPlan& plan) {
  std::map<std::string, std::string> env;
  auto put = [&](const char* name, std::optional<double> value) {
    if (value && std::isfinite(*value))
      env[name] = std::to_string(static_cast<long long>(std::llround(*value)));
  };
  if (plan.storage) {
    const StoragePlan& s = *plan.storage;
    put("SFSG_RECOMMENDED_BYTES", s.recommended_capacity_bytes);
    put("SFSG_ADDITIONAL_BYTES", s.additional_bytes);
    put("SFSG_CAPACITY_BYTES", s.capacity_bytes);
    put("SFSG_USED_BYTES", s.current_bytes);
    const auto days = DaysTo(s.threshold.expected_s, s.forecast.origin_s);
    if (days && std::isfinite(*days)) env["SFSG_DAYS_TO_FULL"] = std::to_string(*days);
    if (s.files && s.capacity_files) {
      put("SFSG_FILES_USED", s.files->last_value);
      put("SFSG_FILES_CAPACITY", s.capacity_files);
      const auto files_days = DaysTo(s.files_threshold.expected_s, s.files->origin_s);
      if (files_days && std::isfinite(*files_days))
        env["SFSG_FILES_DAYS_TO_FULL"] = std::to_string(*files_days);
    }
  }
  if (plan.performance) {
    put("SFSG_RECOMMENDED_OPS_PER_S", plan.performance->recommended_ops_per_s);
    put("SFSG_SUSTAINABLE_OPS_PER_S", plan.performance->sustainable_ops_per_s);
  }
  const double horizon_days = plan.horizon_s / config::kDaySeconds;
  env["SFSG_HORIZON_DAYS"] = std::to_string(std::isfinite(horizon_days) ? horizon_days : 0.0);
  return env;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Forecaster::Forecaster(ForecasterConfig config, ShadowFs& fs, Invalidate invalidate,
                       DeviceControl device)
    : config_(std::move(config)),
      fs_(fs),
      invalidate_(std::move(invalidate)),
      device_control_(std::move(device)),
      device_given_(config_.device.has_value()),
      alerts_(MakeRules(config_), config_.hysteresis, config_.cooldown_s),
      curve_path_(config_.state_dir.empty() ? "" : config_.state_dir + "/curve.json") {
  fs_.board().Publish("alerts", alerts_.ToJson().dump(1) + "\n");
  if (!config_.alertmanager.empty()) {
    // Checked before the mount (sfsg-mount's PrepareLoop); a bad URL here is a bug.
    auto endpoint = ParseHttpEndpoint(config_.alertmanager, "--alertmanager");
    char host[256] = {};
    ::gethostname(host, sizeof(host) - 1);
    if (endpoint)
      alertmanager_ = std::make_unique<AlertmanagerSink>(
          *endpoint,
          std::map<std::string, std::string>{{"service", "sfsg"},
                                             {"instance", host},
                                             {"mountpoint", config_.mountpoint},
                                             {"watch", config_.watch}},
          3 * config_.interval_s);
    else
      spdlog::error("loop: {}", endpoint.error().message);
  }
}

Forecaster::~Forecaster() { Stop(); }

void Forecaster::Start() {
  thread_ = std::thread([this] {
    while (true) {
      (void)RunOnce();  // each step logs its own error
      std::unique_lock lock(mutex_);
      if (config_.max_rounds && rounds_.load() >= config_.max_rounds) break;
      if (wake_.wait_for(lock, std::chrono::duration<double>(config_.interval_s),
                         [this] { return stopping_; }))
        break;
    }
  });
}

void Forecaster::RequestStop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cancel_.store(true);
  wake_.notify_all();
}

void Forecaster::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

std::string Forecaster::UsagePath() const {
  return IsDirectory(config_.watch) || IsHttpUrl(config_.watch) ? config_.state_dir + "/usage.csv"
                                                                : config_.watch;
}

Status Forecaster::Meter() {
  if (IsHttpUrl(config_.watch)) {
    auto source =
        MakeWatchSource(config_.watch, config_.watch_select, config_.watch_bearer_token_file,
                        config_.watch_basic_auth_file, config_.horizon_s);
    if (!source) return source.error();
    if (Status fetched = FetchWatchedUsage(*source, NowUnix(), UsagePath()); !fetched)
      return fetched;
    spdlog::info("loop: fetched usage from {}", config_.watch);
    return Status::Ok();
  }
  if (!IsDirectory(config_.watch)) {
    if (::access(config_.watch.c_str(), R_OK) != 0)
      return Error::Io("--watch " + config_.watch + ": not a directory or a readable file");
    return Status::Ok();
  }
  // The same sample sfsg-meter takes of this path (see predictor/meter.h): a directory
  // below its mount point is walked, a mount point metered as df reports it.
  auto source = ResolveMeterSource(config_.watch);
  if (!source) return Error::Io("--watch " + source.error().message);
  auto sample = TakeSample(*source);
  if (!sample) return Error::Io("--watch " + sample.error().message);
  if (auto appended = AppendMeterSample(UsagePath(), *sample); !appended) return appended;
  spdlog::info("forecaster: metered {} {}, {} bytes under {}", sample->files,
               sample->files == 1 ? "entry" : "entries", sample->used_bytes, config_.watch);
  return Status::Ok();
}

Status Forecaster::Adjust() {
  auto table = LoadUsageTable(UsagePath());
  if (!table) return table.error();
  // Re-fit the workload's rate side when the series carries operation columns.
  if (table->columns.count("read_ops") && table->columns.count("write_ops")) {
    if (auto fitted = FitWorkloadFromTable(config_.workload, *table)) config_.workload = *fitted;
  }
  if (!config_.adjust) return Status::Ok();
  auto files = ExtractSeries(*table, "files");
  if (!files) return files.error();
  ForecastOptions options;
  options.horizon_s = config_.horizon_s;
  auto forecast = ForecastSeries(*files, options);
  if (!forecast) return forecast.error();
  const Profile& profile = fs_.ns().profile();
  const double profile_entries =
      static_cast<double>(profile.totals.files + profile.totals.symlinks);
  const double at_horizon = forecast->At(forecast->origin_s + config_.horizon_s).expected;
  if (!(profile_entries > 0) || !(at_horizon > 0)) return Status::Ok();
  const double target = at_horizon / profile_entries;
  const double before = fs_.ns().scale();
  auto change = fs_.Rescale(target);
  if (!change) return change.error();
  if (change->old_layers != change->new_layers) {
    config_.recipe.rescale_targets.push_back(target);
    fs_.board().Publish("recipe", ShadowRecipeToJson(config_.recipe).dump());
    spdlog::info("forecaster: re-scaled the shadow from {:.4g} to {:.4g} x the profile ({} {})",
                 before, fs_.ns().scale(), change->new_layers,
                 change->new_layers == 1 ? "layer" : "layers");
    if (invalidate_) invalidate_(*change);
  }
  return Status::Ok();
}

Status Forecaster::FitPassiveModel() {
  if (device_given_ || !config_.passive_model || !device_control_.install) return Status::Ok();
  if (!IsDirectory(config_.watch)) return Status::Ok();  // no device of ours to read
  auto table = LoadUsageTable(UsagePath());
  if (!table) return table.error();
  for (const char* column : kDiskstatsColumns)
    if (!table->columns.count(column)) return Status::Ok();  // not a block device
  auto calibration = FitPassive(*table);
  Result<DeviceModel> model =
      calibration ? ToDeviceModel(*calibration) : Result<DeviceModel>(calibration.error());
  if (!model) {
    // Too little history yet, or no I/O: said once, the figures stay the shadow's own.
    if (model.error().message != passive_last_error_)
      spdlog::info("forecaster: no passive device model yet: {}", model.error().message);
    passive_last_error_ = model.error().message;
    return Status::Ok();
  }
  passive_last_error_.clear();
  const std::string json = DeviceModelToJson(*model).dump();
  if (json == passive_installed_) return Status::Ok();
  if (!config_.state_dir.empty())
    if (Status saved = WriteDeviceModel(*model, config_.state_dir + "/device-passive.json"); !saved)
      spdlog::warn("forecaster: {}", saved.error().message);
  const bool first = passive_installed_.empty();
  device_control_.install(*model);
  passive_installed_ = json;
  config_.device = DeviceBasisFromModel(*model);
  config_.device_model = *model;
  spdlog::log(first ? spdlog::level::info : spdlog::level::debug,
              "forecaster: the shadow is timed by a passive model of {} (servers: {}; up to "
              "{:.0f} requests/s observed)",
              model->provenance.device.empty() ? config_.watch : model->provenance.device,
              model->servers, model->provenance.ops_per_s_max);
  return Status::Ok();
}

Status Forecaster::RunLoadLadder() {
  if (!config_.run_ladder || config_.mountpoint.empty()) return Status::Ok();
  LadderProcessOptions options;
  options.replay_binary = config_.replay_binary;
  options.target = config_.mountpoint;
  options.workload = config_.workload;
  options.ladder = config_.ladder;
  options.step_s = config_.step_s;
  options.warmup_s = config_.warmup_s;
  options.fs_pid = ::getpid();  // this process serves the mount; the child is the replayer
  options.work_dir = config_.state_dir;
  options.cancel = &cancel_;
  // The child runs in a private view of the mounts (see private_view.h): its open files
  // never make the user's `fusermount3 -u` fail, and an unmount during it stops it.
  PrivateViewRun run;
  const bool counting = config_.device.has_value() && device_control_.requests_served;
  const uint64_t served_before = counting ? device_control_.requests_served() : 0;
  auto curve = RunLadderProcess(options, [&](const std::function<void()>& spawn) {
    run = RunInPrivateView(config_.mountpoint, spawn, [this] {
      spdlog::info("forecaster: {} was unmounted: the load ladder stops", config_.mountpoint);
      RequestStop();
    });
  });
  spdlog::debug("forecaster: the load ladder ran {}",
                run.isolated ? "in a private view of the mounts" : "among the daemon's own mounts");
  if (run.unmounted) return Status::Ok();  // cut short on purpose: nothing to keep
  if (!curve) return curve.error();
  // Device requests per file operation: what the emulated device served during the
  // ladder over the ladder's operations (the curve counts the measured part of each
  // step; the warm-up's operations are added in proportion).
  // The curve carries it (and the model's name), so a plan made from the saved curve
  // later, by this loop or by sfsg-predict, maps the diskstats demand the same way.
  if (counting) {
    const uint64_t served = device_control_.requests_served() - served_before;
    double ops = 0;
    for (const CurveStep& step : curve->steps) ops += static_cast<double>(step.total.ops);
    if (config_.step_s > 0) ops *= (config_.step_s + config_.warmup_s) / config_.step_s;
    if (ops > 0 && served > 0) {
      curve->device_requests_per_op = static_cast<double>(served) / ops;
      curve->device_model = config_.device->name;
    }
  }
  if (!curve->steps.empty())
    spdlog::info("forecaster: load ladder: filesystem {:.0f}% CPU, replayer {:.0f}% CPU at c={}",
                 curve->steps.back().filesystem.cpu_percent,
                 curve->steps.back().replayer.cpu_percent, curve->steps.back().concurrency);
  if (!curve_path_.empty())
    if (auto saved = SavePerfCurve(*curve, curve_path_); !saved) return saved;
  fs_.board().Publish("curve", PerfCurveToJson(*curve).dump(1) + "\n");
  return Status::Ok();
}

namespace {

// "5 h 10 min", "3 min 20 s", "12.5 s".
std::string HumanDuration(double s) {
  char text[64];
  if (s >= 3600 && std::fmod(s, 3600) < 60)
    std::snprintf(text, sizeof text, "%.0f h", std::floor(s / 3600));
  else if (s >= 3600)
    std::snprintf(text, sizeof text, "%.0f h %.0f min", std::floor(s / 3600),
                  std::floor(std::fmod(s, 3600) / 60));
  else if (s >= 60)
    std::snprintf(text, sizeof text, "%.0f min %.0f s", std::floor(s / 60), std::fmod(s, 60));
  else
    std::snprintf(text, sizeof text, "%.3g s", s);
  return text;
}

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& a : argv) text += (text.empty() ? "" : " ") + a;
  return text;
}

}  // namespace

Status Forecaster::RunProbes() {
  if (config_.probes.empty() || config_.mountpoint.empty()) return Status::Ok();
  Json results = Json::array();
  const bool at_horizon = config_.adjust && !config_.watch.empty();
  for (const std::vector<std::string>& argv : config_.probes) {
    ChildRun run;
    run.what = "probe";
    run.working_dir = config_.mountpoint;
    run.cancel = &cancel_;
    run.term_grace_s = 5;
    run.timeout_s = config_.probe_window_s > 0 ? 2 * config_.probe_window_s : 3600;
    const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    run.stdout_fd = null_fd;  // a probe's output is not the daemon's log
    Result<HookResult> result = Error::Io("probe: did not start");
    const PrivateViewRun view = RunInPrivateView(
        config_.mountpoint, [&] { result = RunChild(argv, run); }, [this] { RequestStop(); });
    if (null_fd >= 0) ::close(null_fd);
    if (view.unmounted) return Status::Ok();
    const std::string command = JoinArgv(argv);
    if (!result) {
      spdlog::warn("forecaster: {}", result.error().message);
      results.push_back({{"command", command}, {"error", result.error().message}});
      continue;
    }
    if (result->cancelled) return Status::Ok();
    const double window = config_.probe_window_s;
    std::string statement = "'" + command + "' takes " + (result->timed_out ? "more than " : "") +
                            HumanDuration(result->duration_s) +
                            (at_horizon ? " at the horizon" : " on the shadow as mounted");
    if (window > 0) statement += "; the window is " + HumanDuration(window);
    if (result->exit_status != 0 && !result->timed_out)
      statement += " (it exited " + std::to_string(result->exit_status) + ")";
    // Whose time it is: a device model's (named), or the shadow's own.
    statement += config_.device ? "; timed by device model '" + config_.device->name + "'"
                                : "; at the shadow's own speed, which describes no real device";
    spdlog::info("forecaster: probe: {}", statement);
    results.push_back(
        {{"command", command},
         {"duration_s", result->duration_s},
         {"timed_out", result->timed_out},
         {"exit_status", result->exit_status},
         {"at_horizon", at_horizon},
         {"shadow_scale", fs_.ns().scale()},
         {"window_s", window > 0 ? Json(window) : Json()},
         {"fits_window",
          window > 0 ? Json(!result->timed_out && result->duration_s <= window) : Json()},
         {"basis", DeviceBasisJson(config_.device)},
         {"statement", statement}});
  }
  probe_results_ = std::move(results);
  // No --watch: no plan will carry them, so the no-forecast document does.
  if (config_.watch.empty()) fs_.board().PublishNoForecast(kNoUsageHistory, probe_results_);
  return Status::Ok();
}

// Until a plan has been made, /.sfsg/forecast says why there is none (the error of the
// last attempt); after one, a failed round keeps the last plan (the warning is logged).
Status Forecaster::Predict() {
  Status s = PredictOnce();
  if (!s && !forecast_published_) fs_.board().PublishNoForecast(s.error().message);
  return s;
}

Status Forecaster::PredictOnce() {
  PlanInputs inputs;
  auto usage = LoadUsageTable(UsagePath());
  if (!usage) return usage.error();
  inputs.usage = *usage;
  if (!curve_path_.empty() && ::access(curve_path_.c_str(), R_OK) == 0) {
    auto curve = LoadPerfCurve(curve_path_);
    if (!curve) return curve.error();
    inputs.curve = std::move(*curve);
  }
  inputs.horizon_s = config_.horizon_s;
  inputs.buffer = config_.buffer;
  inputs.objectives = {Objective{config_.slo_quantile, config_.slo_us}};
  inputs.created_unix = NowUnix();
  inputs.device = config_.device;
  inputs.device_model = config_.device_model;
  // Without --source-capacity, the series' capacity_bytes column (see Meter()).
  if (config_.capacity_bytes > 0)
    inputs.capacity_bytes = static_cast<double>(config_.capacity_bytes);
  auto plan = MakeCapacityPlan(inputs);
  if (!plan) return plan.error();
  auto json = PlanToJson(*plan);
  if (!json) return json.error();
  (*json)["loop"] = {{"round", rounds_.load() + 1},
                     {"last_run_unix", NowUnix()},
                     {"watch", config_.watch},
                     {"shadow_scale", fs_.ns().scale()},
                     {"shadow_layers", fs_.ns().layer_count()},
                     {"shadow_entries", fs_.ns().entry_count()},
                     {"workload", DescribeWorkload(config_.workload)}};
  (*json)["probes"] = probe_results_;
  const std::string text = json->dump(1) + "\n";
  fs_.board().Publish("forecast", text);
  forecast_published_ = true;
  fs_.board().Publish("metrics_extra", PlanToPrometheus(*plan));
  if (auto saved = WriteFileAtomic(config_.state_dir + "/forecast.json", text); !saved)
    spdlog::warn("forecaster: {}", saved.error().message);
  std::map<std::string, double> figures = AlertFigures(*plan, config_.alert_days_bound);
  double worst = -1;  // the longest probe over its window
  for (const Json& p : probe_results_)
    if (p.contains("duration_s") && p["window_s"].is_number())
      worst = std::max(worst, p["duration_s"].get<double>() / p["window_s"].get<double>());
  if (worst >= 0) figures["probe_window_ratio"] = worst;
  AlertAndScale(figures, *plan);
  return Status::Ok();
}

void Forecaster::AlertAndScale(const std::map<std::string, double>& figures,
                               const CapacityPlan& plan) {
  const double now = NowUnix();
  const std::vector<AlertEvent> events = alerts_.Evaluate(figures, now);
  fs_.board().Publish("alerts", alerts_.ToJson().dump(1) + "\n");
  if (alertmanager_)
    if (Status pushed = alertmanager_->Push(events, now); !pushed)
      spdlog::warn("loop: alertmanager: {} (sent again next round)", pushed.error().message);
  if (events.empty()) return;
  std::ofstream log(config_.state_dir + "/alerts.jsonl", std::ios::app);
  for (const AlertEvent& e : events) {
    spdlog::log(e.state == "firing" ? spdlog::level::warn : spdlog::level::info, "alert: {}",
                e.message);
    log << AlertEventToJson(e).dump() << "\n";
    std::map<std::string, std::string> env = {{"SFSG_ALERT", e.name},
                                              {"SFSG_ALERT_STATE", e.state},
                                              {"SFSG_ALERT_MESSAGE", e.message},
                                              {"SFSG_VALUE", std::to_string(e.value)},
                                              {"SFSG_THRESHOLD", std::to_string(e.threshold)},
                                              {"SFSG_MOUNTPOINT", config_.mountpoint},
                                              {"SFSG_SCALE_MODE", config_.scale_mode}};
    for (const auto& [key, value] : HookEnvironment(plan)) env[key] = value;
    auto run = [&](const std::vector<std::string>& argv, const char* what) {
      auto result = RunHook(argv, env, config_.hook_timeout_s, config_.hook_dir);
      if (!result) {
        spdlog::error("{} hook: {}", what, result.error().message);
        log << Json{{"time_unix", NowUnix()},
                    {"hook", what},
                    {"command", argv},
                    {"alert", e.name},
                    {"error", result.error().message}}
                   .dump()
            << "\n";
        return;
      }
      spdlog::info("{} hook {} exited {}{} after {:.2f}s", what, argv[0], result->exit_status,
                   result->timed_out ? " (timed out, killed)" : "", result->duration_s);
      log << Json{{"time_unix", NowUnix()},
                  {"hook", what},
                  {"command", argv},
                  {"alert", e.name},
                  {"exit_status", result->exit_status},
                  {"timed_out", result->timed_out}}
                 .dump()
          << "\n";
    };
    if (!config_.on_alert.empty()) run(config_.on_alert, "on-alert");
    if (e.state == "firing" && !config_.on_scale.empty()) {
      if (config_.scale_mode == "execute") {
        run(config_.on_scale, "on-scale");
      } else {
        spdlog::info("on-scale hook {} not run: --scale-mode dry-run (recommended bytes {})",
                     config_.on_scale[0],
                     env.count("SFSG_RECOMMENDED_BYTES") ? env["SFSG_RECOMMENDED_BYTES"]
                                                         : std::string("unknown"));
        log << Json{{"time_unix", NowUnix()},
                    {"hook", "on-scale"},
                    {"command", config_.on_scale},
                    {"alert", e.name},
                    {"dry_run", true}}
                   .dump()
            << "\n";
      }
    }
  }
}

Status Forecaster::RunOnce() {
  Status status = Status::Ok();
  const bool watching = !config_.watch.empty();
  for (auto step : {&Forecaster::Meter, &Forecaster::Adjust, &Forecaster::FitPassiveModel,
                    &Forecaster::RunLoadLadder, &Forecaster::RunProbes, &Forecaster::Predict}) {
    if (!watching && step != &Forecaster::RunLoadLadder && step != &Forecaster::RunProbes) continue;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    if (Status s = (this->*step)(); !s) {
      spdlog::warn("forecaster: {}", s.error().message);
      if (status) status = s;
    }
  }
  rounds_.fetch_add(1);
  return status;
}

}  // namespace sfsg
