#include "generator/namespace.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <mutex>

#include "generator/config.h"
#include "generator/namespace_tree.h"
#include "generator/size_model.h"
#include "generator/util/hash.h"

namespace sfsg {

using internal::DirNode;

namespace {

// Tags keep the seeded draws of different attributes independent.
enum : uint64_t {
  kTagRank = 0x7a4b,
  kTagExt,
  kTagName,
  kTagAge,
  kTagMode,
  kTagLink,
  kTagDirName,
  kTagOther,
  kTagLayer
};
constexpr uint64_t kMaxEntries = uint64_t{1} << 60;
constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";

std::string Base36(uint64_t v) {
  char buf[16];
  int n = 0;
  do {
    buf[n++] = kDigits[v % 36];
    v /= 36;
  } while (v);
  std::string s(buf, n);
  std::reverse(s.begin(), s.end());
  return s;
}

// Parses the base-36 index that starts every synthetic name; false if malformed.
bool ParseIndex(std::string_view name, uint64_t* index) {
  size_t end = 0;
  uint64_t v = 0;
  while (end < name.size() && name[end] != '-' && name[end] != '.') {
    const char c = name[end];
    int digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'z')
      digit = c - 'a' + 10;
    else
      return false;
    if (v > (UINT64_MAX - 35) / 36) return false;
    v = v * 36 + static_cast<uint64_t>(digit);
    ++end;
  }
  if (end == 0 || end > 13 || (end > 1 && name[0] == '0')) return false;
  *index = v;
  return true;
}

}  // namespace

// One layer: a complete tree of its own (profile, seed, size). Layer 0 is the shadow
// as mounted; each re-scale upward appends a layer whose root merges with the shadow's
// root, so every entry that existed before keeps its inode, name and content.
struct Layer {
  Profile profile;
  NamespaceOptions options;
  uint64_t dirs = 1, entries = 0, files = 0, symlinks = 0, empty_files = 0;
  double now_unix = config::kGeneratorEpochUnix;
  double bytes_factor = 1.0;
  uint64_t total_bytes = 0;
  std::unique_ptr<internal::Tree> tree;
  std::unique_ptr<Permutation> rank;
  std::unique_ptr<SizeSampler> sizes;
  // ext_cdf[bucket][i]: cumulative weight of extension i among files in that log2 bucket.
  std::vector<std::vector<double>> ext_cdf;
  std::vector<double> ext_cdf_any;
  // Where this layer sits in the shadow: index of its first root child in the merged
  // root listing, and global index of its first entry (the content key base).
  uint64_t root_child_base = 0;
  uint64_t entries_before = 0;
  double scale = 1.0;  // of the profile, this layer alone

  uint64_t Key(uint64_t tag, uint64_t a, uint64_t b = 0) const {
    return HashWords(options.seed, tag, a, b);
  }

  uint64_t FileSize(uint64_t rank_value) const {
    if (rank_value < empty_files) return 0;
    const uint64_t nonempty = files - empty_files;
    const double u =
        (static_cast<double>(rank_value - empty_files) + 0.5) / static_cast<double>(nonempty);
    const uint64_t bytes = sizes->Bytes(u);
    if (bytes_factor == 1.0) return bytes;
    return std::max<uint64_t>(
        1, static_cast<uint64_t>(std::llround(static_cast<double>(bytes) * bytes_factor)));
  }

  int PickExtension(uint64_t entry, uint64_t size, bool symlink) const {
    if (profile.extensions.empty()) return -1;
    const std::vector<double>* cdf = &ext_cdf_any;
    if (!symlink) {
      const size_t bucket = size == 0 ? 0 : static_cast<size_t>(64 - __builtin_clzll(size));
      if (bucket < ext_cdf.size() && !ext_cdf[bucket].empty() && ext_cdf[bucket].back() > 0)
        cdf = &ext_cdf[bucket];
    }
    const double u = UnitFromBits(Key(kTagExt, entry)) * cdf->back();
    const auto it = std::upper_bound(cdf->begin(), cdf->end(), u);
    return static_cast<int>(std::min<ptrdiff_t>(it - cdf->begin(), cdf->size() - 1));
  }

