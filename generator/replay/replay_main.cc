// sfsg-replay: the load ladder, fio iolog replay, and fio job export / result import.
// Options are parsed here and only here; the work is in sfsg_replay.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "generator/namespace.h"
#include "generator/profile.h"
#include "generator/replay/fio.h"
#include "generator/replay/iolog.h"
#include "generator/replay/replay.h"
#include "generator/shadow_recipe.h"
#include "generator/util/command_line.h"
#include "generator/util/json_io.h"
#include "generator/util/status_macros.h"
#include "generator/util/units.h"

namespace sfsg {
namespace {
namespace po = boost::program_options;

struct CliOptions {
  std::string target, profile, seed, scale, files, dirs, file_size, workload;
  std::string ladder, rates, step = "5s", warmup = "1s", iolog, out, emit_fio, import_fio;
  std::string fio_directory, fio_runtime = "60s", fio_group = "group";
  // Numbers are read as text and checked here: Boost reads "-1" into an unsigned as
  // 4294967295.
  std::string max_concurrency, keep_open, fio_numjobs, fio_iodepth, hot_files, fio_files, fs_pid;
  bool ladder_given = false, rates_given = false;
  bool timed = false, quiet = false, fio_no_rate = false, help = false;
};

// SIGINT and SIGTERM stop a run cleanly: the handler sets the flag the ladder and the
// iolog replay poll, they remove their scratch directory, and Main then dies of the
// signal (so the caller still sees how the run ended).
std::atomic<bool> g_cancel{false};
volatile std::sig_atomic_t g_signal = 0;

extern "C" void OnStopSignal(int signal_number) {
  g_signal = signal_number;
  g_cancel.store(true, std::memory_order_relaxed);
}

void CatchStopSignals() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// After a cancelled run has cleaned up: dies of the signal that cancelled it.
void DieOfStopSignal() {
  if (g_signal == 0) return;
  std::fprintf(stderr, "sfsg-replay: stopped by signal %d; scratch directory removed\n",
               static_cast<int>(g_signal));
  std::signal(g_signal, SIG_DFL);
  std::raise(g_signal);
}

int Fail(const Error& e) { return ReportFailure("sfsg-replay", e); }

// Limits of the numeric options (the man page lists them).
constexpr uint64_t kMaxConcurrency = 4096;  // workers of a ladder step or the open-loop pool
constexpr uint64_t kMaxKeepOpen = 4096;     // descriptors per worker
constexpr uint64_t kMaxFioFiles = 1000000;
constexpr uint64_t kMaxFioNumjobs = 4096;
constexpr uint64_t kMaxFioIodepth = 65536;

// A whole number in [min, max] ("64", "1k"), or a usage error naming the option and value.
Result<uint64_t> ParseInRange(const std::string& text, const char* what, uint64_t min,
                              uint64_t max) {
  auto value = ParseCount(text, what);
  if (!value) return value.error();
  if (*value < min || *value > max)
    return Error::Usage(std::string(what) + ": '" + text + "' is out of range [" +
                        std::to_string(min) + ", " + std::to_string(max) + "]");
  return *value;
}

// A numeric option that may be absent: `fallback` when `text` is empty.
Result<uint64_t> OptionalInRange(const std::string& text, const char* what, uint64_t min,
                                 uint64_t max, uint64_t fallback) {
  if (text.empty()) return fallback;
  return ParseInRange(text, what, min, max);
}

// --fs-pid: a live process (its /proc entry is what gets sampled).
Result<int64_t> ParseFsPid(const std::string& text) {
  if (text.empty()) return int64_t{0};
  auto pid = ParseInRange(text, "--fs-pid", 1, 4194304);  // PID_MAX_LIMIT
  if (!pid) return pid.error();
  struct stat st;
  if (::stat(("/proc/" + std::to_string(*pid)).c_str(), &st) != 0)
    return Error::Usage("--fs-pid: '" + text + "': no such process");
  return static_cast<int64_t>(*pid);
}

// --ladder: concurrencies in [1, kMaxConcurrency], comma-separated, at least one.
Result<std::vector<uint32_t>> ParseLadder(const std::string& text) {
  std::vector<uint32_t> ladder;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto c = ParseInRange(item, "--ladder", 1, kMaxConcurrency);
    if (!c) return c.error();
    ladder.push_back(static_cast<uint32_t>(*c));
  }
  if (ladder.empty()) return Error::Usage("--ladder: '" + text + "' is an empty list");
  return ladder;
}

Result<std::vector<double>> ParseList(const std::string& text, const char* what) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto number = ParsePositiveNumber(item, what);
    if (!number) {
      auto count = ParseCount(item, what);
      if (!count || *count == 0) return number.error();
      number = static_cast<double>(*count);
    }
    out.push_back(*number);
  }
  if (out.empty()) return Error::Usage(std::string(what) + ": empty list");
  return out;
}

