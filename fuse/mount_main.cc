// sfsg-mount: mounts a shadow filesystem. Options are parsed here and only here.
#include <fuse_lowlevel.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fuse/fuse_ops.h"
#include "fuse/loop.h"
#include "fuse/mount_options.h"
#include "fuse/shadow_fs.h"
#include "generator/util/units.h"

namespace sfsg {
namespace {

int Fail(const Error& e) {
  std::fprintf(stderr, "sfsg-mount: %s\n", e.message.c_str());
  return e.exit_code();
}

Result<std::unique_ptr<BlockStore>> MakeStore(const std::string& spec, std::string* dir) {
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
    *dir = path;
    return MakeDirStore(path, limit);
  }
  return Error::Usage("--writes: '" + spec +
                      "' is not discard, memory[:LIMIT] or dir:PATH[:LIMIT]");
}

Result<std::unique_ptr<ShadowFs>> BuildShadow(const MountOptions& o) {
  Profile profile = DefaultProfile();
  if (!o.profile_path.empty()) {
    auto loaded = LoadProfile(o.profile_path);
    if (!loaded) return loaded.error();
    profile = std::move(*loaded);
  }
  NamespaceOptions ns_options;
  ns_options.seed = o.seed;
  ns_options.scale = o.scale;
  ns_options.files = o.files;
  ns_options.dirs = o.dirs;
  ns_options.bytes = o.bytes;
  auto ns = Namespace::Create(profile, ns_options);
  if (!ns) return ns.error();
  ShadowConfig config;
  config.profile_source = o.profile_path.empty() ? "builtin" : o.profile_path;
  config.scale = o.scale;
  config.owner_uid = ::getuid();
  config.owner_gid = ::getgid();
  config.writes = o.writes;
  // Default capacity: the source's, grown like the data (and never below the data).
  const double growth = profile.totals.bytes > 0
                            ? static_cast<double>((*ns)->total_bytes()) / profile.totals.bytes
                            : o.scale;
  config.capacity_bytes =
      o.capacity_bytes
          ? o.capacity_bytes
          : static_cast<uint64_t>(static_cast<double>(profile.source.capacity_bytes) * growth);
  auto store = MakeStore(o.writes, &config.overlay_dir);
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

// The loop's state directory: the one given, or a fresh one under /tmp.
Result<std::string> StateDir(const MountOptions& o) {
  if (!o.loop.state_dir.empty()) {
    if (::mkdir(o.loop.state_dir.c_str(), 0700) != 0 && errno != EEXIST)
      return Error::Io("--state-dir " + o.loop.state_dir + ": " + std::strerror(errno));
    return o.loop.state_dir;
  }
  std::string dir = "/tmp/sfsg-loop.XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr)
    return Error::Io(std::string("cannot make a state directory in /tmp: ") + std::strerror(errno));
  return dir;
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

int Serve(const MountOptions& o, ShadowFs& fs) {
  ServeState state;
  state.fs = &fs;
  state.options.entry_timeout_s = o.entry_timeout_s;
  state.options.kernel_cache = o.kernel_cache;
  std::vector<std::string> arg_strings = FuseArguments(o);
  std::vector<char*> argv;
  for (std::string& s : arg_strings) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  const fuse_lowlevel_ops ops = MakeOperations();
  fuse_session* se = fuse_session_new(&args, &ops, sizeof(ops), &state);
  std::unique_ptr<ClosedLoop> loop;
  std::mutex session_mutex;
  bool session_alive = true;
  if (se == nullptr) return Fail(Error::Usage("libfuse rejected the mount options"));
  int rc = static_cast<int>(ErrorCode::kIo);
  if (fuse_set_signal_handlers(se) == 0) {
    if (fuse_session_mount(se, o.mountpoint.c_str()) == 0) {
      spdlog::info("sfsg-mount: {} files, {} dirs, {} on {}", FormatCount(fs.ns().entry_count()),
                   FormatCount(fs.ns().dir_count()), FormatBytes(fs.ns().total_bytes()),
                   o.mountpoint);
      fuse_daemonize(o.foreground ? 1 : 0);
      // Threads start after daemonizing (a fork keeps only the calling thread).
      if (o.watch || o.replay) {
        LoopConfig config = o.loop;
        auto state_dir = StateDir(o);
        if (!state_dir) {
          spdlog::error("sfsg-mount: {}", state_dir.error().message);
        } else {
          config.state_dir = *state_dir;
          config.mountpoint = o.mountpoint;
          if (!o.watch) config.adjust = false;
          if (o.replay) config.stress = true;
          if (!o.workload_path.empty()) {
            if (auto w = LoadWorkload(o.workload_path)) config.workload = *w;
          }
          spdlog::info("sfsg-mount: loop every {}s, state in {}", config.interval_s,
                       config.state_dir);
          loop = std::make_unique<ClosedLoop>(
              config, fs, [se, &fs, &session_mutex, &session_alive](const RescaleChange& c) {
                std::lock_guard lock(session_mutex);
                if (session_alive) InvalidateRescale(se, fs, c);
              });
          loop->Start();
        }
      }
      fuse_loop_config* config = fuse_loop_cfg_create();
      fuse_loop_cfg_set_max_threads(config, o.threads);
      fuse_loop_cfg_set_idle_threads(config, o.threads);
      // 0: unmounted; > 0: the signal that stopped the loop (a clean stop); < 0: -errno.
      rc = fuse_session_loop_mt(se, config) < 0 ? static_cast<int>(ErrorCode::kIo) : 0;
      fuse_loop_cfg_destroy(config);
      // Stop in an order that cannot hang: no new round, no more kernel notifications,
      // unmount, and close the session (which fails any request the loop still has in
      // flight) before waiting for the loop thread.
      if (loop) loop->RequestStop();
      {
        std::lock_guard lock(session_mutex);
        session_alive = false;
      }
      fuse_session_unmount(se);
    } else {
      std::fprintf(stderr, "sfsg-mount: cannot mount on %s\n", o.mountpoint.c_str());
    }
    fuse_remove_signal_handlers(se);
  }
  fuse_session_destroy(se);
  fuse_opt_free_args(&args);
  if (loop) loop->Stop();
  return rc;
}

}  // namespace
}  // namespace sfsg

int main(int argc, char** argv) {
  using namespace sfsg;
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
    std::printf("# sfsg-mount effective options (a valid --config file)\n%s",
                options->effective_config.c_str());
    return 0;
  }
  if (options->version) {
    std::printf("sfsg-mount 0.1.0 (libfuse %d)\n", fuse_version());
    return 0;
  }
  spdlog::set_level(spdlog::level::from_str(options->log_level));
  struct stat st;
  if (::stat(options->mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Fail(Error::Io("mountpoint " + options->mountpoint + ": not a directory"));
  auto fs = BuildShadow(*options);
  if (!fs) return Fail(fs.error());
  return Serve(*options, **fs);
}