  std::string ExtensionText(int ext_index, uint64_t entry) const {
    if (ext_index < 0) return "";
    const std::string& ext = profile.extensions[ext_index].ext;
    if (ext != "*") return ext;
    // A pooled "other" extension: three seeded letters, never a real one by design.
    const uint64_t k = Key(kTagOther, entry);
    return {static_cast<char>('a' + k % 26), static_cast<char>('a' + (k >> 8) % 26),
            static_cast<char>('a' + (k >> 16) % 26)};
  }

  std::string MakeName(uint64_t child_index, uint64_t key, const SparseHistogram& lengths,
                       const std::string& ext) const {
    std::string name = Base36(child_index);
    const size_t suffix = ext.empty() ? 0 : ext.size() + 1;
    const double wanted = lengths.total() ? lengths.Quantile(UnitFromBits(key)) : 12.0;
    const size_t target = std::clamp<size_t>(static_cast<size_t>(wanted), 1, 200);
    if (target > name.size() + suffix + 1) {
      name.push_back('-');
      SplitMixStream stream(key);
      while (name.size() + suffix < target) name.push_back(kDigits[10 + stream.NextBelow(26)]);
    }
    if (!ext.empty()) name += "." + ext;
    return name;
  }

  void Times(uint64_t key, NodeAttr& attr) const {
    SplitMixStream s(key);
    // Ages never reach before the epoch (the tables' far tails can): times stay valid
    // and the nanosecond arithmetic below cannot overflow.
    const double max_age = std::max(0.0, now_unix - 1.0);
    const double mtime_age = std::min(profile.ages.mtime_age_s.At(s.NextUnit()), max_age);
    const double atime_age = std::min(profile.ages.atime_age_s.At(s.NextUnit()), mtime_age);
    const double ctime_age = std::min(profile.ages.ctime_age_s.At(s.NextUnit()), mtime_age);
    auto ns = [&](double age) {
      return static_cast<int64_t>(std::llround((now_unix - age) * 1e9));
    };
    attr.mtime_ns = ns(mtime_age);
    attr.atime_ns = ns(atime_age);
    attr.ctime_ns = ns(ctime_age);
  }

  NodeAttr DirAttr(const DirNode& d) const {
    NodeAttr a;
    a.ino = d.ino;
    a.kind = NodeKind::kDirectory;
    a.mode = 0755;
    a.nlink = static_cast<uint32_t>(std::min<uint64_t>(2 + d.child_dirs, UINT32_MAX));
    a.size_bytes = config::kDirectoryBlockBytes *
                   ((d.child_dirs + d.local_entries + 2 + config::kDirectoryEntriesPerBlock - 1) /
                    config::kDirectoryEntriesPerBlock);
    a.depth = d.depth;
    Times(Key(kTagAge, d.ino, 1), a);
    return a;
  }

  std::string DirName(const DirNode& d) const {
    if (d.ino == Namespace::kRootIno) return "";
    const uint64_t index = d.index_in_parent + (d.depth == 1 ? root_child_base : 0);
    return MakeName(index, Key(kTagDirName, d.ino), profile.shape.dir_name_length, "");
  }

  // Attributes and name of entry `x`, a direct child of `parent`.
  NodeAttr EntryAttr(const DirNode& parent, uint64_t x, std::string* name) const {
    NodeAttr a;
    a.ino = dirs + 1 + x;
    a.file_index = entries_before + x;
    a.depth = parent.depth + 1;
    const uint64_t r = rank->Apply(x);
    const bool symlink = r >= files;
    a.kind = symlink ? NodeKind::kSymlink : NodeKind::kFile;
    a.size_bytes = symlink ? 0 : FileSize(r);
    const int ext_index = PickExtension(x, a.size_bytes, symlink);
    a.content_class = static_cast<uint16_t>(ext_index + 1);
    a.mode = symlink ? 0777
                     : ((ext_index < 0 || profile.extensions[ext_index].ext.empty()) &&
                                Key(kTagMode, x) % 20 == 0
                            ? 0755
                            : 0644);
    Times(Key(kTagAge, x, 2), a);
    if (name != nullptr || symlink) {
      const uint64_t child_index =
          parent.child_dirs + (x - parent.entry_base) + (parent.depth == 0 ? root_child_base : 0);
      std::string n = MakeName(child_index, Key(kTagName, x), profile.shape.file_name_length,
                               ExtensionText(ext_index, x));
      if (symlink) a.size_bytes = LinkTarget(parent, x).size();
      if (name) *name = std::move(n);
    }
    return a;
  }

