#include "generator/scan/content_sample.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <numeric>
#include <thread>

namespace sfsg::scan {
namespace {

// Ratios are kept inside what ValidateProfile accepts: tiny files "compress" to more
// than they hold (zstd's frame header), all-zero files to almost nothing.
double ClampRatio(double r) { return std::clamp(r, 1.0, 1e5); }

// Reads up to `want` bytes from the start of a regular file, never through a symlink.
// Returns the bytes read, or -1.
ssize_t ReadPrefix(const std::string& path, std::vector<std::byte>& buffer, uint64_t want) {
  const int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  int fd = ::open(path.c_str(), flags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::open(path.c_str(), flags);
  if (fd < 0) return -1;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return -1;
  }
  buffer.resize(want);
  size_t got = 0;
  while (got < want) {
    const ssize_t n = ::read(fd, buffer.data() + got, want - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return -1;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return static_cast<ssize_t>(got);
}

}  // namespace

std::vector<PlannedRead> PlanSample(const std::vector<std::vector<SampleCandidate>>& candidates,
                                    size_t sketch_capacity, uint64_t max_files, uint64_t max_bytes,
                                    uint64_t file_bytes, uint64_t max_file_bytes) {
  // A class whose sketch is full may stand for more files: its last candidate stays
  // unread, its priority the threshold tau the read files are weighed by. Reading it
  // too left tau unknown, taken as 0, so every file stood for its own size only: a
  // size-biased sample (big generated headers made /usr/include's .hpp 14.8, not 6.3).
  auto readable = [&](size_t c) {
    const uint64_t n = candidates[c].size();
    return sketch_capacity > 0 && n >= sketch_capacity ? n - 1 : n;
  };
  // Water-filling: visit classes from the fewest candidates up, each taking an equal
  // share of what is left.
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return readable(a) < readable(b); });
  std::vector<uint64_t> quota(candidates.size(), 0);
  uint64_t left = max_files;
  for (size_t i = 0; i < order.size(); ++i) {
    const uint64_t share = left / (order.size() - i);
    quota[order[i]] = std::min<uint64_t>(readable(order[i]), share);
    left -= quota[order[i]];
  }
  // Round-robin across classes, spending the byte budget.
  std::vector<PlannedRead> plan;
  uint64_t budget = max_bytes;
  const uint64_t deepest = quota.empty() ? 0 : *std::max_element(quota.begin(), quota.end());
  for (uint64_t round = 0; round < deepest && budget > 0; ++round) {
    for (size_t c = 0; c < candidates.size() && budget > 0; ++c) {
      if (round >= quota[c]) continue;
      const SampleCandidate& file = candidates[c][round];
      const uint64_t bytes = std::min({file.size, file_bytes, budget});
      plan.push_back({&file, c, bytes, 0.0});
      budget -= bytes;
    }
  }
  // Leftover budget lengthens the cut prefixes, up to whole files of max_file_bytes:
  // a big file's ratio is then measured on all of it, not guessed from its head (html,
  // manuals and logs compress better whole). Water-filling again: the shortest needs
  // are met whole, the rest share what is left equally.
  std::vector<size_t> cut;
  auto need = [&](size_t i) {
    return std::min(plan[i].file->size, std::max(max_file_bytes, file_bytes)) - plan[i].bytes;
  };
  for (size_t i = 0; i < plan.size(); ++i)
    if (need(i) > 0) cut.push_back(i);
  std::stable_sort(cut.begin(), cut.end(), [&](size_t a, size_t b) { return need(a) < need(b); });
  for (size_t k = 0; k < cut.size() && budget > 0; ++k) {
    const uint64_t more = std::min<uint64_t>(need(cut[k]), budget / (cut.size() - k));
    plan[cut[k]].bytes += more;
    budget -= more;
  }
  // Priority sampling's estimate: each read file stands for max(size, tau) bytes.
  std::vector<size_t> taken(candidates.size(), 0);
  for (const PlannedRead& r : plan) ++taken[r.class_index];
  for (PlannedRead& r : plan) {
    const std::vector<SampleCandidate>& all = candidates[r.class_index];
    const double tau =
        taken[r.class_index] < all.size() ? SamplePriority(all[taken[r.class_index]].hash) : 0.0;
    r.weight_bytes = std::clamp(tau, static_cast<double>(r.file->size), 0x1p62);
  }
  return plan;
}

SampleOutcome MeasureSample(const std::vector<PlannedRead>& plan,
                            const std::vector<std::string>& class_keys, int threads,
                            const std::function<void(const ScanProgress&)>& progress,
                            double progress_interval_s) {
  threads = std::clamp<int>(threads, 1, static_cast<int>(std::max<size_t>(1, plan.size())));
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> files_done{0}, bytes_done{0}, unreadable{0};
  std::vector<ContentMeter> meters(static_cast<size_t>(threads));
  const auto start = std::chrono::steady_clock::now();
  auto report = [&](bool done) {
    if (!progress) return;
    ScanProgress p;
    p.phase = "content";
    p.entries = files_done.load(std::memory_order_relaxed);
    p.bytes = static_cast<double>(bytes_done.load(std::memory_order_relaxed));
    p.skipped = unreadable.load(std::memory_order_relaxed);
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    p.done = done;
    progress(p);
  };
  // Every thread takes the next planned file; the calling thread also reports progress
  // between its files.
  auto work = [&](ContentMeter& meter, bool reporter) {
    std::vector<std::byte> buffer;
    auto last = start;
    for (size_t i = next.fetch_add(1); i < plan.size(); i = next.fetch_add(1)) {
      const PlannedRead& r = plan[i];
      const ssize_t got = ReadPrefix(r.file->path, buffer, r.bytes);
      if (got < 0) {
        unreadable.fetch_add(1, std::memory_order_relaxed);
      } else {
        // A prefix stands for the bytes its file stands for (its size, or the sample's
        // threshold): the class ratio is byte-weighted over the whole class.
        meter.AddFile(class_keys[r.class_index],
                      std::span<const std::byte>(buffer.data(), static_cast<size_t>(got)),
                      std::max<uint64_t>(static_cast<uint64_t>(std::llround(r.weight_bytes)),
                                         static_cast<uint64_t>(got)));
        files_done.fetch_add(1, std::memory_order_relaxed);
        bytes_done.fetch_add(static_cast<uint64_t>(got), std::memory_order_relaxed);
      }
      const auto now = std::chrono::steady_clock::now();
      if (reporter && std::chrono::duration<double>(now - last).count() >= progress_interval_s) {
        report(false);
        last = now;
      }
    }
  };
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) workers.emplace_back(work, std::ref(meters[t]), false);
  work(meters[0], true);
  for (std::thread& t : workers) t.join();
  report(true);
  SampleOutcome outcome;
  for (ContentMeter& m : meters) outcome.meter.Merge(std::move(m));
  outcome.unreadable = unreadable.load();
  return outcome;
}

