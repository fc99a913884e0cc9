// sfsg-mount: mounts a shadow filesystem. Options are parsed here and only here.
#include <fuse_lowlevel.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fuse/device_gate.h"
#include "fuse/forecaster/forecaster.h"
#include "fuse/forecaster/prometheus_watch.h"
#include "fuse/fuse_ops.h"
#include "fuse/metrics_server.h"
#include "fuse/mount_options.h"
#include "fuse/shadow_fs.h"
#include "generator/shadow_recipe.h"
#include "generator/util/command_line.h"
#include "generator/util/units.h"
#include "generator/util/version.h"
#include "predictor/series.h"

namespace sfsg {
namespace {

int Fail(const Error& e) { return ReportFailure("sfsg-mount", e); }

// `path` made absolute against `base` (the daemon runs in /, so a relative path given
// on the command line must not be resolved later).
std::string Absolute(const std::string& path, const std::string& base) {
  if (path.empty() || path[0] == '/' || base.empty()) return path;
  return base + "/" + path;
}

// The working directory sfsg-mount was started from ("" if it cannot be named).
std::string StartDirectory() {
  std::vector<char> buffer(4096);
  while (::getcwd(buffer.data(), buffer.size()) == nullptr) {
    if (errno != ERANGE) return "";
    buffer.resize(buffer.size() * 2);
  }
  return buffer.data();
}

Result<std::unique_ptr<BlockStore>> MakeStore(const std::string& spec, const std::string& base,
                                              std::string* dir) {
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (kind == "discard" && rest.empty()) return MakeDiscardStore();
  if (kind == "memory") {
    uint64_t limit = 0;
    if (!rest.empty()) {
      auto parsed = ParseBytes(rest, "--writes memory:LIMIT");
      if (!parsed) return parsed.error();
      limit = *parsed;
    }
    return MakeMemoryStore(limit);
  }
  if (kind == "dir" && !rest.empty()) {
    std::string path = rest;
    uint64_t limit = 0;
    if (const auto last = rest.rfind(':'); last != std::string::npos) {
      if (auto parsed = ParseBytes(rest.substr(last + 1), "limit")) {
        limit = *parsed;
        path = rest.substr(0, last);
      }
    }
    *dir = Absolute(path, base);
    return MakeDirStore(*dir, limit);
  }
  return Error::Usage("--writes: '" + spec +
                      "' is not discard, memory[:LIMIT] or dir:PATH[:LIMIT]");
}

// What --print-config checks before printing, so a printed config is one that mounts as
// far as the options go: the --writes spec (without creating PATH/data) and --workload.
Status CheckPrintableOptions(const MountOptions& o, const std::string& base) {
  const auto colon = o.writes.find(':');
  const std::string kind = o.writes.substr(0, colon);
  if (kind != "dir") {
    std::string unused;
    if (auto store = MakeStore(o.writes, base, &unused); !store) return store.error();
  } else if (colon == std::string::npos || colon + 1 == o.writes.size()) {
    return Error::Usage("--writes: '" + o.writes +
                        "' is not discard, memory[:LIMIT] or dir:PATH[:LIMIT]");
  }
  if (!o.workload_path.empty())
    if (auto w = LoadWorkload(Absolute(o.workload_path, base)); !w) return w.error();
  return Status::Ok();
}

// --dirs and --bytes are promises (exact directories, bytes within 0.5%): a combination
// the model cannot keep is bad usage naming both values, never a silently different tree.
// Every directory but the root holds an entry, so there are at most files + 1; the
// smallest total is what the size model gives when every size is scaled to its floor.
Status CheckExactSizes(const MountOptions& o, const Namespace& ns) {
  const std::string files = o.files
                                ? "--files " + std::to_string(o.files)
                                : std::to_string(ns.entry_count()) + " files (from the profile)";
  if (o.dirs && ns.dir_count() != o.dirs)
    return Error::Usage("--dirs " + std::to_string(o.dirs) + " with " + files + ": at most " +
                        std::to_string(ns.dir_count()) +
                        " directories (files + 1: every directory but the root holds an entry)");
  if (o.bytes) {
    const double total = static_cast<double>(ns.total_bytes());
    const double wanted = static_cast<double>(o.bytes);
    if (std::abs(total - wanted) > 0.005 * wanted)
      return Error::Usage("--bytes " + std::to_string(o.bytes) + " with " + files +
                          ": the size model gives " + std::to_string(ns.total_bytes()) + " bytes" +
                          ", not within 0.5%; give more bytes or fewer files");
  }
  return Status::Ok();
}

// What rebuilds the namespace this mount starts with (the forecaster adds its re-scales).
ShadowRecipe RecipeOf(const MountOptions& o) {
  ShadowRecipe recipe;
  recipe.profile = o.profile_path.empty() ? "builtin" : o.profile_path;
  recipe.seed = o.seed;
  recipe.scale = o.scale;
  recipe.files = o.files;
  recipe.dirs = o.dirs;
  recipe.bytes = o.bytes;
  return recipe;
}

Result<std::unique_ptr<ShadowFs>> BuildShadow(const MountOptions& o, const std::string& base) {
  Profile profile = DefaultProfile();
  if (!o.profile_path.empty()) {
    auto loaded = LoadProfile(o.profile_path);
    if (!loaded) return loaded.error();
    profile = std::move(*loaded);
  }
  auto ns = BuildNamespace(profile, RecipeOf(o));
  if (!ns) return ns.error();
  if (auto honoured = CheckExactSizes(o, **ns); !honoured) return honoured.error();
  ShadowConfig config;
  config.profile_source = RecipeOf(o).profile;
  config.scale = o.scale;
  config.owner_uid = ::getuid();
  config.owner_gid = ::getgid();
  config.writes = o.writes;
  config.fill_helper = !o.no_fill_helper;
  // Default capacity: the source's, grown like the data (and never below the data).
  const double growth = profile.totals.bytes > 0
                            ? static_cast<double>((*ns)->total_bytes()) / profile.totals.bytes
                            : o.scale;
  config.capacity_bytes =
      o.capacity_bytes
          ? o.capacity_bytes
          : static_cast<uint64_t>(static_cast<double>(profile.source.capacity_bytes) * growth);
  auto store = MakeStore(o.writes, base, &config.overlay_dir);
  if (!store) return store.error();
  return ShadowFs::Create(std::move(*ns), std::move(*store), config);
}

std::vector<std::string> FuseArguments(const MountOptions& o) {
  std::string opts = "default_permissions,fsname=sfsg,subtype=sfsg-mount,max_read=1048576";
  if (!o.debug) opts += ",auto_unmount";
  if (o.allow_other) opts += ",allow_other";
  if (o.read_only) opts += ",ro";
  for (const std::string& extra : o.fuse_options) opts += "," + extra;
  std::vector<std::string> args = {"sfsg-mount", "-o", opts};
  if (o.debug) args.push_back("-d");
  return args;
}

// What runs in the background thread, prepared before mounting so that every path is
// absolute (the daemon runs in /) and every input is checked while the user still sees
// the error.
struct ForecasterPlan {
  ForecasterConfig config;
  bool made_state_dir = false;  // a fresh /tmp/sfsg-loop.* directory: removed if the mount fails
};

// --watch before mounting: a directory (metered each round), or a usage series that
// reads as one (an empty file is a series not written yet). A FIFO or device would be
// drained, or wait, every round. Errors: kIo (missing, unreadable, not a directory or a
// regular file), kBadInput (a malformed series, as sfsg-predict reports it).
Status CheckWatch(const ForecasterConfig& config) {
  const std::string& watch = config.watch;
  // A Prometheus server is not asked before mounting (it may be down now and up at the
  // first round); its URL, selectors and credential files are checked.
  if (IsHttpUrl(watch)) {
    auto source = MakeWatchSource(watch, config.watch_select, config.watch_bearer_token_file,
                                  config.watch_basic_auth_file, config.horizon_s);
    return source ? Status::Ok() : Status(source.error());
  }
  struct stat st;
  if (::stat(watch.c_str(), &st) != 0)
    return Error::Io("--watch " + watch + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return Status::Ok();
  if (!S_ISREG(st.st_mode))
    return Error::Io("--watch " + watch + ": not a directory or a regular file");
  if (st.st_size == 0) return Status::Ok();
  auto table = LoadUsageTable(watch);
  if (!table) {
    Error error = table.error();
    error.message = "--watch: " + error.message;
    return error;
  }
  return Status::Ok();
}

// A hook's program before mounting: a path (absolute, or relative to where sfsg-mount
// started) must be an executable file; a bare name must be found on $PATH, as execvp
// will look for it. Errors: kIo naming the option and the program.
Status CheckHook(const std::vector<std::string>& argv, const std::string& option,
                 const std::string& base) {
  if (argv.empty()) return Status::Ok();
  const std::string& program = argv[0];
  std::vector<std::string> candidates;
  if (program.find('/') != std::string::npos) {
    candidates.push_back(Absolute(program, base));
  } else {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    for (size_t begin = 0; begin <= dirs.size();) {
      size_t end = dirs.find(':', begin);
      if (end == std::string::npos) end = dirs.size();
      const std::string dir = dirs.substr(begin, end - begin);
      candidates.push_back((dir.empty() ? "." : dir) + "/" + program);
      begin = end + 1;
    }
  }
  for (const std::string& candidate : candidates) {
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return Status::Ok();
  }
  return Error::Io(option + " " + program + ": not an executable file" +
                   (program.find('/') == std::string::npos ? " on $PATH" : ""));
}

Result<std::optional<ForecasterPlan>> PrepareForecaster(const MountOptions& o,
                                                        const std::string& base) {
  if (!o.watch && !o.replay) return std::optional<ForecasterPlan>();
  ForecasterPlan plan;
  ForecasterConfig& config = plan.config;
  config = o.forecaster;
  config.recipe = RecipeOf(o);
  // A Prometheus URL stays as given; a path is made absolute (the daemon runs in /).
  config.watch =
      IsHttpUrl(o.forecaster.watch) ? o.forecaster.watch : Absolute(o.forecaster.watch, base);
  if (!IsHttpUrl(o.forecaster.watch) &&
      (!o.forecaster.watch_select.empty() || !o.forecaster.watch_bearer_token_file.empty() ||
       !o.forecaster.watch_basic_auth_file.empty()))
    return Error::Usage(
        "--watch-select, --watch-bearer-token-file and --watch-basic-auth-file need "
        "--watch http://PROMETHEUS");
  for (std::string* file : {&config.watch_bearer_token_file, &config.watch_basic_auth_file})
    if (!file->empty()) *file = Absolute(*file, base);
  config.mountpoint = Absolute(o.mountpoint, base);
  config.hook_dir = base;
  if (!o.watch) config.adjust = false;
  if (o.watch)
    if (auto watch = CheckWatch(config); !watch) return watch.error();
  if (auto hook = CheckHook(config.on_alert, "--on-alert", base); !hook) return hook.error();
  if (config.scale_mode == "execute")  // a dry run only logs what it would run
    if (auto hook = CheckHook(config.on_scale, "--on-scale", base); !hook) return hook.error();
  if (o.replay) config.run_ladder = true;
  if (!o.workload_path.empty()) {
    auto w = LoadWorkload(Absolute(o.workload_path, base));
    if (!w) return w.error();
    config.workload = *w;
  }
  // The state directory: the one given, or (only when the forecaster meters and plans:
  // --replay alone keeps its curve in /.sfsg/curve) a fresh one under /tmp.
  if (!o.forecaster.state_dir.empty()) {
    config.state_dir = Absolute(o.forecaster.state_dir, base);
    if (::mkdir(config.state_dir.c_str(), 0700) != 0 && errno != EEXIST)
      return Error::Io("--state-dir " + config.state_dir + ": " + std::strerror(errno));
    struct stat st;
    if (::stat(config.state_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return Error::Io("--state-dir " + config.state_dir + ": not a directory");
  } else if (o.watch) {
    std::string dir = "/tmp/sfsg-loop.XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr)
      return Error::Io(std::string("cannot make a state directory in /tmp: ") +
                       std::strerror(errno));
    config.state_dir = dir;
    plan.made_state_dir = true;
  }
  return std::optional<ForecasterPlan>(std::move(plan));
}

// Where the log goes, as /.sfsg/status names it: a file path, "syslog" or "stderr".
// In the foreground: standard error, and --log-file too when given. In the background
// (standard error is /dev/null once daemonized): --log-file, else STATE/sfsg-mount.log
// when the forecaster has a state directory, else syslog (ident sfsg-mount, facility daemon).
// Until the daemon detaches, messages also go to the terminal.
struct LogSetup {
  std::string where;
  std::shared_ptr<spdlog::sinks::sink> terminal;  // silenced after daemonizing
};

Result<LogSetup> SetUpLog(const MountOptions& o, const std::string& base,
                          const std::string& state_dir) {
  LogSetup setup;
  setup.terminal = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  std::vector<spdlog::sink_ptr> sinks = {setup.terminal};
  std::string file = o.log_file == "syslog" ? o.log_file : Absolute(o.log_file, base);
  if (file.empty() && !o.foreground && !state_dir.empty()) file = state_dir + "/sfsg-mount.log";
  if (file == "syslog" || (file.empty() && !o.foreground)) {
    sinks.push_back(
        std::make_shared<spdlog::sinks::syslog_sink_mt>("sfsg-mount", LOG_PID, LOG_DAEMON, true));
    setup.where = "syslog";
  } else if (!file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, false));
    } catch (const spdlog::spdlog_ex& e) {
      return Error::Io("--log-file " + file + ": cannot open it for appending (" + e.what() + ")");
    }
    setup.where = file;
  } else {
    setup.where = "stderr";
  }
  auto logger = std::make_shared<spdlog::logger>("sfsg-mount", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(o.log_level));
  logger->flush_on(spdlog::level::trace);  // every line reaches the file at once
  spdlog::set_default_logger(logger);
  return setup;
}

// Tells the kernel that the root's attributes and the names a re-scale added or
// removed changed, so no stale entry is served.
void InvalidateRescale(fuse_session* se, const ShadowFs& fs, const RescaleChange& change) {
  const uint32_t from = std::min(change.old_layers, change.new_layers);
  const uint32_t to = std::max(change.old_layers, change.new_layers);
  for (const std::string& name : fs.ns().RootNamesOfLayers(from, to))
    fuse_lowlevel_notify_inval_entry(se, FUSE_ROOT_ID, name.c_str(), name.size());
  fuse_lowlevel_notify_inval_inode(se, FUSE_ROOT_ID, 0, 0);
}

// A mount that failed leaves no fresh state directory behind (nor the log in it).
void RemoveUnusedStateDir(const std::optional<ForecasterPlan>& plan, const LogSetup& log) {
  if (!plan || !plan->made_state_dir) return;
  if (log.where.rfind(plan->config.state_dir + "/", 0) == 0) ::unlink(log.where.c_str());
  ::rmdir(plan->config.state_dir.c_str());
}

// Runs call() with standard error sent to a temporary file, and hands back what was
// written there: libfuse reports a bad option on stderr, which sfsg-mount folds into its
// own one-line message.
template <typename Call>
auto WithStderrCaptured(Call call, std::string* said) {
  std::fflush(stderr);
  std::FILE* capture = std::tmpfile();
  const int saved = capture ? ::dup(STDERR_FILENO) : -1;
  if (saved < 0 || ::dup2(::fileno(capture), STDERR_FILENO) < 0) {
    if (saved >= 0) ::close(saved);
    if (capture) std::fclose(capture);
    return call();
  }
  auto result = call();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::rewind(capture);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), capture)) > 0) said->append(buffer, n);
  std::fclose(capture);
  return result;
}

