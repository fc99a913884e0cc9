#include "fuse/mount_options.h"

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "fuse/config.h"
#include "fuse/forecaster/hooks.h"
#include "fuse/metrics_server.h"
#include "generator/util/command_line.h"
#include "generator/util/json_io.h"
#include "generator/util/option_error.h"
#include "generator/util/status_macros.h"
#include "generator/util/units.h"
#include "predictor/config.h"
#include "predictor/http_client.h"

namespace sfsg {
namespace po = boost::program_options;
namespace {

// -o keys that are not ours: what mount(8) passes for its own bookkeeping (ignored).
// Every other key that is not one of our long options goes to libfuse.
const std::set<std::string> kMountOnlyKeys = {
    "rw",     "defaults", "auto", "noauto", "user",  "nouser",   "users", "_netdev",
    "nofail", "exec",     "suid", "dev",    "async", "relatime", "atime", "diratime"};

// The long options -o accepts (as key or key=value, '_' for '-'): every option of the
// config file. "debug" is left to libfuse (its own -o debug), the rest make no sense there.
std::set<std::string> DashOKeys(const po::options_description& options) {
  std::set<std::string> keys;
  for (const auto& option : options.options()) {
    const std::string& key = option->long_name();
    if (key.empty() || key == "help" || key == "version" || key == "print-config" ||
        key == "option" || key == "debug")
      continue;
    keys.insert(key);
  }
  return keys;
}

// --device-floor: "40us" (every class), or classes with their own, "40us:stat=25us"
// (':' or ',' between items; ':' survives -o lists). Classes: read, write, metadata (every
// metadata operation), create, unlink, stat, readdir, fsync, rename, open. A bare
// duration sets every class first, then "metadata", then the single classes, whatever
// their order; each at most once, each in [0, 1s].
Result<RequestFloor> ParseDeviceFloor(const std::string& text) {
  RequestFloor floor;
  std::map<std::string, uint64_t> given;  // class ("" for the bare duration) -> ns
  std::string item;
  std::stringstream ss(text);
  while (std::getline(ss, item, text.find(':') != std::string::npos ? ':' : ',')) {
    const auto eq = item.find('=');
    const std::string name = eq == std::string::npos ? "" : item.substr(0, eq);
    const std::string value = eq == std::string::npos ? item : item.substr(eq + 1);
    bool known = name.empty() || name == "read" || name == "write" || name == "metadata";
    for (int i = 0; i < kMetadataOpCount; ++i)
      known |= name == MetadataOpName(static_cast<MetadataOp>(i));
    if (!known)
      return Error::Usage("--device-floor: unknown class '" + name +
                          "' (use read, write, metadata, create, unlink, stat, readdir, fsync, "
                          "rename, open)");
    if (given.count(name))
      return Error::Usage("--device-floor: '" + (name.empty() ? "a bare duration" : name) +
                          "' is given twice in '" + text + "'");
    auto seconds = ParseDurationSeconds(value, "--device-floor " + (name.empty() ? "" : name));
    if (!seconds) return seconds.error();
    if (!(*seconds >= 0) || *seconds > 1)
      return Error::Usage("--device-floor: '" + item + "' is not in [0, 1s]");
    given[name] = static_cast<uint64_t>(std::llround(*seconds * 1e9));
  }
  if (given.empty()) return Error::Usage("--device-floor: empty");
  if (given.count("")) floor = RequestFloor::Uniform(given[""]);
  if (given.count("metadata")) floor.metadata_ns.fill(given["metadata"]);
  if (given.count("read")) floor.read_ns = given["read"];
  if (given.count("write")) floor.write_ns = given["write"];
  for (int i = 0; i < kMetadataOpCount; ++i) {
    const std::string name(MetadataOpName(static_cast<MetadataOp>(i)));
    if (given.count(name)) floor.metadata_ns[i] = given[name];
  }
  return floor;
}

void SplitDashO(const std::string& list, const std::set<std::string>& own_keys,
                std::vector<std::string>& args, MountOptions& out) {
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    std::string key = item.substr(0, eq);
    for (char& c : key)
      if (c == '_') c = '-';
    if (own_keys.count(key)) {
      args.push_back("--" + key + (eq == std::string::npos ? "" : "=" + item.substr(eq + 1)));
    } else if (item == "ro") {
      out.read_only = true;
    } else if (!kMountOnlyKeys.count(item.substr(0, eq)) && item.rfind("x-", 0) != 0) {
      out.fuse_options.push_back(item);
    }
  }
}

// "key = value" lines of every option that has a value (the --print-config output,
// itself a valid --config file).
std::string DescribeOptions(const po::options_description& options, const po::variables_map& vm) {
  std::ostringstream out;
  for (const auto& option : options.options()) {
    const std::string& key = option->long_name();
    if (key.empty() || key == "help" || key == "version" || key == "print-config" ||
        key == "option" || key == "config")
      continue;
    if (!vm.count(key)) {
      out << "# " << key << " =\n";
      continue;
    }
    const boost::any& value = vm[key].value();
    if (const auto* text = boost::any_cast<std::string>(&value)) {
      out << key << " = " << *text << "\n";
    } else if (const auto* flag = boost::any_cast<bool>(&value)) {
      out << key << " = " << (*flag ? "true" : "false") << "\n";
    } else if (const auto* number = boost::any_cast<unsigned>(&value)) {
      out << key << " = " << *number << "\n";
    } else if (const auto* list = boost::any_cast<std::vector<std::string>>(&value)) {
      for (const std::string& item : *list) out << key << " = " << item << "\n";
    }
  }
  return out.str();
}

struct ForecasterTexts {
  std::string watch, interval, rounds, horizon, buffer, slo, source_capacity, ladder, step;
  std::string warmup, days_to_full, headroom, hysteresis, cooldown, on_alert, on_scale,
      hook_timeout, days_bound;
};

Status ParseForecasterOptions(const ForecasterTexts& t, bool no_adjust, bool no_stress,
                              bool no_slo_alert, MountOptions& out) {
  ForecasterConfig& f = out.forecaster;
  out.watch = !t.watch.empty();
  f.watch = t.watch;
  f.mountpoint = out.mountpoint;
  auto duration = [](const std::string& text, const char* what, double* into) -> Status {
    SFSG_ASSIGN_OR_RETURN(*into, ParseDurationSeconds(text, what));
    return Status::Ok();
  };
  SFSG_RETURN_IF_ERROR(duration(t.interval, "--interval", &f.interval_s));
  SFSG_RETURN_IF_ERROR(duration(t.horizon, "--horizon", &f.horizon_s));
  SFSG_RETURN_IF_ERROR(duration(t.step, "--step", &f.step_s));
  SFSG_RETURN_IF_ERROR(duration(t.warmup, "--warmup", &f.warmup_s));
  SFSG_RETURN_IF_ERROR(duration(t.cooldown, "--cooldown", &f.cooldown_s));
  SFSG_RETURN_IF_ERROR(duration(t.hook_timeout, "--hook-timeout", &f.hook_timeout_s));
  if (f.interval_s <= 0) return Error::Usage("--interval: must be positive");
  auto rounds = ParseCount(t.rounds, "--rounds");
  if (!rounds) return rounds.error();
  f.max_rounds = static_cast<uint32_t>(*rounds);
  SFSG_ASSIGN_OR_RETURN(f.buffer, ParseFraction(t.buffer, "--buffer"));
  SFSG_ASSIGN_OR_RETURN(f.hysteresis, ParseFraction(t.hysteresis, "--hysteresis"));
  const auto eq = t.slo.find('=');
  static const std::set<std::string> kQuantiles = {"p50", "p90", "p99", "p999"};
  if (eq == std::string::npos || !kQuantiles.count(t.slo.substr(0, eq)))
    return Error::Usage("--slo: '" + t.slo + "' is not QUANTILE=DURATION (p50|p90|p99|p999)");
  f.slo_quantile = t.slo.substr(0, eq);
  double slo_s = 0;
  SFSG_RETURN_IF_ERROR(duration(t.slo.substr(eq + 1), "--slo", &slo_s));
  if (slo_s <= 0) return Error::Usage("--slo: the objective must be positive");
  f.slo_us = slo_s * 1e6;
  if (!t.source_capacity.empty()) {
    SFSG_ASSIGN_OR_RETURN(f.capacity_bytes, ParseBytes(t.source_capacity, "--source-capacity"));
  }
  f.ladder.clear();
  std::stringstream ss(t.ladder);
  for (std::string item; std::getline(ss, item, ',');) {
    SFSG_ASSIGN_OR_RETURN(const auto v, ParseCount(item, "--ladder"));
    if (v < 1 || v > 1024) return Error::Usage("--ladder: '" + item + "' is not in 1..1024");
    f.ladder.push_back(static_cast<uint32_t>(v));
  }
  if (f.ladder.empty()) return Error::Usage("--ladder: needs at least one step");
  // The whole text a finite number ("12abc" and "nan" are not), named when it is not.
  const auto number = [](const std::string& text, const char* option) -> Result<double> {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
      return Error::Usage(std::string(option) + ": '" + text + "' is not a number");
    return v;
  };
  SFSG_ASSIGN_OR_RETURN(f.alert_days_to_full, number(t.days_to_full, "--alert-days-to-full"));
  if (t.days_bound != "expected" && t.days_bound != "earliest80" && t.days_bound != "earliest")
    return Error::Usage("--alert-days-bound: '" + t.days_bound +
                        "' is not expected, earliest80 or earliest");
  f.alert_days_bound = t.days_bound;
  f.alert_headroom = -2;
  if (!t.headroom.empty()) {
    SFSG_ASSIGN_OR_RETURN(f.alert_headroom, number(t.headroom, "--alert-headroom"));
  }
  f.alert_slo = !no_slo_alert;
  f.adjust = !no_adjust;
  f.run_ladder = !no_stress;
  if (f.scale_mode != "dry-run" && f.scale_mode != "execute")
    return Error::Usage("--scale-mode: '" + f.scale_mode + "' is not dry-run or execute");
  for (auto [text, into, name] : {std::tuple{&t.on_alert, &f.on_alert, "--on-alert"},
                                  std::tuple{&t.on_scale, &f.on_scale, "--on-scale"}}) {
    if (text->empty()) continue;
    auto argv = SplitCommand(*text);
    if (!argv) return Error::Usage(std::string(name) + ": " + argv.error().message);
    *into = *argv;
  }
  return Status::Ok();
}

}  // namespace

