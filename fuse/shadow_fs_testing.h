// Shared by the ShadowFs unit tests: a small shadow over a given block store.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "fuse/shadow_fs.h"

namespace sfsg::testing {

inline constexpr RequestContext kUser{1000, 1000};

// 3000 files in 100 directories of the built-in profile; `dir` is the overlay
// directory for a dir: store ("" otherwise).
inline std::unique_ptr<ShadowFs> MakeFs(std::unique_ptr<BlockStore> store,
                                        const std::string& dir = "", uint64_t seed = 5) {
  auto ns = Namespace::Create(DefaultProfile(), {.seed = seed, .files = 3000, .dirs = 100});
  ShadowConfig config;
  config.overlay_dir = dir;
  config.capacity_bytes = uint64_t{1} << 40;
  auto fs = ShadowFs::Create(std::move(*ns), std::move(store), config);
  EXPECT_TRUE(fs.ok()) << (fs.ok() ? "" : fs.error().message);
  return fs.ok() ? std::move(*fs) : nullptr;
}

// An empty directory NAME-PID under the test's temporary directory (emptied first).
inline std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace sfsg::testing