  // A symlink points at a sibling regular file when one is found in a few seeded
  // tries, else at the parent directory: always inside the tree, never a loop.
  std::string LinkTarget(const DirNode& parent, uint64_t x) const {
    SplitMixStream s(Key(kTagLink, x));
    for (int attempt = 0; attempt < 4 && parent.local_entries > 1; ++attempt) {
      const uint64_t y = parent.entry_base + s.NextBelow(parent.local_entries);
      if (y == x || rank->Apply(y) >= files) continue;
      std::string sibling;
      EntryAttr(parent, y, &sibling);
      return sibling;
    }
    return "..";
  }

  bool IsEntryIno(uint64_t ino) const { return ino > dirs && ino - dirs - 1 < entries; }

  // Queries on this layer's own inode numbers (root = 1).
  std::optional<NodeAttr> GetAttr(uint64_t ino) const {
    DirNode d;
    if (tree->FindDirContents(ino, &d)) return DirAttr(d);
    if (!IsEntryIno(ino)) return std::nullopt;
    const uint64_t x = ino - dirs - 1;
    if (rank->Apply(x) >= files) return EntryAttr(tree->FindEntryParent(x), x, nullptr);
    // A regular file's attributes need only its parent's depth, not the parent itself.
    DirNode depth_only;
    depth_only.depth = tree->EntryParentDepth(x);
    return EntryAttr(depth_only, x, nullptr);
  }

  std::optional<NodeAttr> Lookup(uint64_t parent, std::string_view name) const {
    DirNode d;
    uint64_t index = 0;
    if (!tree->FindDirContents(parent, &d) || !ParseIndex(name, &index)) return std::nullopt;
    if (parent == Namespace::kRootIno) {
      if (index < root_child_base) return std::nullopt;
      index -= root_child_base;
    }
    if (index < d.child_dirs) {
      const DirNode child = tree->Child(d, index);
      if (DirName(child) != name) return std::nullopt;
      return DirAttr(child);
    }
    if (index - d.child_dirs >= d.local_entries) return std::nullopt;
    std::string actual;
    const NodeAttr attr = EntryAttr(d, d.entry_base + (index - d.child_dirs), &actual);
    if (actual != name) return std::nullopt;
    return attr;
  }

  // Children of `dir` from index `start`; stops when emit returns false. Returns the
  // index after the last child emitted.
  uint64_t ListChildren(uint64_t dir, uint64_t start,
                        const std::function<bool(const DirEntryView&)>& emit) const {
    DirNode d;
    if (!tree->FindDirContents(dir, &d)) return start;
    const uint64_t count = d.child_dirs + d.local_entries;
    DirEntryView view;
    // Subdirectories come in batches that share their tree descents.
    std::array<DirNode, 64> children;
    uint64_t batch_start = 0, batch_size = 0;
    uint64_t i = start;
    for (; i < count; ++i) {
      if (i < d.child_dirs) {
        if (i >= batch_start + batch_size) {
          batch_start = i;
          batch_size = tree->Children(d, i, children);
        }
        const DirNode& child = children[i - batch_start];
        view.name = DirName(child);
        view.attr = DirAttr(child);
      } else {
        view.attr = EntryAttr(d, d.entry_base + (i - d.child_dirs), &view.name);
      }
      if (!emit(view)) break;
    }
    return i;
  }

  std::optional<std::string> NameOf(uint64_t ino) const {
    DirNode d;
    if (tree->FindDir(ino, &d)) return DirName(d);
    if (!IsEntryIno(ino)) return std::nullopt;
    const uint64_t x = ino - dirs - 1;
    std::string name;
    EntryAttr(tree->FindEntryParent(x), x, &name);
    return name;
  }

  std::optional<uint64_t> ParentOf(uint64_t ino) const {
    DirNode d;
    if (tree->FindDir(ino, &d)) return d.parent_ino;
    if (!IsEntryIno(ino)) return std::nullopt;
    return tree->FindEntryParent(ino - dirs - 1).ino;
  }

