// sfsg-predict: capacity plans and forecast backtests from the command line.
// Options are parsed here into PlanInputs / ForecastOptions; the work is the library's.
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "generator/perf_curve.h"
#include "generator/util/command_line.h"
#include "generator/util/json_io.h"
#include "generator/util/status_macros.h"
#include "generator/util/units.h"
#include "generator/util/version.h"
#include "predictor/capacity_plan.h"
#include "predictor/fleet.h"
#include "predictor/procurement.h"
#include "predictor/prometheus_source.h"
#include "predictor/report.h"

namespace po = boost::program_options;

namespace sfsg {
namespace {

constexpr const char* kUsage =
    "usage: sfsg-predict [plan] --usage SERIES [--curve CURVE] [options]\n"
    "       sfsg-predict [plan] --usage SERIES --usage SERIES... (a fleet: one plan each)\n"
    "       sfsg-predict [plan] --usage http://PROMETHEUS:9090 [--select mountpoint=/srv]\n"
    "       sfsg-predict [plan] --curve CURVE [--slo p99=20ms] [options]\n"
    "       sfsg-predict backtest SERIES [--column used_bytes] [--horizon 1d]\n"
    "Forecast storage and demand, fit performance curves, and plan capacity.\n"
    "See sfsg-predict(1).\n";

// What `backtest` adds (its own --help lists all of its options).
constexpr const char* kBacktestHelp =
    "backtest options (sfsg-predict backtest SERIES ...; see sfsg-predict backtest --help):\n"
    "  --column arg          column to backtest (default used_bytes, or the only column)\n"
    "  --json                print the FORECAST JSON with the column and warnings\n"
    "  --horizon arg         the horizon whose backtest is shown (default 1d), scored as\n"
    "                        the plan scores it (at most a third of the history); the options "
    "above\n"
    "                        from --folds to --output apply too\n";

// The most grid points --max-points may ask for: far beyond any useful series, and
// bounded so that the models' memory stays bounded too.
constexpr uint64_t kMaxPointsLimit = 10000000;

int Fail(const Error& error) { return ReportFailure("sfsg-predict", error); }

// Thrown for a positional argument no command takes: an option error, so GuardedMain
// reports it as a usage error.
struct UnexpectedArgument : po::error {
  explicit UnexpectedArgument(const std::string& argument)
      : po::error("unexpected argument '" + argument + "'") {}
};

// Numbers are kept as text and checked in ToForecastOptions: Boost reads "-1" into an
// unsigned as its largest value.
struct CommonOptions {
  std::string horizon = std::to_string(static_cast<int>(sfsg::config::kHorizonDays)) + "d";
  std::string folds = "30";
  std::string max_points = "10000";
  std::string level_shifts = "auto";
  std::string seed = "1";
  std::vector<std::string> events;  // --event DATE=KIND, repeatable
  std::string output;               // -o FILE; empty: stdout
};

void AddCommon(po::options_description& d, CommonOptions& c) {
  d.add_options()("horizon", po::value(&c.horizon), "planning horizon (90d, 12w, 1y)")(
      "folds", po::value(&c.folds), WithDefault("backtest origins", c.folds).c_str())(
      "max-points", po::value(&c.max_points),
      WithDefault("aggregate longer series to this many points (0: never)", c.max_points).c_str())(
      "level-shifts", po::value(&c.level_shifts),
      "auto|on|off: find imports, clean-ups, migrations and retention (default auto: for "
      "used_bytes, files, capacity_bytes)")(
      "event", po::value(&c.events)->composing(),
      "DATE=KIND: a known step in level (KIND import, migration, cleanup or retention); "
      "repeatable")("seed", po::value(&c.seed),
                    WithDefault("seed for sampled estimators", c.seed).c_str())(
      "output,o", po::value(&c.output), "write the output to FILE instead of stdout");
}

Result<ForecastOptions> ToForecastOptions(const CommonOptions& c) {
  ForecastOptions f;
  auto horizon = ParseDurationSeconds(c.horizon, "--horizon");
  if (!horizon) return horizon.error();
  if (!(*horizon > 0)) return Error::Usage("--horizon: must be positive");
  f.horizon_s = *horizon;
  auto folds = ParseCount(c.folds, "--folds");
  if (!folds) return folds.error();
  if (*folds < 1 || *folds > 100)
    return Error::Usage("--folds: '" + c.folds + "' is out of range (use 1..100)");
  f.folds = *folds;
  auto max_points = ParseCount(c.max_points, "--max-points");
  if (!max_points) return max_points.error();
  if ((*max_points != 0 && *max_points < 100) || *max_points > kMaxPointsLimit)
    return Error::Usage("--max-points: '" + c.max_points + "' is out of range (0, or 100.." +
                        std::to_string(kMaxPointsLimit) + ")");
  f.max_points = *max_points;
  if (c.level_shifts == "auto")
    f.level_shifts = LevelShiftMode::kAuto;
  else if (c.level_shifts == "on")
    f.level_shifts = LevelShiftMode::kOn;
  else if (c.level_shifts == "off")
    f.level_shifts = LevelShiftMode::kOff;
  else
    return Error::Usage("--level-shifts: use auto, on or off");
  SFSG_ASSIGN_OR_RETURN(f.seed, ParseCount(c.seed, "--seed"));
  for (const std::string& text : c.events) {
    auto event = ParseEvent(text);
    if (!event) return event.error();
    f.events.push_back(*event);
  }
  return f;
}

Status Emit(const std::string& text, const std::string& path) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return FlushStdout();
  }
  return WriteFileAtomic(path, text);
}