// --device: the model, read, validated and scaled by the what-if options before mounting.
// Errors: kIo (cannot read), kBadInput (malformed or impossible, naming the field: exit
// 4), kUsage (a what-if the model cannot take).
Result<std::optional<DeviceModel>> LoadDevice(const MountOptions& o, const std::string& base) {
  if (o.device_path.empty()) return std::optional<DeviceModel>();
  auto model = ReadDeviceModel(Absolute(o.device_path, base));
  if (!model) {
    Error e = model.error();
    e.message = "--device " + e.message;
    return e;
  }
  auto scaled = ScaleDeviceModel(*model, o.device_scale);
  if (!scaled) return scaled.error();
  if (auto st = ValidateDeviceModel(*scaled, "--device " + o.device_path + " (scaled)"); !st)
    return st.error();
  return std::optional<DeviceModel>(std::move(*scaled));
}

// What /.sfsg/status says of the emulated device: the model's file, what it is (mode,
// date, target) and the what-if scaling.
Json DeviceStatus(const std::string& path, const DeviceScale& s, const DeviceModel& m,
                  const RequestFloor& floor) {
  Json by_class = {{"read", floor.read_ns / 1e3}, {"write", floor.write_ns / 1e3}};
  for (int i = 0; i < kMetadataOpCount; ++i)
    by_class[std::string(MetadataOpName(static_cast<MetadataOp>(i)))] = floor.metadata_ns[i] / 1e3;
  return {{"model", path},
          {"floor_us", floor.read_ns / 1e3},  // the read floor (all when uniform)
          {"floor_us_by_class", std::move(by_class)},
          {"name", m.name},
          {"servers", m.servers},
          {"cache_bytes", m.cache.size_bytes},
          {"mode", m.provenance.mode},
          {"created_utc", m.provenance.created_utc},
          {"target", m.provenance.target_path},
          {"device", m.provenance.device},
          {"scale",
           {{"parallelism", s.parallelism},
            {"bandwidth", s.bandwidth},
            {"iops", s.iops},
            {"cache_bytes", s.cache_bytes ? Json(*s.cache_bytes) : Json()}}}};
}

