// The shadow's own share of each FUSE request, without the kernel: ShadowFs calls as the
// handlers in fuse_ops.cc make them for the replayer's operations (a lookup, an open and
// release, a 16 KiB read, a create, an unlink, 8 KiB and 128 KiB writes, a listing of a
// 30-entry directory), per write mode (Arg: 0 discard, 1 memory, 2 dir). A FUSE round
// trip costs 20-25 us on the 2-vCPU VM (BENCHMARKS.md, "Request path"); a call here
// that is a small fraction of it is not where a replayed operation's time goes.
//   build/fuse/shadow_fs_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fuse/shadow_fs.h"

namespace sfsg {
namespace {

constexpr RequestContext kUser{1000, 1000};

// 3000 files in 100 directories of the built-in profile, the overlay touched (a scratch
// directory made, as sfsg-replay makes one) so every call takes the locked path.
struct Bench {
  explicit Bench(int64_t mode) {
    ShadowConfig config;
    config.capacity_bytes = uint64_t{1} << 40;
    std::unique_ptr<BlockStore> store;
    if (mode == 0) {
      store = MakeDiscardStore();
    } else if (mode == 1) {
      store = MakeMemoryStore(0);
    } else {
      dir = std::filesystem::temp_directory_path() /
            ("sfsg-shadow-fs-bench-" + std::to_string(::getpid()));
      std::filesystem::remove_all(dir);
      std::filesystem::create_directories(dir);
      store = std::move(*MakeDirStore(dir, 0));
      config.overlay_dir = dir;
    }
    auto ns = Namespace::Create(DefaultProfile(), {.seed = 5, .files = 3000, .dirs = 100});
    fs = std::move(*ShadowFs::Create(std::move(*ns), std::move(store), config));
    struct stat st;
    fs->Mkdir(Namespace::kRootIno, "scratch", 0755, kUser, &st);
    scratch = st.st_ino;
    // A synthetic regular file, the directory it is in and its name.
    for (uint64_t i = 0; !file; ++i) {
      const auto attr = fs->ns().GetAttr(fs->ns().InoOfEntryIndex(i));
      if (attr && attr->kind == NodeKind::kFile && attr->size_bytes >= (16 << 10)) {
        file = attr->ino;
        parent = *fs->ns().ParentOf(file);
        name = *fs->ns().NameOf(file);
      }
    }
  }
  ~Bench() {
    fs.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<ShadowFs> fs;
  uint64_t scratch = 0, file = 0, parent = 0;
  std::string name;
};

void BM_Lookup(benchmark::State& state) {
  Bench b(state.range(0));
  struct stat st;
  for (auto _ : state) benchmark::DoNotOptimize(b.fs->Lookup(b.parent, b.name, &st));
}
BENCHMARK(BM_Lookup)->DenseRange(0, 2);

void BM_OpenRelease(benchmark::State& state) {
  Bench b(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(b.fs->Open(b.file, O_RDONLY));
    b.fs->Release(b.file);
  }
}
BENCHMARK(BM_OpenRelease)->DenseRange(0, 2);

void BM_Read16k(benchmark::State& state) {
  Bench b(state.range(0));
  std::vector<std::byte> buf(16 << 10);
  size_t done = 0;
  for (auto _ : state) benchmark::DoNotOptimize(b.fs->Read(b.file, 0, buf, &done));
}
BENCHMARK(BM_Read16k)->DenseRange(0, 2);

// create (which opens), release, unlink: one replayed create and one unlink.
void BM_CreateUnlink(benchmark::State& state) {
  Bench b(state.range(0));
  struct stat st;
  for (auto _ : state) {
    b.fs->Create(b.scratch, "c", 0644, kUser, &st);
    b.fs->Release(st.st_ino);
    b.fs->Unlink(b.scratch, "c");
  }
}
BENCHMARK(BM_CreateUnlink)->DenseRange(0, 2);

// Arg 1: the write size in KiB; random 4 KiB-aligned offsets in an 8 MiB file.
void BM_Write(benchmark::State& state) {
  Bench b(state.range(0));
  struct stat st;
  b.fs->Create(b.scratch, "d0", 0644, kUser, &st);
  const std::vector<std::byte> data(static_cast<size_t>(state.range(1)) << 10, std::byte{1});
  uint64_t offset = 0;
  size_t done = 0;
  for (auto _ : state) {
    offset = (offset + 7919 * 4096) % ((8 << 20) - data.size()) / 4096 * 4096;
    benchmark::DoNotOptimize(b.fs->Write(st.st_ino, offset, data, &done));
  }
}
BENCHMARK(BM_Write)->ArgsProduct({{0, 1, 2}, {8, 128}});

void BM_ReadDir(benchmark::State& state) {
  Bench b(state.range(0));
  uint64_t entries = 0;
  for (auto _ : state) {
    b.fs->ReadDir(b.parent, 0, [&](std::string_view, const struct stat&, uint64_t) {
      ++entries;
      return true;
    });
  }
  state.counters["entries"] =
      benchmark::Counter(static_cast<double>(entries), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_ReadDir)->DenseRange(0, 2);

}  // namespace
}  // namespace sfsg

BENCHMARK_MAIN();