// Options parsed from `args`: the first positional argument goes to the option named
// `positional` (none when nullptr); any other (a mistyped command, a stray word) is
// refused, never ignored.
void ParseArgs(const std::vector<std::string>& args, const po::options_description& options,
               const char* positional, po::variables_map& vm) {
  po::options_description all;
  all.add(options).add_options()("unexpected-argument",
                                 po::value<std::vector<std::string>>()->composing());
  po::positional_options_description order;
  if (positional) {
    all.add_options()(positional, po::value<std::string>());
    order.add(positional, 1);
  }
  order.add("unexpected-argument", -1);
  // Stored here: the parsed options point into `all`.
  const po::parsed_options parsed =
      po::command_line_parser(args).options(all).positional(order).run();
  for (const po::option& o : parsed.options)
    if (o.string_key == "unexpected-argument" && !o.value.empty())
      throw UnexpectedArgument(o.value.front());
  po::store(parsed, vm);
}

// Exit status after printing help: 0, or 3 when stdout cannot take it.
int HelpWritten() { return FlushStdoutExit("sfsg-predict"); }

int BacktestCommand(const std::vector<std::string>& args) {
  CommonOptions common;
  common.horizon = "1d";
  std::string column;
  bool json = false;
  po::options_description options("backtest options");
  options.add_options()("help,h", "this help")(
      "column", po::value(&column), "column to backtest (default used_bytes, or the only column)")(
      "json", po::bool_switch(&json), "print the FORECAST JSON with the column and warnings");
  AddCommon(options, common);
  po::variables_map vm;
  ParseArgs(args, options, "series", vm);
  po::notify(vm);
  const std::string series_path = vm.count("series") ? vm["series"].as<std::string>() : "";
  if (vm.count("help")) {
    std::cout << kUsage << options;
    return HelpWritten();
  }
  if (series_path.empty()) return Fail(Error::Usage("backtest: give a SERIES file"));
  auto forecast_options = ToForecastOptions(common);
  if (!forecast_options) return Fail(forecast_options.error());
  auto table = LoadUsageTable(series_path);
  if (!table) return Fail(table.error());
  if (column.empty())
    column = table->columns.count("used_bytes") || table->columns.size() != 1
                 ? "used_bytes"
                 : table->columns.begin()->first;
  auto series = ExtractSeries(*table, column);
  if (!series) return Fail(series.error());
  auto forecast = ForecastSeries(*series, *forecast_options);
  if (!forecast) return Fail(forecast.error());
  std::string out;
  if (json) {
    Json doc = ForecastToJson(*forecast);
    doc["column"] = column;
    doc["warnings"] = forecast->warnings;
    out = doc.dump(2) + "\n";
  } else {
    out = BacktestReport(*forecast, series_path);
  }
  Status written = Emit(out, common.output);
  return written ? 0 : Fail(written.error());
}