// The mount's own part of /.sfsg/status.
void PublishStatusExtra(ShadowFs& fs, const std::string& state_dir, const std::string& log,
                        Json device) {
  fs.board().Publish("status_extra",
                     Json{{"state_dir", state_dir.empty() ? Json() : Json(state_dir)},
                          {"log", log},
                          {"device", std::move(device)}}
                         .dump());
}

int Serve(const MountOptions& o, ShadowFs& fs, std::optional<ForecasterPlan> plan,
          const LogSetup& log, const std::optional<DeviceModel>& device) {
  // --metrics-listen: bound now, so a busy address fails before the mount; served from
  // after the daemon has forked. The text is /.sfsg/metrics'.
  std::unique_ptr<MetricsServer> metrics_server;
  if (!o.metrics_listen.empty()) {
    metrics_server = std::make_unique<MetricsServer>([&fs] { return fs.MetricsText(); });
    auto address = ParseListenAddress(o.metrics_listen, "--metrics-listen");
    Status bound = address ? metrics_server->Bind(*address) : Status(address.error());
    if (!bound) {
      RemoveUnusedStateDir(plan, log);
      return Fail(bound.error());
    }
  }
  ServeState state;
  state.fs = &fs;
  state.options.entry_timeout_s = o.entry_timeout_s;
  state.options.kernel_cache = o.kernel_cache;
  std::vector<std::string> arg_strings = FuseArguments(o);
  std::vector<char*> argv;
  for (std::string& s : arg_strings) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  const fuse_lowlevel_ops ops = MakeOperations();
  std::string libfuse_said;
  fuse_session* se = WithStderrCaptured(
      [&] { return fuse_session_new(&args, &ops, sizeof(ops), &state); }, &libfuse_said);
  std::unique_ptr<Forecaster> forecaster;
  // The gate the mount answers through: --device's, or the one the forecaster installs
  // for a passive model (then refitted in place). A vector: empty when there is none.
  std::vector<std::unique_ptr<DeviceGate>> gates;
  std::mutex gates_mutex;
  bool gates_stopped = false;  // the session loop ended: no more gates
  std::mutex session_mutex;
  bool session_alive = true;
  if (se == nullptr) {
    RemoveUnusedStateDir(plan, log);
    // libfuse's own complaint ("fuse: unknown option(s): `-o bogus=1'") in our one line.
    std::replace(libfuse_said.begin(), libfuse_said.end(), '\n', ' ');
    while (!libfuse_said.empty() && libfuse_said.back() == ' ') libfuse_said.pop_back();
    return Fail(Error::Usage("libfuse rejected the mount options" +
                             (libfuse_said.empty() ? "" : ": " + libfuse_said)));
  }
  std::fputs(libfuse_said.c_str(), stderr);  // on success (-d), what libfuse printed
  state.session = se;  // for notifications to the kernel (a write that clears setuid)
  int rc = static_cast<int>(ErrorCode::kIo);
  if (fuse_set_signal_handlers(se) == 0) {
    if (fuse_session_mount(se, o.mountpoint.c_str()) == 0) {
      // direct_io files: ask the kernel for shared maps too (direct_io_mmap.h).
      if (!o.kernel_cache)
        if (const int e = InstallDirectIoMmap(se); e != 0)
          spdlog::warn("sfsg-mount: no shared mmap of direct_io files: {}", std::strerror(-e));
      spdlog::info("sfsg-mount: {} files, {} dirs, {} on {}", FormatCount(fs.ns().entry_count()),
                   FormatCount(fs.ns().dir_count()), FormatBytes(fs.ns().total_bytes()),
                   o.mountpoint);
      fuse_daemonize(o.foreground ? 1 : 0);
      if (!o.foreground) log.terminal->set_level(spdlog::level::off);  // now /dev/null
      // Threads start after daemonizing (a fork keeps only the calling thread).
      if (plan) {
        spdlog::info("sfsg-mount: forecaster every {}s{}", plan->config.interval_s,
                     plan->config.state_dir.empty() ? "" : ", state in " + plan->config.state_dir);
        DeviceControl control;
        control.install = [&](const DeviceModel& model) {
          std::lock_guard lock(gates_mutex);
          if (gates_stopped) return;
          if (gates.empty()) {
            gates.push_back(
                std::make_unique<DeviceGate>(model, o.seed, &fs.board(), o.device_floor));
            state.device.store(gates.back().get(), std::memory_order_release);
          } else {
            gates.back()->Replace(model);  // a refitted passive model
          }
          const std::string where = plan->config.state_dir + "/device-passive.json";
          PublishStatusExtra(fs, plan->config.state_dir, log.where,
                             DeviceStatus(where, DeviceScale{}, model, o.device_floor));
        };
        control.requests_served = [&]() -> uint64_t {
          std::lock_guard lock(gates_mutex);
          return gates.empty() ? 0 : gates.back()->counters().device_requests;
        };
        forecaster = std::make_unique<Forecaster>(
            plan->config, fs,
            [se, &fs, &session_mutex, &session_alive](const RescaleChange& c) {
              std::lock_guard lock(session_mutex);
              if (session_alive) InvalidateRescale(se, fs, c);
            },
            control);
      }
      if (device) {
        std::lock_guard lock(gates_mutex);
        gates.push_back(std::make_unique<DeviceGate>(*device, o.seed, &fs.board(), o.device_floor));
        state.device.store(gates.back().get(), std::memory_order_release);
        spdlog::info("sfsg-mount: answering at the times of device model {} ({} servers)",
                     o.device_path, device->servers);
      }
      if (forecaster && !plan->config.watch.empty())
        fs.board().PublishNoForecast(
            "the forecaster's first round is running (started " + FormatUtc(std::time(nullptr)) +
            "): it meters, re-scales, runs the load ladder, then predicts");
      else
        fs.board().PublishNoForecast(kNoUsageHistory);
      if (forecaster) forecaster->Start();
      if (metrics_server) {
        metrics_server->Start();
        spdlog::info("sfsg-mount: serving /metrics on {}", o.metrics_listen);
      }
      fuse_loop_config* config = fuse_loop_cfg_create();
      fuse_loop_cfg_set_max_threads(config, o.threads);
      fuse_loop_cfg_set_idle_threads(config, o.threads);
      // 0: unmounted; > 0: the signal that stopped the session (a clean stop); < 0: -errno.
      rc = fuse_session_loop_mt(se, config) < 0 ? static_cast<int>(ErrorCode::kIo) : 0;
      fuse_loop_cfg_destroy(config);
      {
        // The forecaster installs no gate from here on: it is stopped first.
        if (forecaster) forecaster->RequestStop();
        std::lock_guard lock(gates_mutex);
        gates_stopped = true;
        for (auto& gate : gates) gate->Stop();  // the replies still waiting go now
      }
      // Stop in an order that cannot hang: no new round, no more kernel notifications,
      // unmount, and close the session (which fails any request the forecaster still has in
      // flight) before waiting for the forecaster thread.
      if (forecaster) forecaster->RequestStop();
      if (metrics_server) metrics_server->Stop();
      {
        std::lock_guard lock(session_mutex);
        session_alive = false;
      }
      fuse_session_unmount(se);
    } else {
      std::fprintf(stderr, "sfsg-mount: cannot mount on %s\n", o.mountpoint.c_str());
      RemoveUnusedStateDir(plan, log);
    }
    fuse_remove_signal_handlers(se);
  }
  fuse_session_destroy(se);
  fuse_opt_free_args(&args);
  if (forecaster) forecaster->Stop();
  return rc;
}

