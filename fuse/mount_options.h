// Command-line options of sfsg-mount, parsed once in main into a plain struct.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fuse/config.h"
#include "fuse/device_gate.h"
#include "fuse/forecaster/forecaster.h"
#include "generator/device/device_model.h"
#include "generator/util/status.h"

namespace sfsg {

struct MountOptions {
  std::string mountpoint;
  std::string profile_path;  // "" or "builtin": the built-in profile
  uint64_t seed = 1;
  double scale = 1.0;
  uint64_t files = 0, dirs = 0, bytes = 0;  // 0: from scale
  uint64_t capacity_bytes = 0;              // 0: the profile's source capacity x scale
  std::string writes = "memory";            // discard | memory[:LIMIT] | dir:PATH[:LIMIT]
  bool foreground = false;
  bool debug = false;
  bool kernel_cache = false;
  bool no_fill_helper = false;
  bool allow_other = false;
  bool read_only = false;
  unsigned threads = config::kFuseThreads;
  double entry_timeout_s = config::kEntryTimeoutSeconds;
  std::string log_level = "info";
  std::string metrics_listen;  // ADDRESS:PORT serving /metrics (metrics_server.h); "": none
  std::string log_file;        // "" : see SetUpLog in mount_main.cc; "syslog"; or a path
  std::vector<std::string> fuse_options;  // passed through to libfuse (-o)
  bool help = false, version = false;
  // The forecaster (--watch) and its load ladder alone (--replay); see
  // fuse/forecaster/forecaster.h.
  bool watch = false;   // loop.watch is set
  bool replay = false;  // run the ladder periodically even without --watch
  ForecasterConfig forecaster;
  std::string workload_path;     // "" : the built-in workload
  std::string config_file;       // --config
  bool print_config = false;     // print the effective options and exit
  std::string effective_config;  // what --print-config prints
  // --device MODEL.json: answer at the model's times ("" : as fast as the shadow can).
  std::string device_path;
  DeviceScale device_scale;  // --device-scale and --device-cache (what-ifs)
  // --device-floor: the shadow's own request path per operation class, subtracted from
  // each model time that exceeds it (see fuse/device_gate.h). All 0: none.
  RequestFloor device_floor;
};

// Parses argv (including "-o a=b,c" in the mount-helper style) and the --config file
// (Boost.Program_options "key = value" lines with the long option names; the command
// line wins). Errors: kUsage, naming the option or the config file and key.
Result<MountOptions> ParseMountOptions(int argc, char** argv, std::string* help_text);

}  // namespace sfsg
