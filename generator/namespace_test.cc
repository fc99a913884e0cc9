#include "generator/namespace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_set>

#include "generator/size_model.h"

namespace sfsg {
namespace {

std::unique_ptr<Namespace> Make(NamespaceOptions options, const Profile& p = DefaultProfile()) {
  auto ns = Namespace::Create(p, options);
  EXPECT_TRUE(ns.ok()) << (ns.ok() ? "" : ns.error().message);
  return std::move(*ns);
}

struct WalkStats {
  uint64_t dirs = 0, files = 0, symlinks = 0, bytes = 0;
  uint32_t max_depth = 0;
  std::vector<uint64_t> sizes;
  std::set<uint64_t> inos;
};

// Walks the whole tree through ListChildren, checking each listed entry against Lookup.
void Walk(const Namespace& ns, uint64_t dir, WalkStats& stats) {
  ++stats.dirs;
  stats.inos.insert(dir);
  std::vector<uint64_t> subdirs;
  std::set<std::string> names;
  ns.ListChildren(dir, 0, [&](const DirEntryView& e) {
    EXPECT_TRUE(names.insert(e.name).second) << "duplicate name " << e.name;
    EXPECT_TRUE(stats.inos.insert(e.attr.ino).second) << "duplicate ino " << e.attr.ino;
    auto found = ns.Lookup(dir, e.name);
    EXPECT_TRUE(found.has_value()) << e.name;
    if (found) {
      EXPECT_EQ(found->ino, e.attr.ino);
    }
    stats.max_depth = std::max(stats.max_depth, e.attr.depth);
    switch (e.attr.kind) {
      case NodeKind::kDirectory:
        subdirs.push_back(e.attr.ino);
        stats.inos.erase(e.attr.ino);
        break;
      case NodeKind::kFile:
        ++stats.files;
        stats.bytes += e.attr.size_bytes;
        stats.sizes.push_back(e.attr.size_bytes);
        break;
      case NodeKind::kSymlink:
        ++stats.symlinks;
        break;
    }
    return true;
  });
  EXPECT_EQ(names.size(), ns.ChildCount(dir));
  for (uint64_t d : subdirs) Walk(ns, d, stats);
}

TEST(Namespace, CountsAreExactAndEveryEntryIsReachable) {
  for (uint64_t seed : {1, 2, 99}) {
    auto ns = Make({.seed = seed, .scale = 0.2});
    WalkStats stats;
    Walk(*ns, Namespace::kRootIno, stats);
    EXPECT_EQ(stats.dirs, ns->dir_count());
    EXPECT_EQ(stats.files, ns->file_count());
    EXPECT_EQ(stats.symlinks, ns->symlink_count());
    EXPECT_EQ(stats.files + stats.symlinks, ns->entry_count());
    EXPECT_EQ(stats.bytes, ns->total_bytes());
    EXPECT_EQ(stats.inos.size(), ns->dir_count() + ns->entry_count());
    EXPECT_EQ(*stats.inos.rbegin(), ns->max_ino());
  }
}

TEST(Namespace, ExactCountsForRequestedSizes) {
  auto ns = Make({.seed = 7, .files = 12345, .dirs = 678});
  WalkStats stats;
  Walk(*ns, Namespace::kRootIno, stats);
  EXPECT_EQ(stats.dirs, 678u);
  EXPECT_EQ(stats.files + stats.symlinks, 12345u);
}

TEST(Namespace, TotalBytesMatchTheTargetWithinHalfAPercent) {
  const uint64_t target = uint64_t{3} << 30;
  auto ns = Make({.seed = 5, .files = 20000, .bytes = target});
  WalkStats stats;
  Walk(*ns, Namespace::kRootIno, stats);
  EXPECT_EQ(stats.bytes, ns->total_bytes());
  EXPECT_NEAR(static_cast<double>(stats.bytes), static_cast<double>(target), target * 0.005);
}

TEST(Namespace, SameSeedSameTreeDifferentSeedDifferentTree) {
  auto a = Make({.seed = 11, .scale = 0.05});
  auto b = Make({.seed = 11, .scale = 0.05});
  auto c = Make({.seed = 12, .scale = 0.05});
  int differ = 0;
  for (uint64_t ino = 1; ino <= a->max_ino(); ino += 7) {
    const auto x = a->GetAttr(ino), y = b->GetAttr(ino);
    ASSERT_TRUE(x && y);
    EXPECT_EQ(*a->PathOf(ino), *b->PathOf(ino));
    EXPECT_EQ(x->size_bytes, y->size_bytes);
    EXPECT_EQ(x->mtime_ns, y->mtime_ns);
    if (c->GetAttr(ino) && *c->PathOf(ino) != *a->PathOf(ino)) ++differ;
  }
  EXPECT_GT(differ, 10);
}

TEST(Namespace, GoldenValuesPinTheModel) {
  // A change here changes every shadow ever mounted with this seed: do it on purpose.
  auto ns = Make({.seed = 42, .files = 1000, .dirs = 100});
  const uint64_t ino = ns->InoOfEntryIndex(500);
  const auto attr = ns->GetAttr(ino);
  ASSERT_TRUE(attr);
  EXPECT_EQ(*ns->PathOf(ino),
            "0-rhp/0-ubpwyhqr/1-vixrdfv/2-deplilwyc/0-opvsr/1-vnm/0-oviqis/"
            "d-jefqrhoswymjtwengqmuybhoqjsjftfcyb.py");
  EXPECT_EQ(attr->size_bytes, 3906u);
}

TEST(Namespace, DepthCountsAndLeafSharesFollowTheProfile) {
  const Profile profile = DefaultProfile();
  auto ns = Make({.seed = 9, .scale = 1.0});
  std::vector<uint64_t> dirs(profile.shape.dirs_by_depth.size() + 1, 0);
  std::vector<uint64_t> entries(dirs.size(), 0);
  uint64_t leaves = 0, dirs_without_files = 0;
  std::vector<uint64_t> stack{Namespace::kRootIno};
  while (!stack.empty()) {
    const uint64_t dir = stack.back();
    stack.pop_back();
    const uint32_t depth = ns->GetAttr(dir)->depth;
    ++dirs[depth];
    uint64_t subdirs = 0, files = 0;
    ns->ListChildren(dir, 0, [&](const DirEntryView& e) {
      if (e.attr.kind == NodeKind::kDirectory) {
        stack.push_back(e.attr.ino);
        ++subdirs;
      } else {
        ++entries[depth];
        ++files;
      }
      return true;
    });
    leaves += subdirs == 0;
    dirs_without_files += files == 0;
  }
  for (size_t t = 0; t < profile.shape.dirs_by_depth.size(); ++t) {
    EXPECT_EQ(dirs[t], profile.shape.dirs_by_depth[t]) << "depth " << t;
    EXPECT_EQ(entries[t], profile.shape.files_by_depth[t]) << "depth " << t;
  }
  // The cascade steepness is fitted per depth to the profile's share of directories with
  // no subdirectory and with no entry.
  auto zero_share = [](const SparseHistogram& h) {
    return h.bins.at(0).first == 0 ? static_cast<double>(h.bins[0].second) / h.total() : 0.0;
  };
  const double total_dirs = static_cast<double>(ns->dir_count());
  EXPECT_NEAR(leaves / total_dirs, zero_share(profile.shape.subdirs_per_dir), 0.05);
  EXPECT_NEAR(dirs_without_files / total_dirs, zero_share(profile.shape.files_per_dir), 0.05);
}

TEST(Namespace, PathsResolveByLookupFromTheRoot) {
  auto ns = Make({.seed = 3, .scale = 0.1});
  for (uint64_t i = 0; i < ns->entry_count(); i += 97) {
    const uint64_t ino = ns->InoOfEntryIndex(i);
    const std::string path = *ns->PathOf(ino);
    uint64_t at = Namespace::kRootIno;
    size_t start = 0;
    while (start < path.size()) {
      const size_t slash = std::min(path.find('/', start), path.size());
      auto child = ns->Lookup(at, path.substr(start, slash - start));
      ASSERT_TRUE(child) << path;
      at = child->ino;
      start = slash + 1;
    }
    EXPECT_EQ(at, ino);
    EXPECT_EQ(*ns->ParentOf(ino), *ns->ParentOf(ino));
  }
}

TEST(Namespace, LookupRejectsNamesThatAreNotThere) {
  auto ns = Make({.seed = 3, .scale = 0.1});
  for (const char* bad : {"", "zzzzzzzzzzzz", "0-nothere", "00", "-", "1.", "a/b", "0123"})
    EXPECT_FALSE(ns->Lookup(Namespace::kRootIno, bad)) << bad;
  EXPECT_FALSE(ns->GetAttr(0));
  EXPECT_FALSE(ns->GetAttr(ns->max_ino() + 1));
}

TEST(Namespace, SymlinksResolveInsideTheTree) {
  auto ns = Make({.seed = 8, .scale = 0.2});
  int checked = 0;
  for (uint64_t i = 0; i < ns->entry_count() && checked < 50; ++i) {
    const uint64_t ino = ns->InoOfEntryIndex(i);
    auto target = ns->ReadLink(ino);
    if (!target) continue;
    ++checked;
    EXPECT_EQ(ns->GetAttr(ino)->size_bytes, target->size());
    if (*target == "..") continue;
    auto sibling = ns->Lookup(*ns->ParentOf(ino), *target);
    ASSERT_TRUE(sibling) << *target;
    EXPECT_EQ(sibling->kind, NodeKind::kFile);
  }
  EXPECT_GT(checked, 10);
}

// KS distance of generated sizes against the profile's size model, at 100k files.
TEST(Namespace, SizeDistributionMatchesTheModel) {
  const Profile& p = DefaultProfile();
  auto ns = Make({.seed = 21, .files = 101523, .dirs = 9000});
  std::vector<double> sizes;
  for (uint64_t i = 0; i < ns->entry_count(); ++i) {
    const auto a = ns->GetAttr(ns->InoOfEntryIndex(i));
    if (a->kind == NodeKind::kFile && a->size_bytes > 0)
      sizes.push_back(static_cast<double>(a->size_bytes));
  }
  std::sort(sizes.begin(), sizes.end());
  const SizeSampler sampler(p.sizes);
  double ks = 0;
  const double n = static_cast<double>(sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i + 1 < sizes.size() && sizes[i + 1] == sizes[i]) continue;
    const double model = SizeFitCdf(p.sizes.fit, sizes[i] + 0.5);
    ks = std::max({ks, std::abs(model - (i + 1) / n)});
  }
  EXPECT_LT(ks, 0.02);
}

TEST(Namespace, ScaleMultipliesCountsAndKeepsTheSizeDistribution) {
  auto one = Make({.seed = 4, .scale = 1});
  auto ten = Make({.seed = 4, .scale = 10});
  EXPECT_NEAR(static_cast<double>(ten->entry_count()) / one->entry_count(), 10.0, 0.01);
  EXPECT_NEAR(static_cast<double>(ten->dir_count()) / one->dir_count(), 10.0, 0.01);
  // The heavy tail is sampled further out at 10x, so the mean grows slightly.
  EXPECT_NEAR(static_cast<double>(ten->total_bytes()) / one->total_bytes(), 10.0, 0.5);
  auto quantile = [](const Namespace& ns, double q) {
    std::vector<uint64_t> sizes;
    for (uint64_t i = 0; i < ns.entry_count(); i += 1 + ns.entry_count() / 20000) {
      const auto a = ns.GetAttr(ns.InoOfEntryIndex(i));
      if (a->kind == NodeKind::kFile) sizes.push_back(a->size_bytes);
    }
    std::sort(sizes.begin(), sizes.end());
    return static_cast<double>(sizes[static_cast<size_t>(q * (sizes.size() - 1))]);
  };
  for (double q : {0.1, 0.5, 0.9})
    EXPECT_NEAR(quantile(*ten, q) / quantile(*one, q), 1.0, 0.1) << q;
}

TEST(Namespace, BillionFilesCostsNothingToCreateOrQuery) {
  auto ns = Make({.seed = 1, .files = 1000000000, .bytes = uint64_t{1} << 50});
  EXPECT_EQ(ns->entry_count(), 1000000000u);
  EXPECT_NEAR(static_cast<double>(ns->total_bytes()), std::pow(2.0, 50), std::pow(2.0, 50) * 0.005);
  const uint64_t ino = ns->InoOfEntryIndex(987654321);
  const auto path = ns->PathOf(ino);
  ASSERT_TRUE(path);
  EXPECT_GT(path->size(), 5u);
  EXPECT_GE(ns->ChildCount(Namespace::kRootIno), 1u);
}

TEST(Namespace, RescaleKeepsEveryExistingEntryAndAddsReachableOnes) {
  auto ns = Make({.seed = 5, .scale = 0.2});
  struct Seen {
    std::string path;
    uint64_t size = 0, file_index = 0;
    int64_t mtime_ns = 0;
  };
  std::map<uint64_t, Seen> before;
  for (uint64_t ino = 1; ino <= ns->max_ino(); ++ino) {
    const auto a = ns->GetAttr(ino);
    ASSERT_TRUE(a);
    before[ino] = Seen{*ns->PathOf(ino), a->size_bytes, a->file_index, a->mtime_ns};
  }
  const uint64_t dirs = ns->dir_count(), entries = ns->entry_count();

  const auto grown = ns->Rescale(0.3);
  ASSERT_TRUE(grown) << grown.error().message;
  EXPECT_EQ(grown->old_layers, 1u);
  EXPECT_EQ(grown->new_layers, 2u);
  EXPECT_NEAR(ns->scale(), 0.3, 0.001);
  EXPECT_NEAR(static_cast<double>(ns->entry_count()) / entries, 1.5, 0.01);
  for (const auto& [ino, seen] : before) {
    const auto a = ns->GetAttr(ino);
    ASSERT_TRUE(a);
    EXPECT_EQ(*ns->PathOf(ino), seen.path);
    EXPECT_EQ(a->size_bytes, seen.size);
    EXPECT_EQ(a->file_index, seen.file_index);
    EXPECT_EQ(a->mtime_ns, seen.mtime_ns);
  }
  // A walk from the root reaches every directory and entry of both layers, each name
  // resolves by lookup, and the dense entry index round-trips.
  uint64_t walked_dirs = 0, walked_entries = 0;
  std::vector<uint64_t> stack{Namespace::kRootIno};
  std::set<uint64_t> indices;
  while (!stack.empty()) {
    const uint64_t dir = stack.back();
    stack.pop_back();
    ++walked_dirs;
    ns->ListChildren(dir, 0, [&](const DirEntryView& e) {
      const auto found = ns->Lookup(dir, e.name);
      EXPECT_TRUE(found && found->ino == e.attr.ino) << e.name;
      if (e.attr.kind == NodeKind::kDirectory) {
        stack.push_back(e.attr.ino);
      } else {
        ++walked_entries;
        indices.insert(e.attr.file_index);
        EXPECT_EQ(ns->InoOfEntryIndex(e.attr.file_index), e.attr.ino);
      }
      return true;
    });
  }
  EXPECT_EQ(walked_dirs, ns->dir_count());
  EXPECT_EQ(walked_entries, ns->entry_count());
  EXPECT_EQ(indices.size(), ns->entry_count());
  EXPECT_EQ(*indices.rbegin(), ns->entry_count() - 1);

  // Shrinking hides the new layer; growing again brings the same one back.
  const std::vector<std::string> added = ns->RootNamesOfLayers(1, 2);
  ASSERT_FALSE(added.empty());
  const auto added_ino = ns->Lookup(Namespace::kRootIno, added[0])->ino;
  ASSERT_TRUE(ns->Rescale(0.2));
  EXPECT_EQ(ns->dir_count(), dirs);
  EXPECT_EQ(ns->entry_count(), entries);
  EXPECT_FALSE(ns->Lookup(Namespace::kRootIno, added[0]));
  EXPECT_FALSE(ns->GetAttr(added_ino));
  ASSERT_TRUE(ns->Rescale(0.3));
  EXPECT_EQ(ns->Lookup(Namespace::kRootIno, added[0])->ino, added_ino);
  EXPECT_FALSE(ns->Rescale(-1));
}

}  // namespace
}  // namespace sfsg