int Main(int argc, char** argv) {
  std::string help;
  auto options = ParseMountOptions(argc, argv, &help);
  if (!options) return Fail(options.error());
  if (options->help) {
    std::printf(
        "%s\nExamples:\n  sfsg-mount /mnt/shadow\n  sfsg-mount --scale 10 --seed 42 profile.json "
        "/mnt/shadow\n"
        "  sfsg-mount --files 1G --bytes 1P -o writes=discard /mnt/huge\n"
        "  mount -t fuse.sfsg-mount profile.json /mnt/shadow -o seed=42,scale=10\n"
        "Unmount with: fusermount3 -u MOUNTPOINT\n",
        help.c_str());
    return 0;
  }
  if (options->print_config) {
    if (auto checked = CheckPrintableOptions(*options, StartDirectory()); !checked)
      return Fail(checked.error());
    std::printf("# sfsg-mount effective options (a valid --config file)\n%s",
                options->effective_config.c_str());
    return 0;
  }
  if (options->version) {
    std::printf("sfsg-mount %s (libfuse %d)\n", kVersion, fuse_version());
    return 0;
  }
  spdlog::set_level(spdlog::level::from_str(options->log_level));
  struct stat st;
  if (::stat(options->mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Fail(Error::Io("mountpoint " + options->mountpoint + ": not a directory"));
  // Relative paths (overlay, watch, state, log, hooks) mean what they meant here.
  const std::string base = StartDirectory();
  auto device = LoadDevice(*options, base);
  if (!device) return Fail(device.error());
  auto fs = BuildShadow(*options, base);
  if (!fs) return Fail(fs.error());
  auto plan = PrepareForecaster(*options, base);
  if (!plan) return Fail(plan.error());
  // The forecaster's ladder runs on this device-timed mount: its plan names the model.
  if (*plan && *device) {
    (*plan)->config.device = DeviceBasisFromModel(**device);
    (*plan)->config.device_model = **device;
  }
  const std::string state_dir = *plan ? (*plan)->config.state_dir : "";
  auto log = SetUpLog(*options, base, state_dir);
  if (!log) {
    if (*plan && (*plan)->made_state_dir) ::rmdir(state_dir.c_str());
    return Fail(log.error());
  }
  PublishStatusExtra(**fs, state_dir, log->where,
                     *device ? DeviceStatus(options->device_path, options->device_scale, **device,
                                            options->device_floor)
                             : Json());
  (*fs)->board().Publish("recipe", ShadowRecipeToJson(RecipeOf(*options)).dump());
  return Serve(*options, **fs, std::move(*plan), *log, *device);
}

}  // namespace
}  // namespace sfsg

int main(int argc, char** argv) {
  return sfsg::GuardedMain("sfsg-mount", [&] { return sfsg::Main(argc, argv); });
}
