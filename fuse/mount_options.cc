#include "fuse/mount_options.h"

#include <boost/program_options.hpp>
#include <set>
#include <sstream>

#include "generator/util/units.h"

namespace sfsg {
namespace po = boost::program_options;
namespace {

// -o keys that are ours (they become --key[=value]); everything else goes to libfuse,
// except what mount(8) passes for its own bookkeeping.
const std::set<std::string> kOwnKeys = {"profile",      "seed",        "scale",      "files",
                                        "dirs",         "bytes",       "capacity",   "writes",
                                        "threads",      "timeout",     "log-level",  "kernel_cache",
                                        "kernel-cache", "allow_other", "allow-other"};
const std::set<std::string> kMountOnlyKeys = {
    "rw",     "defaults", "auto", "noauto", "user",  "nouser",   "users", "_netdev",
    "nofail", "exec",     "suid", "dev",    "async", "relatime", "atime", "diratime"};

void SplitDashO(const std::string& list, std::vector<std::string>& args, MountOptions& out) {
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    std::string key = item.substr(0, eq);
    if (kOwnKeys.count(key)) {
      for (char& c : key)
        if (c == '_') c = '-';
      args.push_back("--" + key + (eq == std::string::npos ? "" : "=" + item.substr(eq + 1)));
    } else if (item == "ro") {
      out.read_only = true;
    } else if (!kMountOnlyKeys.count(key) && key.rfind("x-", 0) != 0) {
      out.fuse_options.push_back(item);
    }
  }
}

}  // namespace

Result<MountOptions> ParseMountOptions(int argc, char** argv, std::string* help_text) {
  MountOptions out;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-o") {
      if (i + 1 >= argc) return Error::Usage("-o: needs a list of options");
      SplitDashO(argv[++i], args, out);
    } else if (a.rfind("-o", 0) == 0 && a.size() > 2) {
      SplitDashO(a.substr(2), args, out);
    } else {
      args.push_back(a);
    }
  }
  std::string seed, scale, files, dirs, bytes, capacity, timeout;
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
      "allow-other", po::bool_switch(&out.allow_other), "let other users access the mount")(
      "threads,t", po::value(&out.threads)->default_value(4), "FUSE worker threads")(
      "timeout", po::value(&timeout)->default_value("3600"),
      "kernel cache time for names and attributes (s)")(
      "log-level", po::value(&out.log_level)->default_value("info"),
      "trace|debug|info|warn|error|off")(
      "option,o", po::value<std::vector<std::string>>(),
      "mount options: seed=N,scale=X,writes=...,ro, and FUSE options");
  po::options_description hidden;
  hidden.add_options()("positional", po::value<std::vector<std::string>>(), "");
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("positional", 2);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return Error::Usage(std::string(e.what()) + " (see sfsg-mount --help)");
  }
  std::ostringstream help;
  help << visible;
  *help_text = help.str();
  out.help = vm.count("help");
  out.version = vm.count("version");
  if (out.help || out.version) return out;
  const auto pos = vm.count("positional") ? vm["positional"].as<std::vector<std::string>>()
                                          : std::vector<std::string>{};
  if (pos.empty()) return Error::Usage("missing MOUNTPOINT (see sfsg-mount --help)");
  if (pos.size() == 2) {
    if (!out.profile_path.empty())
      return Error::Usage("PROFILE given twice (positional and --profile)");
    out.profile_path = pos[0];
  }
  out.mountpoint = pos.back();
  if (out.profile_path == "builtin" || out.profile_path == "default") out.profile_path.clear();
  auto parsed_seed = ParseCount(seed, "--seed");
  if (!parsed_seed) return parsed_seed.error();
  out.seed = *parsed_seed;
  auto parsed_scale = ParsePositiveNumber(scale, "--scale");
  if (!parsed_scale) return parsed_scale.error();
  out.scale = *parsed_scale;
  if (!files.empty()) {
    auto v = ParseCount(files, "--files");
    if (!v) return v.error();
    out.files = *v;
  }
  if (!dirs.empty()) {
    auto v = ParseCount(dirs, "--dirs");
    if (!v) return v.error();
    if (*v == 0) return Error::Usage("--dirs: must be at least 1");
    out.dirs = *v;
  }
  if (!bytes.empty()) {
    auto v = ParseBytes(bytes, "--bytes");
    if (!v) return v.error();
    out.bytes = *v;
  }
  if (!capacity.empty()) {
    auto v = ParseBytes(capacity, "--capacity");
    if (!v) return v.error();
    out.capacity_bytes = *v;
  }
  auto parsed_timeout = ParseDurationSeconds(timeout, "--timeout");
  if (!parsed_timeout) return parsed_timeout.error();
  out.entry_timeout_s = *parsed_timeout;
  if (out.threads < 1 || out.threads > 256) return Error::Usage("--threads: must be 1..256");
  if (out.debug) out.foreground = true;
  return out;
}

}  // namespace sfsg
