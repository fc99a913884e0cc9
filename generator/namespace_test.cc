#include "generator/namespace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <unordered_set>

#include "generator/namespace_tree.h"
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
            "0-rhp/0-ubpwyhqr/1-vixrdfv/2-fbb/8-mk/0-jhfcn/0-mlchqssot/"
            "2n-jefqrhoswymjtwengqmuybhoqjsjftf.html");  // extension by Weyl sequence (2026-12-04)
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
  // Counts per directory are drawn from the profile's histograms, so the share of
  // directories with no subdirectory and with no entry follows the profile.
  auto zero_share = [](const SparseHistogram& h) {
    return h.bins.at(0).first == 0 ? static_cast<double>(h.bins[0].second) / h.total() : 0.0;
  };
  const double total_dirs = static_cast<double>(ns->dir_count());
  EXPECT_NEAR(leaves / total_dirs, zero_share(profile.shape.subdirs_per_dir), 0.05);
  EXPECT_NEAR(dirs_without_files / total_dirs, zero_share(profile.shape.files_per_dir), 0.05);
}

// A packaged tree's spikes (many directories with exactly 3 files) survive: the share
// of directories with each small count follows the profile's histogram for the depth.
TEST(Namespace, FilesPerDirectoryKeepsTheSpikesOfTheProfile) {
  Profile p = DefaultProfile();
  const uint64_t kDirs = 2000;
  p.shape.dirs_by_depth = {1, kDirs};
  p.shape.subdirs_per_dir_by_depth.assign(2, {});
  p.shape.subdirs_per_dir_by_depth[0].Add(kDirs);
  p.shape.subdirs_per_dir_by_depth[1].Add(0, kDirs);
  p.shape.files_per_dir_by_depth.assign(2, {});
  p.shape.files_per_dir_by_depth[0].Add(0);
  SparseHistogram& files = p.shape.files_per_dir_by_depth[1];
  files.Add(0, 800);   // 40% empty
  files.Add(3, 600);   // 30% with exactly 3
  files.Add(10, 400);  // 20% with exactly 10
  files.Add(100, 200);
  p.shape.files_by_depth = {0, 600 * 3 + 400 * 10 + 200 * 100};
  p.totals.dirs = kDirs + 1;
  p.totals.files = p.shape.files_by_depth[1];
  p.totals.symlinks = 0;
  p.links.symlink_fraction = 0;
  auto ns = Make({.seed = 17, .scale = 1}, p);
  std::map<uint64_t, uint64_t> dirs_holding;
  ns->ListChildren(Namespace::kRootIno, 0, [&](const DirEntryView& e) {
    EXPECT_EQ(e.attr.kind, NodeKind::kDirectory);
    ++dirs_holding[ns->ChildCount(e.attr.ino)];
    return true;
  });
  const double n = static_cast<double>(kDirs);
  EXPECT_NEAR(dirs_holding[0] / n, 0.4, 0.02);
  EXPECT_NEAR(dirs_holding[3] / n, 0.3, 0.02);
  EXPECT_NEAR(dirs_holding[10] / n, 0.2, 0.02);
  EXPECT_EQ(ns->entry_count(), p.totals.files);
}

// Tiny and odd-sized trees (fewer directories than a block, one more than a block, no
// entries) and a profile without per-directory histograms keep every count exact and
// every entry reachable.
TEST(Namespace, SmallTreesAndEmptyHistogramsStayExact) {
  Profile bare = DefaultProfile();
  bare.shape.files_per_dir = {};
  bare.shape.subdirs_per_dir = {};
  bare.shape.files_per_dir_by_depth.clear();
  bare.shape.subdirs_per_dir_by_depth.clear();
  for (const Profile* profile : {&DefaultProfile(), static_cast<const Profile*>(&bare)}) {
    for (const uint64_t dirs : {1, 2, 3, 31, 33, 65}) {
      for (const uint64_t files : {0, 1, 5, 1000}) {
        NamespaceOptions options{.seed = 3, .files = files, .dirs = dirs};
        if (files == 0) options.scale = 1e-9;  // files = 0 means "use the scale"
        auto ns = Make(options, *profile);
        WalkStats stats;
        Walk(*ns, Namespace::kRootIno, stats);
        EXPECT_EQ(stats.dirs, ns->dir_count()) << dirs << " dirs, " << files << " files";
        EXPECT_EQ(stats.files + stats.symlinks, ns->entry_count());
        EXPECT_EQ(stats.inos.size(), ns->dir_count() + ns->entry_count());
        for (uint64_t i = 0; i < ns->entry_count(); ++i) {
          const uint64_t ino = ns->InoOfEntryIndex(i);
          EXPECT_EQ(ns->Lookup(*ns->ParentOf(ino), *ns->NameOf(ino))->ino, ino);
        }
      }
    }
  }
}

