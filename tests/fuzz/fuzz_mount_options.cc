// libFuzzer target: sfsg-mount's command line (ParseMountOptions), including the
// mount-helper "-o a=b,c" form. The input is split at NUL bytes into arguments. Any
// argument vector gives options or a kUsage error (kIo for an unreadable --config file);
// never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuse/mount_options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args = {"sfsg-mount"};
  std::string current;
  for (size_t i = 0; i < size && args.size() < 64; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  if (!current.empty()) args.push_back(current);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string help;
  auto options = sfsg::ParseMountOptions(static_cast<int>(args.size()), argv.data(), &help);
  // kUsage, or kIo for a --config file that cannot be read (exit 3, as documented).
  if (!options && options.error().code != sfsg::ErrorCode::kUsage &&
      !(options.error().code == sfsg::ErrorCode::kIo &&
        options.error().message.rfind("--config ", 0) == 0))
    std::abort();
  if (options && !options->help && !options->version && !options->print_config &&
      options->mountpoint.empty())
    std::abort();  // accepted options always name a mountpoint
  return 0;
}