// Options of the Prometheus source and of procurement, as typed.
struct SourceOptions {
  std::vector<std::string> selectors;
  std::string bearer_token_file, basic_auth_file, range, step, end;
};

struct ProcurementText {
  std::string lead_time, increment, cost_per_tib;
};

void AddSourceAndProcurement(po::options_description& d, SourceOptions& s, ProcurementText& p) {
  d.add_options()("select", po::value(&s.selectors)->composing(),
                  "with a Prometheus URL: LABEL=VALUE (or !=, =~, !~) over mountpoint, device, "
                  "instance, job, fstype (repeatable; none: every filesystem)")(
      "bearer-token-file", po::value(&s.bearer_token_file),
      "with a Prometheus URL: send this file's token (Authorization: Bearer)")(
      "basic-auth-file", po::value(&s.basic_auth_file),
      "with a Prometheus URL: basic auth from this file's USER:PASSWORD line")(
      "range", po::value(&s.range),
      "with a Prometheus URL: history to fetch (default: 2 x horizon, at least 7d)")(
      "step", po::value(&s.step),
      "with a Prometheus URL: query step (default: range / max-points, rounded, >= 15s)")(
      "end", po::value(&s.end), "with a Prometheus URL: end of the history (default: now)")(
      "lead-time", po::value(&p.lead_time),
      "procurement lead time: prints the order-by date (threshold date - lead time)")(
      "increment", po::value(&p.increment),
      "purchase unit: recommendations rounded up to whole units (e.g. 10TiB)")(
      "cost-per-tib", po::value(&p.cost_per_tib), "price of one TiB: prices the purchase");
}

Result<ProcurementOptions> ToProcurement(const ProcurementText& t) {
  ProcurementOptions o;
  if (!t.lead_time.empty()) {
    SFSG_ASSIGN_OR_RETURN(o.lead_time_s, ParseDurationSeconds(t.lead_time, "--lead-time"));
  }
  if (!t.increment.empty()) {
    auto b = ParseBytes(t.increment, "--increment");
    if (!b) return b.error();
    if (*b == 0) return Error::Usage("--increment: must be positive");
    o.increment_bytes = static_cast<double>(*b);
  }
  if (!t.cost_per_tib.empty()) {
    SFSG_ASSIGN_OR_RETURN(o.cost_per_tib, ParsePositiveNumber(t.cost_per_tib, "--cost-per-tib"));
  }
  return o;
}