// The most a --config file may be: a few dozen options; /dev/zero is refused at this.
constexpr size_t kMaxConfigBytes = size_t{1} << 20;

// For each option set by the config file (not also on the command line), "FILE:LINE".
using ConfigOrigin = std::map<std::string, std::string>;

// The line of each key in a config file's text (parse_config_file's syntax: `key = value`,
// '#' comments, `[section]` prefixing later keys with "section.").
std::map<std::string, size_t> ConfigKeyLines(const std::string& text) {
  std::map<std::string, size_t> lines;
  std::istringstream in(text);
  std::string line, section;
  for (size_t number = 1; std::getline(in, line); ++number) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto last = line.find_last_not_of(" \t\r");
    if (line[first] == '[' && line[last] == ']') {
      section = line.substr(first + 1, last - first - 1) + ".";
      continue;
    }
    const auto equals = line.find('=', first);
    if (equals == std::string::npos) continue;
    std::string key = line.substr(first, equals - first);
    key.erase(key.find_last_not_of(" \t") + 1);
    lines.emplace(section + key, number);
  }
  return lines;
}

// The defaults of the forecaster's plan options, as --help shows them, from the one
// place they are set (predictor/config.h, generator/config.h).
std::string DefaultLadderText() {
  std::string text;
  for (const uint32_t c : config::kLadder) text += (text.empty() ? "" : ",") + std::to_string(c);
  return text;
}
const std::string kHorizonText = std::to_string(static_cast<int>(config::kHorizonDays)) + "d";
const std::string kBufferText = std::to_string(static_cast<int>(config::kBuffer * 100)) + "%";
const std::string kObjectiveText =
    std::string(config::kObjectiveQuantile) + "=" +
    std::to_string(static_cast<int>(config::kObjectiveLatencyUs / 1000)) + "ms";