Result<CliOptions> Parse(int argc, char** argv, std::string* help) {
  CliOptions o;
  // What a run takes when an option is absent: the help says the same.
  const ReplayOptions run;
  const FioJobOptions job;
  const auto number = [](uint64_t value) { return std::to_string(value); };
  po::options_description visible(
      "Usage: sfsg-replay --target DIR [options]\n"
      "       sfsg-replay --target DIR --iolog TRACE [--timed]\n"
      "       sfsg-replay [--target DIR] --emit-fio JOB.fio [--fio-files K]\n"
      "       sfsg-replay --import-fio FIO.json --out CURVE.json\n"
      "Applies a workload to a directory through real system calls and measures a\n"
      "performance curve. Options");
  visible.add_options()("help,h", "print this help and exit")(
      "target", po::value(&o.target), "directory to load (a shadow or a scratch directory)")(
      "profile,p", po::value(&o.profile), "profile the shadow was mounted with ('builtin')")(
      "seed,s", po::value(&o.seed), "seed the shadow was mounted with")(
      "scale", po::value(&o.scale), "scale the shadow was mounted with")(
      "files", po::value(&o.files),
      WithDefault("shadow: its --files; plain directory: files to lay out",
                  number(run.layout_files))
          .c_str())("dirs", po::value(&o.dirs), "the shadow's --dirs")(
      "file-size", po::value(&o.file_size), "plain directory: size of each laid-out file (1M)")(
      "workload", po::value(&o.workload), "workload JSON (default: the built-in one)")(
      "ladder", po::value(&o.ladder), "closed-loop concurrency steps, e.g. 1,2,4,8")(
      "max-concurrency", po::value(&o.max_concurrency),
      WithDefault("ladder 1,2,4..N when --ladder is absent; open-loop worker pool",
                  number(run.max_concurrency))
          .c_str())("rates", po::value(&o.rates), "open-loop steps in ops/s, e.g. 100,200,400")(
      "step", po::value(&o.step), WithDefault("measured length of each step", o.step).c_str())(
      "warmup", po::value(&o.warmup),
      WithDefault("discarded start of each step", o.warmup).c_str())(
      "hot-files", po::value(&o.hot_files), "load only the K most popular regular files")(
      "keep-open", po::value(&o.keep_open),
      WithDefault("descriptors each worker keeps open", number(run.keep_open)).c_str())(
      "iolog", po::value(&o.iolog), "replay a fio iolog (version 2 or 3)")(
      "timed", po::bool_switch(&o.timed), "replay the iolog with its timing")(
      "fs-pid", po::value(&o.fs_pid), "PID of the filesystem process to measure")(
      "out,o", po::value(&o.out), "write the curve JSON here ('-': stdout)")(
      "emit-fio", po::value(&o.emit_fio), "write the workload as a fio job file ('-': stdout)")(
      "fio-files", po::value(&o.fio_files),
      WithDefault("files the fio job lists", number(job.files)).c_str())(
      "fio-directory", po::value(&o.fio_directory),
      "directory= of the fio job (default: --target; '.': none, fio's working directory)")(
      "fio-runtime", po::value(&o.fio_runtime),
      WithDefault("runtime of the fio job", o.fio_runtime).c_str())(
      "fio-numjobs", po::value(&o.fio_numjobs),
      WithDefault("numjobs of the fio job", number(job.numjobs)).c_str())(
      "fio-iodepth", po::value(&o.fio_iodepth),
      WithDefault("iodepth of the fio job", number(job.iodepth)).c_str())(
      "fio-no-rate", po::bool_switch(&o.fio_no_rate), "no rate_iops: fio runs flat out")(
      "import-fio", po::value(&o.import_fio), "fio --output-format=json(+) results to import")(
      "fio-group-by", po::value(&o.fio_group),
      "import one step per 'group' (default: jobs that ran together) or 'job'")(
      "quiet,q", po::bool_switch(&o.quiet), "no progress on stderr");
  auto parsed = ParseCommandLine(CommandArgs(argc, argv), visible, "see sfsg-replay --help");
  if (!parsed) return parsed.error();
  const po::variables_map& vm = *parsed;
  o.ladder_given = vm.count("ladder");
  o.rates_given = vm.count("rates");
  // Checked here whatever the mode, so a bad number is never silently ignored.
  const struct {
    const std::string& text;
    const char* what;
    uint64_t min, max;
  } numbers[] = {{o.max_concurrency, "--max-concurrency", 1, kMaxConcurrency},
                 {o.keep_open, "--keep-open", 0, kMaxKeepOpen},
                 {o.hot_files, "--hot-files", 0, UINT64_MAX},
                 {o.fio_files, "--fio-files", 1, kMaxFioFiles},
                 {o.fio_numjobs, "--fio-numjobs", 1, kMaxFioNumjobs},
                 {o.fio_iodepth, "--fio-iodepth", 1, kMaxFioIodepth}};
  for (const char* path : {"out", "emit-fio", "import-fio", "iolog", "target", "workload"})
    if (vm.count(path) && vm[path].as<std::string>().empty())
      return Error::Usage(std::string("--") + path + ": an empty path" +
                          (std::string_view(path) == "out" || std::string_view(path) == "emit-fio"
                               ? " (use '-' for stdout)"
                               : ""));
  if (o.ladder_given)
    if (auto ladder = ParseLadder(o.ladder); !ladder) return ladder.error();
  for (const auto& n : numbers)
    if (vm.count(n.what + 2))
      if (auto v = ParseInRange(n.text, n.what, n.min, n.max); !v) return v.error();
  *help = HelpText(visible);
  o.help = vm.count("help");
  return o;
}