// The live source's settings, checked before any request is made.
Result<PrometheusSource> ToPrometheusSource(const std::string& url, const SourceOptions& s,
                                            const ForecastOptions& forecast) {
  PrometheusSource source;
  SFSG_ASSIGN_OR_RETURN(source.endpoint, ParseHttpEndpoint(url, "--usage"));
  for (const std::string& text : s.selectors) {
    auto selector = ParsePromSelector(text);
    if (!selector) return selector.error();
    source.selectors.push_back(*selector);
  }
  if (!s.bearer_token_file.empty()) {
    SFSG_ASSIGN_OR_RETURN(source.http.auth.bearer_token, ReadBearerTokenFile(s.bearer_token_file));
  }
  if (!s.basic_auth_file.empty()) {
    auto auth = ReadBasicAuthFile(s.basic_auth_file);
    if (!auth) return auth.error();
    source.http.auth.basic_user = auth->basic_user;
    source.http.auth.basic_password = auth->basic_password;
  }
  const PromWindow window = ChoosePromWindow(forecast.horizon_s, forecast.max_points);
  source.range_s = window.range_s;
  source.step_s = window.step_s;
  if (!s.range.empty()) {
    auto r = ParseDurationSeconds(s.range, "--range");
    if (!r) return r.error();
    if (!(*r > 0)) return Error::Usage("--range: must be positive");
    source.range_s = *r;
  }
  if (!s.step.empty()) {
    auto st = ParseDurationSeconds(s.step, "--step");
    if (!st) return st.error();
    if (*st < 1) return Error::Usage("--step: must be at least 1s");
    source.step_s = *st;
  }
  if (source.range_s / source.step_s > 11000)
    return Error::Usage("--range / --step: more than Prometheus' 11000 points per series");
  source.end_unix = static_cast<double>(std::time(nullptr));
  if (!s.end.empty()) {
    auto end = ParseTimestamp(s.end, "--end");
    if (!end) return Error::Usage(end.error().message);
    source.end_unix = *end;
  }
  return source;
}

// Every volume of every --usage source, in the order given.
Result<std::vector<UsageVolume>> LoadVolumes(const std::vector<std::string>& usage,
                                             const SourceOptions& s,
                                             const ForecastOptions& forecast) {
  bool any_url = false;
  for (const std::string& u : usage) any_url |= IsHttpUrl(u);
  if (!any_url &&
      (!s.selectors.empty() || !s.bearer_token_file.empty() || !s.basic_auth_file.empty() ||
       !s.range.empty() || !s.step.empty() || !s.end.empty()))
    return Error::Usage(
        "--select, --bearer-token-file, --basic-auth-file, --range, --step and --end need a "
        "Prometheus URL as --usage");
  std::vector<UsageVolume> all;
  for (const std::string& u : usage) {
    Result<std::vector<UsageVolume>> volumes = std::vector<UsageVolume>{};
    if (IsHttpUrl(u)) {
      auto source = ToPrometheusSource(u, s, forecast);
      if (!source) return source.error();
      volumes = FetchPrometheusVolumes(*source);
    } else {
      volumes = LoadUsageVolumes(u);
    }
    if (!volumes) return volumes.error();
    for (UsageVolume& v : *volumes) all.push_back(std::move(v));
  }
  return all;
}

// Plans each volume; a volume whose plan fails is kept with its error. Returns the exit
// status: 0, or the first failure's.
int RunFleet(const std::vector<UsageVolume>& volumes, const PlanInputs& common,
             const ProcurementOptions& procurement, bool json, bool prometheus,
             const std::string& report_path, const std::string& output_path) {
  Fleet fleet;
  fleet.created_unix = common.created_unix;
  fleet.procurement = procurement;
  int status = 0;
  for (const UsageVolume& v : volumes) {
    VolumeResult r;
    r.name = v.name;
    r.labels = v.labels;
    r.source = v.table.source;
    PlanInputs in = common;
    in.usage = v.table;
    auto plan = MakeCapacityPlan(in);
    if (plan) {
      if (plan->storage) r.procurement = MakeProcurement(*plan, procurement);
      r.plan = std::move(*plan);
    } else {
      std::fprintf(stderr, "sfsg-predict: %s: %s\n", v.name.c_str(), plan.error().message.c_str());
      r.error = plan.error();
      if (status == 0) status = plan.error().exit_code();
    }
    fleet.volumes.push_back(std::move(r));
  }
  RankWorstFirst(fleet);
  std::string out;
  if (json) {
    auto doc = FleetToJson(fleet);
    if (!doc) return Fail(doc.error());
    out = doc->dump(2) + "\n";
  } else if (prometheus) {
    out = FleetToPrometheus(fleet);
  } else {
    out = FleetToTable(fleet);
  }
  if (!report_path.empty()) {
    Status written = WriteFileAtomic(report_path, FleetToHtml(fleet));
    if (!written) return Fail(written.error());
  }
  Status written = Emit(out, output_path);
  if (!written) return Fail(written.error());
  return status;
}