const std::string kLadderText = DefaultLadderText();

Result<MountOptions> ParseMountOptionsFrom(int argc, char** argv, std::string* help_text,
                                           ConfigOrigin* origin) {
  MountOptions out;
  std::string seed, scale, files, dirs, bytes, capacity, timeout;
  std::string watch, interval, rounds, horizon, buffer, slo, source_capacity, ladder, step;
  std::string warmup, days_to_full, headroom, hysteresis, cooldown, on_alert, on_scale,
      hook_timeout, days_bound;
  std::vector<std::string> probes;
  std::string probe_window;
  bool no_adjust = false, no_stress = false, no_slo_alert = false;
  bool load_ladder = false, no_load_ladder = false;  // aliases of --replay, --no-stress
  po::options_description visible(
      "Usage: sfsg-mount [options] [PROFILE] MOUNTPOINT\n"
      "Mounts a shadow filesystem: a synthetic tree with the statistics of PROFILE\n"
      "(a profile JSON from sfsg-scan; default: the built-in one). Options");
  visible.add_options()("help,h", "print this help and exit")(
      "version,V", "print the version and exit")("profile,p", po::value(&out.profile_path),
                                                 "profile JSON, or 'builtin' (default)")(
      "seed,s", po::value(&seed)->default_value("1"), "seed: same seed, same shadow")(
      "scale", po::value(&scale)->default_value("1"),
      "multiply the profile's files, dirs and bytes")(
      "files", po::value(&files), "exact number of files and symlinks (suffixes: 1G = 10^9)")(
      "dirs", po::value(&dirs), "exact number of directories (default: profile's ratio)")(
      "bytes", po::value(&bytes), "total file bytes (suffixes: 2P = 2 PiB)")(
      "capacity", po::value(&capacity), "size that df reports (default: source capacity x scale)")(
      "writes,w", po::value(&out.writes)->default_value("memory"),
      "write overlay: discard | memory[:LIMIT] | dir:PATH[:LIMIT]")(
      "foreground,f", po::bool_switch(&out.foreground), "stay in the foreground")(
      "debug,d", po::bool_switch(&out.debug), "print every FUSE request (implies -f)")(
      "kernel-cache", po::bool_switch(&out.kernel_cache),
      "use the page cache (re-reads, mmap) instead of direct I/O")(
      "no-fill-helper", po::bool_switch(&out.no_fill_helper),
      "fill large reads on one thread only (no helper spinning on a second CPU)")(
      "allow-other", po::bool_switch(&out.allow_other), "let other users access the mount")(
      "threads,t", po::value(&out.threads)->default_value(config::kFuseThreads),
      "FUSE worker threads")("timeout", po::value(&timeout)->default_value("3600"),
                             "kernel cache time for names and attributes (s)")(
      "log-level", po::value(&out.log_level)->default_value("info"),
      "trace|debug|info|warn|error|off")(
      "log-file", po::value(&out.log_file),
      "append the log to FILE, or 'syslog' (default: stderr in the foreground; in the "
      "background STATE/sfsg-mount.log with a forecaster state directory, else syslog)")(
      "option,o", po::value<std::vector<std::string>>(),
      "mount options: any long option as key[=value] (seed=N,scale=X,writes=...), ro, "
      "and FUSE options")("config,c", po::value(&out.config_file),
                          "read options from FILE (key = value lines)")(
      "print-config", po::bool_switch(&out.print_config), "print the effective options and exit");
  po::options_description forecaster_options("Forecaster (see sfsg-mount(8), THE FORECASTER)");
  forecaster_options.add_options()(
      "watch", po::value(&watch),
      "meter this directory (or read this usage series file) and run the forecaster")(
      "replay", po::bool_switch(&out.replay), "run the load ladder on this mount each interval")(
      "load-ladder", po::bool_switch(&load_ladder), "the same as --replay")(
      "state-dir", po::value(&out.forecaster.state_dir),
      "where the forecaster keeps usage.csv, curve.json, forecast.json, alerts.jsonl")(
      "interval", po::value(&interval)->default_value("5m"), "time between forecaster rounds")(
      "rounds", po::value(&rounds)->default_value("0"),
      "stop the forecaster after N rounds (0: never)")(
      "horizon", po::value(&horizon)->default_value(kHorizonText), "planning horizon")(
      "buffer", po::value(&buffer)->default_value(kBufferText), "capacity to keep free")(
      "slo", po::value(&slo)->default_value(kObjectiveText), "latency objective QUANTILE=DURATION")(
      "source-capacity", po::value(&source_capacity),
      "capacity of the watched storage (default: the series' capacity_bytes; metered: the "
      "tree's bytes plus its filesystem's free space)")(
      "workload", po::value(&out.workload_path), "workload JSON (default: the built-in one)")(
      "ladder", po::value(&ladder)->default_value(kLadderText), "concurrency steps of the ladder")(
      "step", po::value(&step)->default_value("3s"), "measured time of each ladder step")(
      "warmup", po::value(&warmup)->default_value("0.5s"), "discarded start of each step")(
      "no-adjust", po::bool_switch(&no_adjust), "do not re-scale the shadow to the horizon")(
      "no-stress", po::bool_switch(&no_stress), "do not run the load ladder in the forecaster")(
      "no-load-ladder", po::bool_switch(&no_load_ladder), "the same as --no-stress")(
      "alert-days-to-full", po::value(&days_to_full)->default_value("30"),
      "alert when storage or inodes (files vs capacity_files) fill within this many days "
      "(-1: off)")(
      "alert-days-bound", po::value(&days_bound)->default_value("expected"),
      "which fill date those alerts read: expected, earliest80 (upper 80% band) or earliest "
      "(upper 95% band)")(
      "alert-headroom", po::value(&headroom),
      "alert when throughput headroom falls below this fraction (default: the buffer)")(
      "no-slo-alert", po::bool_switch(&no_slo_alert),
      "no alert when the objective breaks at the horizon's peak")(
      "hysteresis", po::value(&hysteresis)->default_value("10%"),
      "how far past its threshold a value must go back to resolve an alert")(
      "cooldown", po::value(&cooldown)->default_value("1h"), "least time between two firings")(
      "on-alert", po::value(&on_alert), "command (argv, no shell) run on each alert change")(
      "on-scale", po::value(&on_scale), "command run when a firing alert recommends scaling")(
      "scale-mode", po::value(&out.forecaster.scale_mode)->default_value("dry-run"),
      "dry-run (log what --on-scale would do) or execute")(
      "hook-timeout", po::value(&hook_timeout)->default_value("60s"), "kill a hook after this")(
      "watch-select", po::value(&out.forecaster.watch_select)->composing(),
      "with --watch http://PROMETHEUS: LABEL=VALUE (or !=, =~, !~) picking the one volume "
      "(mountpoint, device, instance, job, fstype; repeatable)")(
      "watch-bearer-token-file", po::value(&out.forecaster.watch_bearer_token_file),
      "with --watch http://...: send this file's bearer token")(
      "watch-basic-auth-file", po::value(&out.forecaster.watch_basic_auth_file),
      "with --watch http://...: basic auth from this file's USER:PASSWORD line")(
      "alertmanager", po::value(&out.forecaster.alertmanager),
      "push alerts (firing and resolved) to this Alertmanager (http://HOST:9093)")(
      "metrics-listen", po::value(&out.metrics_listen),
      "serve /.sfsg/metrics over HTTP at ADDRESS:PORT/metrics (e.g. 127.0.0.1:9105)")(
      "probe", po::value(&probes)->composing(),
      "time this command (argv, no shell) in the mount each round: its duration at the "
      "horizon (repeatable)")(
      "probe-window", po::value(&probe_window),
      "the time a probe must fit in (e.g. 4h): an alert fires when it does not");
  visible.add(forecaster_options);
  std::string device_scale, device_cache, device_floor;
  bool no_passive_model = false;
  po::options_description device_options("Device emulation (see sfsg-mount(8), DEVICE MODEL)");
  device_options.add_options()(
      "no-passive-model", po::bool_switch(&no_passive_model),
      "without --device: keep the shadow's own speed (no passive model of the watched "
      "device)")("device", po::value(&out.device_path),
                 "answer every request at the time this device model (sfsg-device JSON) gives")(
      "device-scale", po::value(&device_scale),
      "what-if: scale the model, e.g. parallelism=2,bandwidth=1.5,iops=2")(
      "device-cache", po::value(&device_cache),
      "what-if: the model's page cache size (e.g. 64G; 0: no cache)")(
      "device-floor", po::value(&device_floor),
      "the shadow's own time per request, measured with a zero-time model: subtracted "
      "from each model time above it; one for all (40us) or per class "
      "(40us:write=55us:stat=25us; read, write, metadata, create, unlink, stat, readdir, "
      "fsync, rename, open)");
  visible.add(device_options);
  // -o LIST, -oLIST, --option LIST, --option=LIST: mount-helper style, split here.
  const std::set<std::string> own_keys = DashOKeys(visible);
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-o" || a == "--option") {
      if (i + 1 >= argc) return Error::Usage(a + ": needs a list of options");
      SplitDashO(argv[++i], own_keys, args, out);
    } else if (a.rfind("--option=", 0) == 0) {
      SplitDashO(a.substr(9), own_keys, args, out);
    } else if (a.rfind("-o", 0) == 0 && a.size() > 2) {
      SplitDashO(a.substr(2), own_keys, args, out);
    } else {
      args.push_back(a);
    }
  }
  SFSG_ASSIGN_OR_RETURN(po::variables_map vm,
                        ParseCommandLine(args, visible, "see sfsg-mount --help", "positional", 2));
  if (!out.config_file.empty()) {
    // ReadTextFile: a FIFO nobody writes to reads as empty and /dev/zero stops at the
    // limit, where an ifstream would wait or read forever.
    auto text = ReadTextFile(out.config_file, kMaxConfigBytes);
    if (!text) return Error::Io("--config " + text.error().message);
    for (const auto& [key, line] : ConfigKeyLines(*text))
      if (!vm.count(key) || vm[key].defaulted())
        (*origin)[key] = out.config_file + ":" + std::to_string(line);
    std::istringstream config(*text);
    try {
      po::store(po::parse_config_file(config, visible, false), vm);
      po::notify(vm);
    } catch (const po::error& e) {
      return Error::Usage("config " + out.config_file + ": " + OptionErrorText(e));
    }
  }
  out.effective_config = DescribeOptions(visible, vm);
  *help_text = HelpText(visible);
  out.help = vm.count("help");
  out.version = vm.count("version");
  if (out.help || out.version) return out;
  const std::vector<std::string> pos = PositionalArgs(vm, "positional");
  if (pos.empty() && !out.print_config)
    return Error::Usage("missing MOUNTPOINT (see sfsg-mount --help)");
  if (pos.size() == 2) {
    if (!out.profile_path.empty())
      return Error::Usage("PROFILE given twice (positional and --profile)");
    out.profile_path = pos[0];
  }
  if (!pos.empty()) out.mountpoint = pos.back();
  if (!pos.empty() && out.mountpoint.empty())
    return Error::Usage("MOUNTPOINT is an empty string (see sfsg-mount --help)");
  if (out.profile_path == "builtin" || out.profile_path == "default") out.profile_path.clear();
  SFSG_ASSIGN_OR_RETURN(out.seed, ParseCount(seed, "--seed"));
  SFSG_ASSIGN_OR_RETURN(out.scale, ParsePositiveNumber(scale, "--scale"));
  if (!files.empty()) {
    SFSG_ASSIGN_OR_RETURN(const auto v, ParseCount(files, "--files"));
    if (v == 0) return Error::Usage("--files: must be at least 1");
    out.files = v;
  }
  if (!dirs.empty()) {
    SFSG_ASSIGN_OR_RETURN(const auto v, ParseCount(dirs, "--dirs"));
    if (v == 0) return Error::Usage("--dirs: must be at least 1");
    out.dirs = v;
  }
  if (!bytes.empty()) {
    SFSG_ASSIGN_OR_RETURN(const auto v, ParseBytes(bytes, "--bytes"));
    if (v == 0) return Error::Usage("--bytes: must be at least 1");
    out.bytes = v;
  }
  if (!capacity.empty()) {
    SFSG_ASSIGN_OR_RETURN(out.capacity_bytes, ParseBytes(capacity, "--capacity"));
  }
  SFSG_ASSIGN_OR_RETURN(out.entry_timeout_s, ParseDurationSeconds(timeout, "--timeout"));
  if (out.threads < 1 || out.threads > 256) return Error::Usage("--threads: must be 1..256");
  static const std::set<std::string> kLogLevels = {"trace",   "debug", "info",     "warn",
                                                   "warning", "error", "critical", "off"};
  if (!kLogLevels.count(out.log_level))
    return Error::Usage("--log-level: '" + out.log_level +
                        "' is not trace, debug, info, warn, error, critical or off");
  if (out.debug) out.foreground = true;
  if (!device_scale.empty())
    if (auto st = ParseDeviceScale(device_scale, out.device_scale); !st) return st.error();
  if (!device_cache.empty()) {
    SFSG_ASSIGN_OR_RETURN(out.device_scale.cache_bytes, ParseBytes(device_cache, "--device-cache"));
  }
  if (!device_floor.empty()) {
    SFSG_ASSIGN_OR_RETURN(out.device_floor, ParseDeviceFloor(device_floor));
  }
  if (out.device_path.empty() && (!device_scale.empty() || !device_cache.empty()))
    return Error::Usage(std::string(device_scale.empty() ? "--device-cache" : "--device-scale") +
                        ": needs --device MODEL.json");
  out.replay = out.replay || load_ladder;
  if (!out.metrics_listen.empty())
    if (auto a = ParseListenAddress(out.metrics_listen, "--metrics-listen"); !a) return a.error();
  if (!out.forecaster.alertmanager.empty())
    if (auto e = ParseHttpEndpoint(out.forecaster.alertmanager, "--alertmanager"); !e)
      return e.error();
  if (auto parsed =
          ParseForecasterOptions({watch, interval, rounds, horizon, buffer, slo, source_capacity,
                                  ladder, step, warmup, days_to_full, headroom, hysteresis,
                                  cooldown, on_alert, on_scale, hook_timeout, days_bound},
                                 no_adjust, no_stress || no_load_ladder, no_slo_alert, out);
      !parsed)
    return parsed.error();
  out.forecaster.passive_model = !no_passive_model;
  for (const std::string& text : probes) {
    auto argv = SplitCommand(text);
    if (!argv) return Error::Usage("--probe: " + argv.error().message);
    out.forecaster.probes.push_back(*argv);
  }
  if (!probe_window.empty()) {
    SFSG_ASSIGN_OR_RETURN(out.forecaster.probe_window_s,
                          ParseDurationSeconds(probe_window, "--probe-window"));
    if (!(out.forecaster.probe_window_s > 0))
      return Error::Usage("--probe-window: must be positive");
    if (probes.empty()) return Error::Usage("--probe-window: needs --probe COMMAND");
  }
  if (!probes.empty() && !out.watch && !out.replay)
    return Error::Usage("--probe: needs --watch or --replay (the forecaster runs probes)");
  return out;
}

// An error about a value that came from the config file names the file, the line and the
// key (`c.conf:3: seed: 'abc' is not a count`) instead of the option.
Result<MountOptions> ParseMountOptions(int argc, char** argv, std::string* help_text) {
  ConfigOrigin origin;
  auto parsed = ParseMountOptionsFrom(argc, argv, help_text, &origin);
  if (parsed || origin.empty()) return parsed;
  Error error = parsed.error();
  if (error.message.rfind("--", 0) == 0) {
    const auto end = error.message.find_first_of(": ", 2);
    const std::string key = error.message.substr(2, end == std::string::npos ? end : end - 2);
    if (const auto it = origin.find(key); it != origin.end())
      error.message = it->second + ": " + error.message.substr(2);
  }
  return error;
}

}  // namespace sfsg