// The filesystem process of a shadow target: the pid in its /.sfsg/status (0 when the
// target is not a shadow or the status has none).
int64_t ShadowPid(const std::string& target) {
  if (target.empty()) return 0;
  auto status = LoadJsonFile(target + "/.sfsg/status");
  if (!status || status->value("format", "") != "sfsg-status") return 0;
  if (!status->contains("pid") || !(*status)["pid"].is_number_integer()) return 0;
  return (*status)["pid"].get<int64_t>();
}

// What a device-timed shadow's emulator has served: its model's name and the requests
// that occupied the emulated device (sfsg_device_ops_total in /.sfsg/metrics, the count
// the forecaster's ladder uses). None: the target is not a shadow timed by a model.
struct DeviceCount {
  std::string model;
  uint64_t requests = 0;
};

// A counter's value in Prometheus text ("\nNAME VALUE"), or nullopt.
std::optional<double> MetricValue(const std::string& text, std::string_view name) {
  const std::string key = "\n" + std::string(name) + " ";
  const size_t at = text.find(key);
  if (at == std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str() + at + key.size(), &end);
  if (end == text.c_str() + at + key.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<DeviceCount> ShadowDeviceCount(const std::string& target) {
  if (target.empty()) return std::nullopt;
  auto status = LoadJsonFile(target + "/.sfsg/status");
  if (!status || status->value("format", "") != "sfsg-status") return std::nullopt;
  const Json device = status->value("device", Json());
  if (!device.is_object() || !device.contains("name") || !device["name"].is_string())
    return std::nullopt;
  auto metrics = ReadTextFile(target + "/.sfsg/metrics");
  if (!metrics) return std::nullopt;
  const std::optional<double> ops = MetricValue(*metrics, "sfsg_device_ops_total");
  if (!ops) return std::nullopt;
  return DeviceCount{device["name"].get<std::string>(), static_cast<uint64_t>(*ops)};
}

// The time a device-timed shadow's model has charged so far (seconds), read from its
// /.sfsg/metrics; nullopt when it cannot be read.
std::optional<double> ShadowDeviceSeconds(const std::string& target) {
  auto metrics = ReadTextFile(target + "/.sfsg/metrics");
  if (!metrics) return std::nullopt;
  return MetricValue(*metrics, "sfsg_device_model_seconds_total");
}

// Device requests per file operation over a ladder (the warm-up's operations added in
// proportion to the measured part's), stored in the curve so sfsg-predict can map
// diskstats demand onto it. The gauges are current when /.sfsg/metrics is opened.
void StampDeviceRatio(const DeviceCount& before, const ReplayOptions& ro, PerfCurve& curve) {
  const std::optional<DeviceCount> after = ShadowDeviceCount(ro.target);
  if (!after || after->requests <= before.requests) return;
  double ops = 0;
  for (const CurveStep& step : curve.steps) ops += static_cast<double>(step.total.ops);
  if (ro.step_s > 0) ops *= (ro.step_s + ro.warmup_s) / ro.step_s;
  if (!(ops > 0)) return;
  curve.device_model = before.model;
  curve.device_requests_per_op = static_cast<double>(after->requests - before.requests) / ops;
}

// A shadow the forecaster re-scaled: rebuilt from its recipe (the options it was
// mounted with, then the same re-scales in the same order), checked against the counts
// the shadow reports.
Result<std::unique_ptr<Namespace>> RescaledNamespace(const Profile& profile, const Json& status,
                                                     const std::string& where) {
  auto recipe = ShadowRecipeFromJson(status, where);
  if (!recipe) return recipe.error();
  auto ns = BuildNamespace(profile, *recipe);
  if (!ns) return ns.error();
  if ((*ns)->entry_count() != status.value("entries", uint64_t{0}) ||
      (*ns)->dir_count() != status.value("dirs", uint64_t{0}))
    return Error::BadInput(where + ": the re-scaled shadow's counts (" +
                           std::to_string(status.value("entries", uint64_t{0})) + " entries) " +
                           "do not follow from its recipe (" +
                           std::to_string((*ns)->entry_count()) + "): it changed meanwhile?");
  return std::move(*ns);
}

// The namespace under the target: from the options, or read from a shadow's /.sfsg/.
Result<std::unique_ptr<Namespace>> ResolveNamespace(const CliOptions& o, int64_t* fs_pid) {
  const bool explicit_ns =
      !o.profile.empty() || !o.seed.empty() || !o.scale.empty() || !o.dirs.empty();
  NamespaceOptions ns_options;
  Profile profile = DefaultProfile();
  if (!explicit_ns) {
    if (o.target.empty()) return std::unique_ptr<Namespace>();
    auto status = LoadJsonFile(o.target + "/.sfsg/status");
    if (!status || status->value("format", "") != "sfsg-status")
      return std::unique_ptr<Namespace>();  // a plain directory
    const std::string where = o.target + "/.sfsg/status";
    SFSG_ASSIGN_OR_RETURN(profile, LoadProfile(o.target + "/.sfsg/profile"));
    SFSG_ASSIGN_OR_RETURN(ns_options.seed, JsonUint(*status, "seed", where));
    SFSG_ASSIGN_OR_RETURN(ns_options.files, JsonUint(*status, "entries", where));
    SFSG_ASSIGN_OR_RETURN(ns_options.dirs, JsonUint(*status, "dirs", where));
    if (*fs_pid == 0) *fs_pid = ShadowPid(o.target);
    if (status->value("layers", 1) > 1) return RescaledNamespace(profile, *status, where);
  } else {
    if (!o.profile.empty() && o.profile != "builtin" && o.profile != "default") {
      SFSG_ASSIGN_OR_RETURN(profile, LoadProfile(o.profile));
    }
    if (!o.seed.empty()) {
      SFSG_ASSIGN_OR_RETURN(ns_options.seed, ParseCount(o.seed, "--seed"));
    }
    if (!o.scale.empty()) {
      SFSG_ASSIGN_OR_RETURN(ns_options.scale, ParsePositiveNumber(o.scale, "--scale"));
    }
    if (!o.files.empty()) {
      SFSG_ASSIGN_OR_RETURN(ns_options.files, ParseCount(o.files, "--files"));
    }
    if (!o.dirs.empty()) {
      SFSG_ASSIGN_OR_RETURN(ns_options.dirs, ParseCount(o.dirs, "--dirs"));
    }
  }
  auto ns = Namespace::Create(profile, ns_options);
  if (!ns) return ns.error();
  return std::move(*ns);
}

void ShowProgress(const ReplayProgress& p) {
  char offered[48] = "";
  if (p.offered_ops_per_s > 0)
    std::snprintf(offered, sizeof(offered), " @%.0f/s", p.offered_ops_per_s);
  std::fprintf(stderr, "\r\033[K[%zu/%zu] %s c=%u%s %.1f/%.1fs %llu ops %.0f ops/s", p.step + 1,
               p.steps, p.mode.c_str(), p.concurrency, offered, p.elapsed_s, p.step_total_s,
               static_cast<unsigned long long>(p.ops), p.ops_per_s);
  std::fflush(stderr);
}

// Exit code after writing to stdout: 0, or the write error (FlushStdout).
int Flushed() { return FlushStdoutExit("sfsg-replay"); }

int Output(const PerfCurve& curve, const std::string& out) {
  const std::string table = FormatCurveTable(curve);
  if (out == "-") {
    std::fputs(table.c_str(), stderr);
    std::cout << PerfCurveToJson(curve).dump(1) << "\n";
    return Flushed();
  }
  std::fputs(table.c_str(), stdout);
  if (!out.empty()) {
    if (Status s = SavePerfCurve(curve, out); !s) return Fail(s.error());
  }
  return Flushed();
}

// --emit-fio: writes the job file and returns the exit code.
int EmitFio(const CliOptions& o, const Namespace* ns, const Workload& workload) {
  if (!ns)
    return Fail(
        Error::Usage("--emit-fio: needs a shadow: a --target mounted by sfsg-mount, "
                     "or --profile/--seed/--scale"));
  FioJobOptions fo;
  const FioJobOptions defaults;
  fo.directory =
      o.fio_directory.empty() ? o.target : (o.fio_directory == "." ? "" : o.fio_directory);
  auto files = OptionalInRange(o.fio_files, "--fio-files", 1, kMaxFioFiles, defaults.files);
  if (!files) return Fail(files.error());
  fo.files = *files;
  fo.seed = ns->seed();
  auto runtime = ParseDurationSeconds(o.fio_runtime, "--fio-runtime");
  if (!runtime) return Fail(runtime.error());
  fo.runtime_s = *runtime;
  auto numjobs =
      OptionalInRange(o.fio_numjobs, "--fio-numjobs", 1, kMaxFioNumjobs, defaults.numjobs);
  if (!numjobs) return Fail(numjobs.error());
  fo.numjobs = static_cast<uint32_t>(*numjobs);
  auto iodepth =
      OptionalInRange(o.fio_iodepth, "--fio-iodepth", 1, kMaxFioIodepth, defaults.iodepth);
  if (!iodepth) return Fail(iodepth.error());
  fo.iodepth = static_cast<uint32_t>(*iodepth);
  fo.rate_limited = !o.fio_no_rate;
  auto job = EmitFioJob(workload, *ns, fo);
  if (!job) return Fail(job.error());
  if (!job->warning.empty())
    std::fprintf(stderr, "sfsg-replay: warning: %s\n", job->warning.c_str());
  if (o.emit_fio == "-") {
    std::fputs(job->text.c_str(), stdout);
    return Flushed();
  } else if (Status s = WriteFileAtomic(o.emit_fio, job->text); !s) {
    return Fail(s.error());
  }
  return 0;
}

// The ladder's options from the command line.
Result<ReplayOptions> LadderOptions(const CliOptions& o, const Namespace* ns,
                                    const Workload& workload, int64_t fs_pid) {
  ReplayOptions ro;
  ro.target = o.target;
  ro.workload = workload;
  ro.shadow = ns;
  ro.seed = ns ? ns->seed() : 1;
  SFSG_ASSIGN_OR_RETURN(ro.hot_files,
                        OptionalInRange(o.hot_files, "--hot-files", 0, UINT64_MAX, ro.hot_files));
  auto keep_open = OptionalInRange(o.keep_open, "--keep-open", 0, kMaxKeepOpen, ro.keep_open);
  if (!keep_open) return keep_open.error();
  ro.keep_open = static_cast<uint32_t>(*keep_open);
  ro.fs_pid = fs_pid;
  if (!ns) {
    if (!o.files.empty()) {
      SFSG_ASSIGN_OR_RETURN(ro.layout_files, ParseCount(o.files, "--files"));
    }
    if (!o.file_size.empty()) {
      SFSG_ASSIGN_OR_RETURN(ro.layout_file_bytes, ParseBytes(o.file_size, "--file-size"));
    }
  }
  SFSG_ASSIGN_OR_RETURN(ro.step_s, ParseDurationSeconds(o.step, "--step"));
  SFSG_ASSIGN_OR_RETURN(ro.warmup_s, ParseDurationSeconds(o.warmup, "--warmup"));
  auto max_concurrency =
      OptionalInRange(o.max_concurrency, "--max-concurrency", 1, kMaxConcurrency, 0);
  if (!max_concurrency) return max_concurrency.error();
  if (*max_concurrency) ro.max_concurrency = static_cast<uint32_t>(*max_concurrency);
  if (o.ladder_given) {
    auto ladder = ParseLadder(o.ladder);
    if (!ladder) return ladder.error();
    ro.ladder = std::move(*ladder);
  } else if (*max_concurrency && !o.rates_given) {
    // 64-bit: the doubling stays finite whatever the bound.
    for (uint64_t c = 1; c < *max_concurrency; c *= 2)
      ro.ladder.push_back(static_cast<uint32_t>(c));
    ro.ladder.push_back(static_cast<uint32_t>(*max_concurrency));
  }
  if (o.rates_given) {
    SFSG_ASSIGN_OR_RETURN(ro.rates, ParseList(o.rates, "--rates"));
  }
  return ro;
}

int Main(int argc, char** argv) {
  std::string help;
  auto parsed = Parse(argc, argv, &help);
  if (!parsed) return Fail(parsed.error());
  const CliOptions& o = *parsed;
  if (o.help) {
    return WriteStdoutExit("sfsg-replay", help);
  }
  // A measurement can take hours: the file it goes to is checked first, not lost after.
  if (!o.out.empty() && o.out != "-")
    if (Status s = CheckWritable(o.out); !s) return Fail(s.error());
  if (!o.import_fio.empty()) {
    if (o.fio_group != "job" && o.fio_group != "group")
      return Fail(Error::Usage("--fio-group-by: '" + o.fio_group + "' is not job or group"));
    auto curve =
        LoadFioJson(o.import_fio, o.fio_group == "group" ? FioGrouping::kGroup : FioGrouping::kJob);
    if (!curve) return Fail(curve.error());
    return Output(*curve, o.out);
  }
  if (o.target.empty() && o.emit_fio.empty())
    return Fail(Error::Usage("--target: required (see sfsg-replay --help)"));
  if (!o.target.empty()) {
    struct stat st;
    if (::stat(o.target.c_str(), &st) != 0)
      return Fail(Error::Usage("--target: " + o.target + ": no such directory"));
    if (!S_ISDIR(st.st_mode))
      return Fail(Error::Usage("--target: " + o.target + ": not a directory"));
  }
  Workload workload = DefaultWorkload();
  if (!o.workload.empty()) {
    auto loaded = LoadWorkload(o.workload);
    if (!loaded) return Fail(loaded.error());
    workload = std::move(*loaded);
  }
  const bool progress_on = !o.quiet && ::isatty(STDERR_FILENO);
  const ProgressFn progress = progress_on ? ProgressFn(ShowProgress) : ProgressFn();
  auto parsed_pid = ParseFsPid(o.fs_pid);
  if (!parsed_pid) return Fail(parsed_pid.error());
  int64_t fs_pid = *parsed_pid;

  if (!o.iolog.empty()) {
    auto log = LoadIolog(o.iolog);
    if (!log) return Fail(log.error());
    // Measured like a ladder run: --fs-pid, or the shadow's own process.
    if (fs_pid == 0) fs_pid = ShadowPid(o.target);
    IologReplayOptions ro{o.target, o.timed, fs_pid, o.iolog, &g_cancel};
    CatchStopSignals();
    auto curve = ReplayIolog(*log, ro, progress);
    if (progress_on) std::fputs("\r\033[K", stderr);
    DieOfStopSignal();
    if (!curve) return Fail(curve.error());
    return Output(*curve, o.out);
  }

  auto ns = ResolveNamespace(o, &fs_pid);
  if (!ns) return Fail(ns.error());
  if (!o.emit_fio.empty()) return EmitFio(o, ns->get(), workload);
  auto ro = LadderOptions(o, ns->get(), workload, fs_pid);
  if (!ro) return Fail(ro.error());
  ro->cancel = &g_cancel;
  CatchStopSignals();
  const std::optional<DeviceCount> device_before = ShadowDeviceCount(o.target);
  if (device_before)
    ro->device_seconds = [target = o.target] { return ShadowDeviceSeconds(target); };
  auto curve = RunLadder(*ro, progress);
  if (progress_on) std::fputs("\r\033[K", stderr);
  DieOfStopSignal();
  if (!curve) return Fail(curve.error());
  if (device_before) StampDeviceRatio(*device_before, *ro, *curve);
  return Output(*curve, o.out);
}

}  // namespace
}  // namespace sfsg

int main(int argc, char** argv) {
  return sfsg::GuardedMain("sfsg-replay", [&] { return sfsg::Main(argc, argv); });
}
