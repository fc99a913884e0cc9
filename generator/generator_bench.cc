// Benchmarks of the generator's hot paths, each printed next to a reference measured
// in the same run: content fill per class and each random-bytes path (portable, AES
// instructions) against memcpy of the same size, and
// namespace attribute/lookup/listing costs per call.
//   build/generator/generator_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "generator/content_model.h"
#include "generator/namespace.h"

namespace sfsg {
namespace {

constexpr size_t kBuffer = 1 << 20;

void BM_Memcpy(benchmark::State& state) {
  std::vector<std::byte> src(kBuffer, std::byte{7}), dst(kBuffer);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), kBuffer);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBuffer));
}
BENCHMARK(BM_Memcpy);

// Arg: the target compression ratio x 10 (10 = incompressible).
void BM_ContentFill(benchmark::State& state) {
  Profile p = DefaultProfile();
  p.extensions.clear();
  p.content.compression_ratio = static_cast<double>(state.range(0)) / 10.0;
  const ContentModel model(p, 1);
  std::vector<std::byte> dst(kBuffer);
  uint64_t file = 0;
  for (auto _ : state) {
    model.Fill(0, ++file, 0, dst);
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBuffer));
  state.SetLabel(model.classes()[0].text_like ? "text-like" : "binary");
}
BENCHMARK(BM_ContentFill)->Arg(10)->Arg(15)->Arg(30)->Arg(60);

// Arg: a random-bytes path (internal::RandomWordsPaths(): 0 is the portable one).
void BM_RandomWordsPath(benchmark::State& state) {
  const auto paths = internal::RandomWordsPaths();
  const size_t index = static_cast<size_t>(state.range(0));
  if (index >= paths.size() || !paths[index].runs_here) {
    state.SkipWithError("not on this CPU");
    return;
  }
  std::vector<std::byte> dst(kBuffer);
  uint64_t key = 0;
  for (auto _ : state) {
    paths[index].fill(++key, dst.data(), kBuffer / 8, false);
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBuffer));
  state.SetLabel(paths[index].name);
}
BENCHMARK(BM_RandomWordsPath)->DenseRange(0, 2);

std::unique_ptr<Namespace> BigNamespace() {
  return std::move(Namespace::Create(DefaultProfile(),
                                     {.seed = 1, .files = 1000000000, .bytes = uint64_t{1} << 50})
                       .value());
}

void BM_GetAttrFile(benchmark::State& state) {
  const auto ns = BigNamespace();
  uint64_t i = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(ns->GetAttr(ns->InoOfEntryIndex((i += 7919) % ns->entry_count())));
}
BENCHMARK(BM_GetAttrFile);

void BM_LookupByName(benchmark::State& state) {
  const auto ns = BigNamespace();
  std::vector<std::pair<uint64_t, std::string>> probes;
  for (uint64_t i = 0; i < 1000; ++i) {
    const uint64_t ino = ns->InoOfEntryIndex(i * 999983 % ns->entry_count());
    probes.emplace_back(*ns->ParentOf(ino), *ns->NameOf(ino));
  }
  size_t k = 0;
  for (auto _ : state) {
    const auto& [parent, name] = probes[k++ % probes.size()];
    benchmark::DoNotOptimize(ns->Lookup(parent, name));
  }
}
BENCHMARK(BM_LookupByName);

void BM_ListChildrenPerEntry(benchmark::State& state) {
  const auto ns = BigNamespace();
  uint64_t listed = 0;
  for (auto _ : state) {
    listed += ns->ListChildren(Namespace::kRootIno, 0, [](const DirEntryView& e) {
      benchmark::DoNotOptimize(e.attr.size_bytes);
      return true;
    });
    listed += ns->ListChildren(2, 0, [](const DirEntryView&) { return true; });
  }
  state.SetItemsProcessed(static_cast<int64_t>(listed));
}
BENCHMARK(BM_ListChildrenPerEntry);

}  // namespace
}  // namespace sfsg

BENCHMARK_MAIN();