void FillContent(const SampleOutcome& outcome, Profile* profile) {
  Profile& p = *profile;
  const auto& by_key = outcome.meter.by_key();
  double bytes = 0, compressed = 0;
  for (ExtensionStats& e : p.extensions) {
    const auto it = by_key.find(e.ext);
    if (it == by_key.end() || it->second.bytes == 0) {
      e.compression_ratio = 0;
      e.sampled_files = it == by_key.end() ? 0 : it->second.files;
      e.sampled_bytes = 0;
      continue;
    }
    e.compression_ratio = ClampRatio(it->second.compression_ratio());
    e.sampled_files = it->second.files;
    e.sampled_bytes = it->second.read_bytes;
    bytes += e.bytes;
    compressed += e.bytes / e.compression_ratio;
  }
  const ContentMeasure total = outcome.meter.total();
  p.content.compression_ratio = compressed > 0 ? ClampRatio(bytes / compressed) : 1.0;
  p.content.dedup_ratio = ClampRatio(outcome.meter.dedup_ratio());
  p.content.zero_chunk_fraction = std::clamp(outcome.meter.zero_chunk_fraction(), 0.0, 1.0);
  p.content.sampled_files = total.files;
  p.content.sampled_bytes = total.read_bytes;
}

}  // namespace sfsg::scan