  std::optional<std::string> ReadLink(uint64_t ino) const {
    if (!IsEntryIno(ino)) return std::nullopt;
    const uint64_t x = ino - dirs - 1;
    if (rank->Apply(x) < files) return std::nullopt;
    return LinkTarget(tree->FindEntryParent(x), x);
  }

  uint64_t root_children() const { return tree->Root().child_dirs + tree->Root().local_entries; }
  uint64_t root_child_dirs() const { return tree->Root().child_dirs; }
};

// Builds one layer. `bytes_factor` > 0 imposes the per-file size factor of layer 0
// (so a layer added by a re-scale has the same size distribution).
Result<std::unique_ptr<Layer>> MakeLayer(const Profile& profile, const NamespaceOptions& options,
                                         double bytes_factor) {
  auto impl = std::make_unique<Layer>();
  impl->profile = profile;
  impl->options = options;
  const Profile& p = impl->profile;
  const double profile_entries = static_cast<double>(p.totals.files + p.totals.symlinks);
  const double entries = options.files ? static_cast<double>(options.files)
                                       : std::round(profile_entries * options.scale);
  if (entries > static_cast<double>(kMaxEntries))
    return Error::Usage("files: " + std::to_string(entries) + " is more than 2^60 entries");
  impl->entries = static_cast<uint64_t>(entries);
  double dirs = options.dirs ? static_cast<double>(options.dirs) : 0.0;
  if (dirs == 0) {
    const double ratio =
        profile_entries > 0 ? static_cast<double>(p.totals.dirs) / profile_entries : 0.1;
    dirs = options.files ? std::round(entries * ratio) : std::round(p.totals.dirs * options.scale);
  }
  impl->dirs = std::clamp<uint64_t>(static_cast<uint64_t>(dirs), 1,
                                    std::max<uint64_t>(1, impl->entries + 1));
  impl->symlinks = static_cast<uint64_t>(std::llround(impl->entries * p.links.symlink_fraction));
  impl->files = impl->entries - impl->symlinks;
  impl->empty_files = static_cast<uint64_t>(std::llround(impl->files * p.sizes.empty_fraction));
  impl->now_unix = options.now_unix > 0          ? options.now_unix
                   : p.source.scan_time_unix > 0 ? p.source.scan_time_unix
                                                 : config::kGeneratorEpochUnix;
  impl->tree = std::make_unique<internal::Tree>(p, options.seed, impl->dirs, impl->entries);
  impl->rank = std::make_unique<Permutation>(HashWords(options.seed, kTagRank, 0),
                                             std::max<uint64_t>(1, impl->entries));
  impl->sizes = std::make_unique<SizeSampler>(p.sizes);
  // Total bytes: exact when small enough to sum quickly, else the table's integral.
  const uint64_t nonempty = impl->files - impl->empty_files;
  double model_total = 0;
  if (nonempty <= (uint64_t{1} << 21)) {
    for (uint64_t r = 0; r < nonempty; ++r)
      model_total += static_cast<double>(impl->FileSize(impl->empty_files + r));
  } else {
    model_total = impl->sizes->MeanBytes() * static_cast<double>(nonempty);
  }
  if (options.bytes > 0 && nonempty > 0)
    impl->bytes_factor = static_cast<double>(options.bytes) / model_total;
  if (bytes_factor > 0) impl->bytes_factor = bytes_factor;
  impl->total_bytes = static_cast<uint64_t>(std::llround(model_total * impl->bytes_factor));
  if (impl->bytes_factor != 1.0 && nonempty <= (uint64_t{1} << 21)) {
    uint64_t exact = 0;
    for (uint64_t r = 0; r < nonempty; ++r) exact += impl->FileSize(impl->empty_files + r);
    impl->total_bytes = exact;
  }
  // Extension choice conditional on the size bucket, from per-extension histograms.
  const size_t buckets = p.sizes.log2_counts.size();
  impl->ext_cdf.assign(buckets, {});
  for (size_t b = 0; b < buckets; ++b) {
    double sum = 0;
    for (const auto& e : p.extensions) {
      sum += b < e.log2_counts.size() ? static_cast<double>(e.log2_counts[b]) : 0.0;
      impl->ext_cdf[b].push_back(sum);
    }
  }
  double sum = 0;
  for (const auto& e : p.extensions)
    impl->ext_cdf_any.push_back(sum += static_cast<double>(e.files));
  if (!p.extensions.empty() && sum == 0) {
    for (size_t i = 0; i < impl->ext_cdf_any.size(); ++i)
      impl->ext_cdf_any[i] = static_cast<double>(i + 1);
  }
  impl->scale =
      profile_entries > 0 ? static_cast<double>(impl->entries) / profile_entries : options.scale;
  return impl;
}

