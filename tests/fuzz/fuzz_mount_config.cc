// libFuzzer target: sfsg-mount's config file (--config FILE: "key = value" lines with
// the long option names). Any file gives options or a kUsage error naming the file;
// never a crash, an exception or a hang. The file lives under /dev/shm.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuse/mount_options.h"

namespace {

std::string g_path;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_path = "/dev/shm/sfsg-fuzz-mount-config." + std::to_string(::getpid());
  std::atexit([] { ::unlink(g_path.c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = ::open(g_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
  ::close(fd);
  std::vector<std::string> args = {"sfsg-mount", "--config", g_path, "/mnt/fuzz"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string help;
  auto options = sfsg::ParseMountOptions(static_cast<int>(args.size()), argv.data(), &help);
  if (!options && options.error().code != sfsg::ErrorCode::kUsage) std::abort();
  return 0;
}