// Walks every directory of a tree by inode and checks that the queries agree: children
// and entries tile their levels in order, Child/FindDir/FindDirContents/FindEntryParent
// give the same directory, and the counts sum to the tree's.
void CheckTreeAgrees(const internal::Tree& tree, uint64_t dirs, uint64_t entries) {
  uint64_t next_child = 2, next_entry = 0, child_sum = 0, entry_sum = 0;
  for (uint64_t ino = 1; ino <= dirs; ++ino) {
    internal::DirNode d, contents;
    ASSERT_TRUE(tree.FindDir(ino, &d)) << ino;
    ASSERT_TRUE(tree.FindDirContents(ino, &contents));
    EXPECT_EQ(contents.child_dirs, d.child_dirs);
    EXPECT_EQ(contents.local_entries, d.local_entries);
    if (d.child_dirs > 0) {
      EXPECT_EQ(d.first_child_ino, next_child) << ino;
      next_child += d.child_dirs;
    }
    EXPECT_EQ(d.entry_base, next_entry) << ino;
    next_entry += d.local_entries;
    child_sum += d.child_dirs;
    entry_sum += d.local_entries;
    if (ino > 1) {
      internal::DirNode parent;
      ASSERT_TRUE(tree.FindDir(d.parent_ino, &parent));
      EXPECT_EQ(tree.Child(parent, d.index_in_parent).ino, ino);
    }
    // A batch of children, from the start or from the middle of a block, is what Child
    // gives one by one.
    for (const uint64_t start : {uint64_t{0}, uint64_t{5}}) {
      std::array<internal::DirNode, 40> batch;
      const uint64_t got = tree.Children(d, start, batch);
      EXPECT_EQ(got, std::min<uint64_t>(d.child_dirs - std::min(start, d.child_dirs), 40));
      for (uint64_t j = 0; j < got; ++j) {
        const internal::DirNode one = tree.Child(d, start + j);
        EXPECT_EQ(batch[j].ino, one.ino);
        EXPECT_EQ(batch[j].parent_ino, one.parent_ino);
        EXPECT_EQ(batch[j].index_in_parent, one.index_in_parent);
        EXPECT_EQ(batch[j].child_dirs, one.child_dirs);
        EXPECT_EQ(batch[j].first_child_ino, one.first_child_ino);
        EXPECT_EQ(batch[j].local_entries, one.local_entries);
        EXPECT_EQ(batch[j].entry_base, one.entry_base);
      }
    }
    for (uint64_t j = 0; j < d.local_entries; j += 1 + d.local_entries / 4)
      EXPECT_EQ(tree.FindEntryParent(d.entry_base + j).ino, ino);
  }
  internal::DirNode none;
  EXPECT_FALSE(tree.FindDir(dirs + 1, &none));
  EXPECT_EQ(child_sum, dirs - 1);
  EXPECT_EQ(entry_sum, entries);
}

TEST(NamespaceTree, TinyTreesZeroEntriesAndEmptyHistogramsAgree) {
  Profile bare = DefaultProfile();
  bare.shape.files_per_dir = {};
  bare.shape.subdirs_per_dir = {};
  for (const Profile* profile : {&DefaultProfile(), static_cast<const Profile*>(&bare)}) {
    for (const uint64_t dirs : {uint64_t{1}, uint64_t{2}, uint64_t{3}, internal::kBlockDirs - 1,
                                internal::kBlockDirs, internal::kBlockDirs + 1, uint64_t{1000}}) {
      for (const uint64_t entries : {0, 7, 1000, 50000}) {
        SCOPED_TRACE(testing::Message() << dirs << " dirs, " << entries << " entries");
        const internal::Tree tree(*profile, 5, dirs, entries);
        CheckTreeAgrees(tree, dirs, entries);
      }
    }
  }
}

// 1e9 entries in 1e7 directories: sampled entries find a parent that holds them, whose
// own parent lists it where it says.
TEST(NamespaceTree, HugeBudgetsAgree) {
  const uint64_t dirs = 10000000, entries = 1000000000;
  const internal::Tree tree(DefaultProfile(), 1, dirs, entries);
  uint64_t total = 0;
  for (uint64_t d : tree.dirs_by_depth()) total += d;
  EXPECT_EQ(total, dirs);
  for (uint64_t e = 12345; e < entries; e += 9876543) {
    const internal::DirNode d = tree.FindEntryParent(e);
    EXPECT_LE(d.entry_base, e);
    EXPECT_LT(e, d.entry_base + d.local_entries);
    internal::DirNode again, parent;
    ASSERT_TRUE(tree.FindDir(d.ino, &again));
    EXPECT_EQ(again.entry_base, d.entry_base);
    EXPECT_EQ(again.child_dirs, d.child_dirs);
    if (d.ino == 1) continue;  // the root is its own parent
    ASSERT_TRUE(tree.FindDir(d.parent_ino, &parent));
    const internal::DirNode child = tree.Child(parent, d.index_in_parent);
    EXPECT_EQ(child.ino, d.ino);
    EXPECT_EQ(child.local_entries, d.local_entries);
  }
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