// Layers live in fixed slots and are never freed while the Namespace lives, so readers
// take a consistent prefix with one atomic load and no lock.
struct Namespace::Impl {
  static constexpr uint32_t kMaxLayers = 64;
  // Inodes of layer k >= 1 are (k << kLayerShift) | local inode (its root is merged).
  static constexpr int kLayerShift = 44;
  static constexpr uint64_t kLocalMask = (uint64_t{1} << kLayerShift) - 1;

  std::array<std::unique_ptr<Layer>, kMaxLayers> layers;
  std::atomic<uint32_t> active{1};
  uint32_t allocated = 1;  // guarded by grow_mutex
  std::mutex grow_mutex;

  uint32_t Active() const { return active.load(std::memory_order_acquire); }
  const Layer& base() const { return *layers[0]; }

  static uint64_t Global(uint32_t k, uint64_t local) {
    return k == 0 || local == kRootIno ? local : (uint64_t{k} << kLayerShift) | local;
  }
  // The layer and local inode of a global one; false if it is not in an active layer.
  bool Decode(uint64_t ino, uint32_t* k, uint64_t* local) const {
    *k = static_cast<uint32_t>(ino >> kLayerShift);
    *local = ino & kLocalMask;
    if (*k >= Active()) return false;
    return *k == 0 || *local != kRootIno;
  }
  NodeAttr Globalize(uint32_t k, NodeAttr a) const {
    a.ino = Global(k, a.ino);
    return a;
  }
  NodeAttr RootAttr() const {
    NodeAttr a = *base().GetAttr(kRootIno);
    uint64_t child_dirs = 0, children = 0;
    for (uint32_t k = 0, n = Active(); k < n; ++k) {
      child_dirs += layers[k]->root_child_dirs();
      children += layers[k]->root_children();
    }
    a.nlink = static_cast<uint32_t>(std::min<uint64_t>(2 + child_dirs, UINT32_MAX));
    a.size_bytes =
        config::kDirectoryBlockBytes * ((children + 2 + config::kDirectoryEntriesPerBlock - 1) /
                                        config::kDirectoryEntriesPerBlock);
    return a;
  }
  template <typename F>
  uint64_t Sum(F f) const {
    uint64_t total = 0;
    for (uint32_t k = 0, n = Active(); k < n; ++k) total += f(*layers[k]);
    return total;
  }
};

