#include "generator/device/device_emulator.h"

#include <algorithm>
#include <cmath>

#include "generator/util/hash.h"

namespace sfsg {
namespace {

constexpr size_t kStreams = 1024;  // files tracked for sequential detection

uint64_t TrackedBlockBytes(const PageCacheModel& cache) {
  uint64_t block = cache.block_bytes;
  while (cache.size_bytes / block > DeviceEmulator::kMaxTrackedBlocks) block *= 2;
  return block;
}

}  // namespace

DeviceEmulator::DeviceEmulator(DeviceModel model, uint64_t seed)
    : model_(std::move(model)),
      seed_(seed),
      free_at_us_(model_.servers, 0.0),
      cache_(model_.cache.size_bytes / TrackedBlockBytes(model_.cache)),
      cache_block_bytes_(TrackedBlockBytes(model_.cache)),
      streams_(kStreams) {
  read_bytes_.rate = model_.caps.read_bytes_per_s;
  write_bytes_.rate = model_.caps.write_bytes_per_s;
  read_ops_.rate = model_.caps.read_ops_per_s;
  write_ops_.rate = model_.caps.write_ops_per_s;
}

double DeviceEmulator::Bucket::Admit(double at_us, double amount, double burst_s, double slice_s) {
  if (rate <= 0) return at_us;
  if (slice_s > 0) {
    const double slice_us = slice_s * 1e6;
    const double budget = rate * slice_s;
    if (at_us >= slice_start_us + slice_us) {
      // The slices gone by spent their allowance on what was admitted in them; what is
      // left over (a backlog) moves on to the current slice. Without a backlog the next
      // slice starts now.
      const double gone = std::floor((at_us - slice_start_us) / slice_us);
      const double left = used - gone * budget;
      if (left <= 0) {
        slice_start_us = at_us;
        used = 0;
      } else {
        slice_start_us += gone * slice_us;
        used = left;
      }
    }
    used += amount;
    // The slice whose allowance covers this request: the current one is slice 1.
    const double slice = std::max(1.0, std::ceil(used / budget - 1e-9));
    return std::max(at_us, slice_start_us + (slice - 1) * slice_us);
  }
  const double increment_us = amount / rate * 1e6;
  // GCRA (ITU-T I.371): conforming when tat - burst <= t; a later request is delayed.
  const double start = std::max(at_us, tat_us - burst_s * 1e6);
  tat_us = std::max(tat_us, start) + increment_us;
  return start;
}

double DeviceEmulator::Draw(uint64_t salt) const {
  return UnitFromBits(HashWords(seed_, sequence_, salt));
}

bool DeviceEmulator::Sequential(uint64_t file, uint64_t offset, uint64_t size) {
  Stream& s = streams_[Mix64(file) % kStreams];
  const bool sequential = s.file == file && s.next_offset == offset;
  s.file = file;
  s.next_offset = offset + size;
  return sequential;
}

uint32_t DeviceEmulator::BusyServers(double now_us) const {
  uint32_t busy = 0;
  for (double t : free_at_us_) busy += t > now_us;
  return busy;
}

DeviceCompletion DeviceEmulator::Serve(double at_us, double service_us, bool write, uint64_t bytes,
                                       bool data, double ops) {
  double admit = at_us;
  if (data) {
    const double burst = model_.caps.burst_s, slice = model_.caps.slice_s;
    Bucket& b = write ? write_bytes_ : read_bytes_;
    Bucket& o = write ? write_ops_ : read_ops_;
    admit = std::max(b.Admit(at_us, static_cast<double>(bytes), burst, slice),
                     o.Admit(at_us, ops, burst, slice));
    if (admit > at_us) ++counters_.capped;
  }
  std::pop_heap(free_at_us_.begin(), free_at_us_.end(), std::greater<>());
  const double start = std::max(admit, free_at_us_.back());
  const ConcurrencyModel& c = model_.concurrency;
  if (c.contention > 0 || c.coherency > 0)
    service_us *= c.Slowdown(BusyServers(start) + 1);  // the others still busy, and this one
  const double done = start + service_us;
  free_at_us_.back() = done;
  std::push_heap(free_at_us_.begin(), free_at_us_.end(), std::greater<>());
  ++counters_.device_requests;
  counters_.queue_us_total += start - at_us;
  counters_.service_us_total += service_us;
  DeviceCompletion out;
  out.completion_us = done;
  out.on_device = true;
  out.queue_us = start - at_us;
  return out;
}

bool DeviceEmulator::TouchBlocks(uint64_t file, uint64_t offset, uint64_t size) {
  const uint64_t first = offset / cache_block_bytes_;
  const uint64_t last = (offset + std::max<uint64_t>(size, 1) - 1) / cache_block_bytes_;
  bool all = true;
  for (uint64_t block = first; block <= last; ++block)
    all = cache_.Touch(HashWords(0x5f5f, file, block)) && all;
  return all;
}

DeviceCompletion DeviceEmulator::Read(const DeviceRequest& r, double at_us) {
  const bool sequential = Sequential(r.file, r.offset, r.size_bytes);
  if (!r.direct && model_.cache.size_bytes > 0) {
    if (TouchBlocks(r.file, r.offset, r.size_bytes)) {
      ++counters_.read_cache_hits;
      DeviceCompletion out;
      out.cache_hit = true;
      out.completion_us = at_us + model_.cache.read_hit.TimeAtUs(r.size_bytes, Draw(1));
      return out;
    }
    ++counters_.read_cache_misses;
  }
  const SizeCurve& curve =
      model_.data.Curve(false, sequential ? AccessPattern::kSequential : AccessPattern::kRandom);
  DeviceCompletion out =
      Serve(at_us, curve.TimeAtUs(r.size_bytes, Draw(2)), false, r.size_bytes, true);
  // The caller's own work on a miss (pages allocated, reclaimed, filled): after the
  // device's part, on no server.
  if (!r.direct && model_.cache.size_bytes > 0 && !model_.cache.read_miss.buckets.empty())
    out.completion_us += model_.cache.read_miss.TimeAtUs(r.size_bytes, Draw(9));
  return out;
}

DeviceCompletion DeviceEmulator::Write(const DeviceRequest& r, double at_us) {
  const bool sequential = Sequential(r.file, r.offset, r.size_bytes);
  const SizeCurve& curve =
      model_.data.Curve(true, sequential ? AccessPattern::kSequential : AccessPattern::kRandom);
  const double device_us = curve.TimeAtUs(r.size_bytes, Draw(3));
  if (r.direct) return Serve(at_us, device_us, true, r.size_bytes, true);
  if (model_.cache.size_bytes > 0) TouchBlocks(r.file, r.offset, r.size_bytes);
  if (model_.cache.dirty_limit_bytes == 0)  // write-through
    return Serve(at_us, device_us, true, r.size_bytes, true);
  // Write-back: the client waits for the cache, and for room under the dirty limit.
  double ready = at_us;
  while (!dirty_.empty() && dirty_.top().first <= ready) {
    dirty_bytes_ -= dirty_.top().second;
    dirty_.pop();
  }
  bool waited = false;
  while (!dirty_.empty() && dirty_bytes_ + r.size_bytes > model_.cache.dirty_limit_bytes) {
    ready = std::max(ready, dirty_.top().first);
    dirty_bytes_ -= dirty_.top().second;
    dirty_.pop();
    waited = true;
  }
  if (waited) ++counters_.writeback_waits;
  const DeviceCompletion back = Serve(ready, device_us, true, r.size_bytes, true);
  dirty_.push({back.completion_us, r.size_bytes});
  dirty_bytes_ += r.size_bytes;
  last_writeback_us_ = std::max(last_writeback_us_, back.completion_us);
  DeviceCompletion out;
  out.cache_hit = true;
  out.queue_us = ready - at_us;
  out.completion_us = ready + model_.cache.write_hit.TimeAtUs(r.size_bytes, Draw(4));
  return out;
}

// Evicts the least recently referenced in-memory inodes until `keep` are left (in bulk:
// amortised O(1) per inode read); past kMaxTrackedInodes entries, the evicted ones are
// forgotten.
void DeviceEmulator::EvictInodes(uint64_t keep) {
  std::vector<double> times;
  times.reserve(in_memory_inodes_);
  for (const auto& [ino, t] : inode_touched_us_)
    if (t != kGone) times.push_back(t);
  if (times.size() <= keep) return;
  const auto cut = times.begin() + static_cast<std::ptrdiff_t>(times.size() - keep - 1);
  std::nth_element(times.begin(), cut, times.end());
  const double newest_out = *cut;
  for (auto& [ino, t] : inode_touched_us_) {
    if (t == kGone || t > newest_out || in_memory_inodes_ <= keep) continue;
    t = kGone;
    --in_memory_inodes_;
  }
  if (inode_touched_us_.size() > kMaxTrackedInodes)
    std::erase_if(inode_touched_us_, [](const auto& e) { return e.second == kGone; });
}

double DeviceEmulator::ReadInode(uint64_t ino, double at_us) {
  const PageCacheModel& c = model_.cache;
  if (c.size_bytes == 0 || c.inodes_per_miss == 0 || ino == 0) return at_us;
  const auto [it, fresh] = inode_touched_us_.try_emplace(ino, at_us);
  const bool reread = !fresh && it->second == kGone;
  if (!fresh && !reread) {
    it->second = at_us;
    return at_us;
  }
  it->second = at_us;
  ++in_memory_inodes_;
  // At most kMaxTrackedInodes, so the daemon's own memory stays bounded (4 Mi inodes of
  // 1280 bytes: a 5 GiB cache's worth).
  const uint64_t capacity = std::clamp<uint64_t>(c.size_bytes / kInodeBytes, 1, kMaxTrackedInodes);
  if (in_memory_inodes_ > capacity) EvictInodes(capacity - capacity / 8);
  // The record's block: block_bytes holding inodes_per_miss / inode_ios_per_miss records
  // (a miss's bios are its blocks). Cached: no device read. Otherwise the miss reads the
  // aligned run of inodes_per_miss records ahead, and all its blocks enter the cache.
  const double per_block =
      std::max(1.0, static_cast<double>(c.inodes_per_miss) / c.inode_ios_per_miss);
  const auto block_of = [&](uint64_t i) {
    return static_cast<uint64_t>(static_cast<double>(i) / per_block);
  };
  const auto key = [&](uint64_t block) {
    return HashWords(0x1d0e, block * c.block_bytes / cache_block_bytes_);
  };
  if (cache_.Contains(key(block_of(ino)))) {
    cache_.Touch(key(block_of(ino)));
    return at_us;
  }
  // Readahead reads the run's blocks that are not cached (the record's own among them):
  // the miss's bios and requests in proportion, as calibrated on a cold cache.
  const uint64_t first = ino / c.inodes_per_miss * c.inodes_per_miss;
  const uint64_t b0 = block_of(first), b1 = block_of(first + c.inodes_per_miss - 1);
  uint64_t uncached = 0;
  for (uint64_t b = b0; b <= b1; ++b) uncached += !cache_.Touch(key(b));
  ++counters_.inode_misses;
  if (reread) ++counters_.inode_rereads;
  const double share = static_cast<double>(uncached) / static_cast<double>(b1 - b0 + 1);
  const double reads = std::max(1.0, c.inode_reads_per_miss * share);
  const double ios = std::max(reads, c.inode_ios_per_miss * share);
  // A fractional count of reads: the whole reads always, the last with its probability.
  const uint64_t whole = static_cast<uint64_t>(reads);
  const uint64_t n = whole + (Draw(11) < reads - static_cast<double>(whole) ? 1 : 0);
  const double ios_per_read = ios / reads;
  const SizeCurve& curve = model_.data.Curve(false, AccessPattern::kRandom);
  double done = at_us;
  for (uint64_t k = 0; k < n; ++k) {
    const double service = curve.TimeAtUs(c.block_bytes, Draw(0x100 + k));
    done = std::max(done,
                    Serve(at_us, service, false, c.block_bytes, true, ios_per_read).completion_us);
  }
  return done;
}

DeviceCompletion DeviceEmulator::Metadata(const DeviceRequest& r, double at_us) {
  const auto& service = model_.metadata.Get(r.op);
  double at = ReadInode(r.file, at_us);
  if (r.op == MetadataOp::kFsync) at = std::max(at, last_writeback_us_);
  if (!service) {
    DeviceCompletion out;
    out.completion_us = at;
    out.queue_us = at - at_us;
    return out;
  }
  DeviceCompletion out = Serve(at, service->TimeAtUs(Draw(5)), false, 0, false);
  out.queue_us += at - at_us;
  return out;
}

DeviceCompletion DeviceEmulator::Submit(const DeviceRequest& request) {
  const double at = std::max(request.arrival_us, last_arrival_us_);
  last_arrival_us_ = at;
  ++counters_.requests;
  DeviceCompletion out;
  switch (request.kind) {
    case DeviceRequest::Kind::kRead:
      out = Read(request, at);
      break;
    case DeviceRequest::Kind::kWrite:
      out = Write(request, at);
      break;
    case DeviceRequest::Kind::kMetadata:
      out = Metadata(request, at);
      break;
    case DeviceRequest::Kind::kNone:
      out.completion_us = at;
      break;
  }
  ++sequence_;
  return out;
}

}  // namespace sfsg