int PlanCommand(const std::vector<std::string>& args) {
  CommonOptions common;
  SourceOptions source_options;
  ProcurementText procurement_text;
  std::vector<std::string> usage_paths;
  std::string curve_path, device_path, requests_per_op, capacity, report_path,
      buffer = std::to_string(static_cast<int>(sfsg::config::kBuffer * 100)) + "%";
  std::vector<std::string> slos;
  bool json = false, prometheus = false;
  po::options_description options("plan options");
  options.add_options()("help,h", "this help")("version", "print the version")(
      "usage,u", po::value(&usage_paths)->composing(),
      "usage series: CSV, Prometheus query_range JSON, or a Prometheus server URL "
      "(repeatable; several volumes give a fleet table)")(
      "curve,c", po::value(&curve_path), "performance curve JSON (sfsg-replay, fio import)")(
      "device", po::value(&device_path),
      "device model (sfsg-calibrate) the curve's shadow was timed by (sfsg-mount --device): "
      "named in the plan; with a read_ops/write_ops series and --slo, the plan also sizes "
      "candidate devices at the horizon's peak (no --curve needed)")(
      "requests-per-op", po::value(&requests_per_op),
      "device requests per file operation: maps the diskstats demand onto the curve's file "
      "operations (default: the ratio a device-timed shadow's ladder measured, when the "
      "curve carries one; none: the two are not compared)")(
      "buffer,b", po::value(&buffer), WithDefault("free fraction to keep", buffer).c_str())(
      "slo", po::value(&slos)->composing(),
      "latency objective QUANTILE=LATENCY, e.g. p99=20ms (repeatable; none by default)")(
      "capacity", po::value(&capacity), "capacity in bytes (default: the series' capacity_bytes)")(
      "json", po::bool_switch(&json), "print the sfsg-forecast JSON (sfsg-fleet for several)")(
      "prometheus", po::bool_switch(&prometheus), "print Prometheus text")(
      "report", po::value(&report_path), "also write a self-contained HTML report");
  AddSourceAndProcurement(options, source_options, procurement_text);
  AddCommon(options, common);
  po::variables_map vm;
  ParseArgs(args, options, nullptr, vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << kUsage << options << kBacktestHelp;
    return HelpWritten();
  }
  if (vm.count("version")) {
    std::cout << "sfsg-predict " << kVersion << "\n";
    return HelpWritten();
  }
  if (json && prometheus) return Fail(Error::Usage("--json and --prometheus exclude each other"));
  auto forecast_options = ToForecastOptions(common);
  if (!forecast_options) return Fail(forecast_options.error());
  if (usage_paths.empty() && curve_path.empty())
    return Fail(Error::Usage("give --usage SERIES, --curve CURVE or both (see --help)"));
  for (size_t i = 0; i < usage_paths.size(); ++i) {
    if (usage_paths[i].empty()) return Fail(Error::Usage("--usage: empty"));
    for (size_t j = 0; j < i; ++j)
      if (usage_paths[j] == usage_paths[i])
        return Fail(Error::Usage("--usage: '" + usage_paths[i] + "' is given twice"));
  }
  auto procurement = ToProcurement(procurement_text);
  if (!procurement) return Fail(procurement.error());
  PlanInputs in;
  in.forecast = *forecast_options;
  in.horizon_s = forecast_options->horizon_s;
  auto fraction = ParseFraction(buffer, "--buffer");
  if (!fraction) return Fail(fraction.error());
  if (*fraction >= 1) return Fail(Error::Usage("--buffer: must be below 100%"));
  in.buffer = *fraction;
  for (const std::string& text : slos) {
    auto objective = ParseObjective(text);
    if (!objective) return Fail(objective.error());
    in.objectives.push_back(*objective);
  }
  if (!capacity.empty()) {
    auto bytes = ParseCapacity(capacity, "--capacity", &in.capacity_note);
    if (!bytes) return Fail(bytes.error());
    if (*bytes == 0) return Fail(Error::Usage("--capacity: must be positive"));
    in.capacity_bytes = static_cast<double>(*bytes);
  }
  if (!curve_path.empty()) {
    auto curve = LoadPerfCurve(curve_path);
    if (!curve) return Fail(curve.error());
    in.curve = std::move(*curve);
  }
  if (!requests_per_op.empty()) {
    if (curve_path.empty())
      return Fail(Error::Usage(
          "--requests-per-op: maps demand onto a performance curve's file operations; give "
          "--curve"));
    auto ratio = ParsePositiveNumber(requests_per_op, "--requests-per-op");
    if (!ratio) return Fail(ratio.error());
    if (!std::isfinite(*ratio) || *ratio > 1e6)
      return Fail(Error::Usage("--requests-per-op: '" + requests_per_op +
                               "' is out of range (use a positive number up to 1e6)"));
    in.device_requests_per_op = *ratio;
  }
  if (!device_path.empty()) {
    auto model = ReadDeviceModel(device_path);
    if (!model) return Fail(model.error());
    in.device = DeviceBasisFromModel(*model);
    in.device_model = std::move(*model);
  }
  auto volumes = LoadVolumes(usage_paths, source_options, *forecast_options);
  if (!volumes) return Fail(volumes.error());
  in.created_unix = static_cast<double>(std::time(nullptr));
  if (volumes->size() > 1) {
    if (in.capacity_bytes)
      return Fail(Error::Usage("--capacity: one capacity cannot hold for " +
                               std::to_string(volumes->size()) +
                               " volumes (each takes its series' capacity_bytes)"));
    return RunFleet(*volumes, in, *procurement, json, prometheus, report_path, common.output);
  }
  if (volumes->size() == 1) in.usage = std::move(volumes->front().table);
  auto plan = MakeCapacityPlan(in);
  if (!plan) return Fail(plan.error());
  std::optional<Procurement> bought;
  if (procurement->any()) {
    if (!plan->storage)
      return Fail(Error::Usage(
          "--lead-time, --increment and --cost-per-tib need a storage plan (a used_bytes series)"));
    bought = MakeProcurement(*plan, *procurement);
  }
  std::string out;
  if (json) {
    auto doc = PlanToJson(*plan);
    if (!doc) return Fail(doc.error());
    if (bought) (*doc)["procurement"] = ProcurementToJson(*bought, *procurement);
    out = doc->dump(2) + "\n";
  } else if (prometheus) {
    out = PlanToPrometheus(*plan);
    if (bought) out += ProcurementToPrometheus(*bought, "");
  } else {
    out = PlanToTable(*plan);
    if (bought) out += "\n" + ProcurementToTable(*bought, *procurement);
  }
  if (!report_path.empty()) {
    Status written = WriteFileAtomic(report_path, PlanToHtml(*plan));
    if (!written) return Fail(written.error());
  }
  Status written = Emit(out, common.output);
  return written ? 0 : Fail(written.error());
}

}  // namespace
}  // namespace sfsg

int main(int argc, char** argv) {
  std::vector<std::string> args = sfsg::CommandArgs(argc, argv);
  return sfsg::GuardedMain("sfsg-predict", [&] {
    if (!args.empty() && args[0] == "backtest") {
      args.erase(args.begin());
      return sfsg::BacktestCommand(args);
    }
    if (!args.empty() && args[0] == "plan") args.erase(args.begin());
    return sfsg::PlanCommand(args);
  });
}