Namespace::Namespace(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Namespace::~Namespace() = default;

Result<std::unique_ptr<Namespace>> Namespace::Create(const Profile& profile,
                                                     const NamespaceOptions& options) {
  if (auto status = ValidateProfile(profile, "profile"); !status) return status.error();
  if (!(options.scale > 0) || !std::isfinite(options.scale))
    return Error::Usage("scale: must be a positive number");
  auto layer = MakeLayer(profile, options, 0.0);
  if (!layer) return layer.error();
  auto impl = std::make_unique<Impl>();
  impl->layers[0] = std::move(*layer);
  return std::unique_ptr<Namespace>(new Namespace(std::move(impl)));
}

uint64_t Namespace::dir_count() const {
  return 1 + impl_->Sum([](const Layer& l) { return l.dirs - 1; });
}
uint64_t Namespace::entry_count() const {
  return impl_->Sum([](const Layer& l) { return l.entries; });
}
uint64_t Namespace::file_count() const {
  return impl_->Sum([](const Layer& l) { return l.files; });
}
uint64_t Namespace::symlink_count() const {
  return impl_->Sum([](const Layer& l) { return l.symlinks; });
}
uint64_t Namespace::total_bytes() const {
  return impl_->Sum([](const Layer& l) { return l.total_bytes; });
}
uint64_t Namespace::max_ino() const {
  const uint32_t last = impl_->Active() - 1;
  const Layer& l = *impl_->layers[last];
  return Impl::Global(last, l.dirs + l.entries);
}
uint64_t Namespace::seed() const { return impl_->base().options.seed; }
const Profile& Namespace::profile() const { return impl_->base().profile; }
double Namespace::scale() const {
  double total = 0;
  for (uint32_t k = 0, n = impl_->Active(); k < n; ++k) total += impl_->layers[k]->scale;
  return total;
}
uint32_t Namespace::layer_count() const { return impl_->Active(); }

std::optional<NodeAttr> Namespace::GetAttr(uint64_t ino) const {
  if (ino == kRootIno) return impl_->RootAttr();
  uint32_t k;
  uint64_t local;
  if (!impl_->Decode(ino, &k, &local)) return std::nullopt;
  const auto attr = impl_->layers[k]->GetAttr(local);
  if (!attr) return std::nullopt;
  return impl_->Globalize(k, *attr);
}

std::optional<NodeAttr> Namespace::Lookup(uint64_t parent, std::string_view name) const {
  if (parent == kRootIno) {
    // Root children are numbered across layers; the index in the name picks the layer.
    uint64_t index = 0;
    if (!ParseIndex(name, &index)) return std::nullopt;
    for (uint32_t k = impl_->Active(); k-- > 0;) {
      const Layer& l = *impl_->layers[k];
      if (index < l.root_child_base) continue;
      const auto attr = l.Lookup(kRootIno, name);
      if (!attr) return std::nullopt;
      return impl_->Globalize(k, *attr);
    }
    return std::nullopt;
  }
  uint32_t k;
  uint64_t local;
  if (!impl_->Decode(parent, &k, &local)) return std::nullopt;
  const auto attr = impl_->layers[k]->Lookup(local, name);
  if (!attr) return std::nullopt;
  return impl_->Globalize(k, *attr);
}

uint64_t Namespace::ChildCount(uint64_t dir) const {
  if (dir == kRootIno) return impl_->Sum([](const Layer& l) { return l.root_children(); });
  uint32_t k;
  uint64_t local;
  if (!impl_->Decode(dir, &k, &local)) return 0;
  DirNode d;
  const Layer& l = *impl_->layers[k];
  if (!l.tree->FindDirContents(local, &d)) return 0;
  return d.child_dirs + d.local_entries;
}

uint64_t Namespace::ListChildren(uint64_t dir, uint64_t start,
                                 const std::function<bool(const DirEntryView&)>& emit) const {
  bool stopped = false;
  auto forward = [&](uint32_t k) {
    return [&, k](const DirEntryView& e) {
      DirEntryView view{e.name, impl_->Globalize(k, e.attr)};
      if (emit(view)) return true;
      stopped = true;
      return false;
    };
  };
  if (dir != kRootIno) {
    uint32_t k;
    uint64_t local;
    if (!impl_->Decode(dir, &k, &local)) return start;
    return impl_->layers[k]->ListChildren(local, start, forward(k));
  }
  // The merged root: each layer's root children in turn, at their global indices.
  for (uint32_t k = 0, n = impl_->Active(); k < n; ++k) {
    const Layer& l = *impl_->layers[k];
    const uint64_t end = l.root_child_base + l.root_children();
    if (start >= end) continue;
    const uint64_t next = l.ListChildren(kRootIno, start - l.root_child_base, forward(k));
    start = l.root_child_base + next;
    if (stopped) return start;
  }
  return start;
}

std::optional<std::string> Namespace::NameOf(uint64_t ino) const {
  if (ino == kRootIno) return std::string();
  uint32_t k;
  uint64_t local;
  if (!impl_->Decode(ino, &k, &local)) return std::nullopt;
  return impl_->layers[k]->NameOf(local);
}

std::optional<uint64_t> Namespace::ParentOf(uint64_t ino) const {
  if (ino == kRootIno) return kRootIno;
  uint32_t k;
  uint64_t local;
  if (!impl_->Decode(ino, &k, &local)) return std::nullopt;
  const auto parent = impl_->layers[k]->ParentOf(local);
  if (!parent) return std::nullopt;
  return Impl::Global(k, *parent);
}

std::optional<std::string> Namespace::PathOf(uint64_t ino) const {
  std::vector<std::string> parts;
  uint64_t at = ino;
  if (!GetAttr(at)) return std::nullopt;
  while (at != kRootIno) {
    parts.push_back(*NameOf(at));
    at = *ParentOf(at);
  }
  std::string path;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!path.empty()) path.push_back('/');
    path += *it;
  }
  return path;
}

std::optional<std::string> Namespace::ReadLink(uint64_t ino) const {
  uint32_t k;
  uint64_t local;
  if (ino == kRootIno || !impl_->Decode(ino, &k, &local)) return std::nullopt;
  return impl_->layers[k]->ReadLink(local);
}

uint64_t Namespace::InoOfEntryIndex(uint64_t i) const {
  for (uint32_t k = impl_->Active(); k-- > 0;) {
    const Layer& l = *impl_->layers[k];
    if (i >= l.entries_before) return Impl::Global(k, l.dirs + 1 + (i - l.entries_before));
  }
  return 0;
}

Result<RescaleChange> Namespace::Rescale(double target_scale) {
  if (!(target_scale > 0) || !std::isfinite(target_scale))
    return Error::Usage("scale: must be a positive number");
  std::lock_guard lock(impl_->grow_mutex);
  RescaleChange change;
  uint32_t active = impl_->Active();
  change.old_layers = active;
  double current = scale();
  // Each new layer must add at least 1% of the shadow, doubling every 16 layers, so the
  // 64 layers last for about a tenfold growth of a continuously re-scaled shadow.
  const double kMinStep = 0.01 * std::ldexp(1.0, static_cast<int>(impl_->allocated / 16));
  // Shrink: hide the newest layers while the shadow is larger than the target (the
  // first layer, the shadow as mounted, always stays).
  while (active > 1 && current - impl_->layers[active - 1]->scale >= target_scale * (1 - 1e-3)) {
    current -= impl_->layers[--active]->scale;
  }
  // Grow: bring hidden layers back while they fit, then add one for the rest.
  while (active < impl_->allocated &&
         current + impl_->layers[active]->scale <= target_scale * (1 + 1e-3)) {
    current += impl_->layers[active++]->scale;
  }
  const double gap = target_scale - current;
  if (active == impl_->allocated && gap > kMinStep * current) {
    if (active == Impl::kMaxLayers)
      return Error(ErrorCode::kUnsupported, "rescale: the shadow already has " +
                                                std::to_string(Impl::kMaxLayers) + " layers");
    const Layer& base = impl_->base();
    NamespaceOptions options = base.options;
    options.seed = HashWords(base.options.seed, kTagLayer, active);
    options.scale = gap;
    options.files = 0;
    options.dirs = 0;
    options.bytes = 0;
    options.files = static_cast<uint64_t>(std::llround(
        gap * static_cast<double>(base.profile.totals.files + base.profile.totals.symlinks)));
    if (options.files == 0) options.files = 1;
    options.dirs = std::max<uint64_t>(
        2, static_cast<uint64_t>(
               std::llround(static_cast<double>(options.files) * static_cast<double>(base.dirs) /
                            static_cast<double>(std::max<uint64_t>(1, base.entries)))));
    auto layer = MakeLayer(base.profile, options, base.bytes_factor);
    if (!layer) return layer.error();
    uint64_t root_children = 0, entries = 0;
    for (uint32_t k = 0; k < active; ++k) {
      root_children += impl_->layers[k]->root_children();
      entries += impl_->layers[k]->entries;
    }
    (*layer)->root_child_base = root_children;
    (*layer)->entries_before = entries;
    impl_->layers[active] = std::move(*layer);
    impl_->allocated = ++active;
  }
  impl_->active.store(active, std::memory_order_release);
  change.new_layers = active;
  return change;
}

std::vector<std::string> Namespace::RootNamesOfLayers(uint32_t from, uint32_t to) const {
  std::vector<std::string> names;
  std::lock_guard lock(impl_->grow_mutex);
  for (uint32_t k = from; k < to && k < impl_->allocated; ++k)
    impl_->layers[k]->ListChildren(kRootIno, 0, [&](const DirEntryView& e) {
      names.push_back(e.name);
      return true;
    });
  return names;
}

}  // namespace sfsg
