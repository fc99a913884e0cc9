// DeviceEmulator: a pure, deterministic queueing model of a device. Given one request
// (its class, size, file and offset, whether it bypasses the page cache, and when it
// arrived) it says when the device would have completed it. sfsg-mount --device replies
// to each FUSE request at that time (fuse/device_gate.h); the planner can run it offline.
//
// The model (DeviceModel, device_model.h), in the order a request meets it:
//   1. the page cache: a buffered read whose blocks are all cached completes after a
//      cache.read_hit time and never reaches the device; otherwise its blocks enter the
//      cache, and it completes a cache.read_miss time (when the model has one) after the
//      device's part. An LRU of cache.size_bytes over (file, block) keys; the tracked block is
//      cache.block_bytes, doubled until the cache holds at most kMaxTrackedBlocks (so a
//      64 GiB cache tracks 64 KiB blocks and costs at most ~40 MiB of memory).
//      Buffered writes enter the cache too; with cache.dirty_limit_bytes > 0 they complete
//      after a cache.write_hit time and are written back at once in the background
//      (occupying the device), waiting only while the dirty bytes not yet written back
//      exceed the limit. O_DIRECT requests bypass the cache.
//   2. the ceilings: read/write bytes and operations per second, each a token bucket
//      (GCRA) of depth rate * caps.burst_s; a request enters the device queue when every
//      bucket it draws on admits it.
//   3. `servers` parallel servers serving in FCFS order (a multi-server queue): the
//      request starts when a server is free and takes a service time drawn from the model
//      for its class (sequential when it starts where the previous request on the same
//      file ended), multiplied by the USL slowdown for the requests then in service.
//   Metadata operations take their metadata service time through the same servers; an
//   operation the model leaves out completes at once; fsync also waits for the
//   background write-back issued before it. With cache.inodes_per_miss > 0, a metadata
//   request naming an inode that is not in the in-memory inode cache (never referenced,
//   or evicted as the least recently referenced when the cache outgrew its memory,
//   cache.size_bytes / kInodeBytes inodes) looks up the record's block in the same
//   LRU; when it is not there, the aligned run of inodes_per_miss records around it is
//   read (its uncached blocks: that share of cache.inode_reads_per_miss random reads of
//   a block, drawing the same share of inode_ios_per_miss operations from the read
//   ceiling) before the request is served.
//
// Draws: the probability for request number n is UnitFromBits(HashWords(seed, n, ...)):
// the same sequence of requests with the same seed gives the same completions, on every
// machine. Arrival times must not go backwards: an earlier arrival than the last is taken
// as the last (requests are served in the order they are submitted).
//
// Thread-compatible: one caller at a time (the FUSE gate holds a mutex). Submit is
// O(log servers + blocks in the request), allocation-free in steady state except for the
// cache's growth.
#pragma once

#include <cstdint>
#include <queue>
#include <unordered_map>
#include <vector>

#include "generator/device/device_model.h"
#include "generator/device/page_cache.h"

namespace sfsg {

struct DeviceRequest {
  // kNone: not a device request (a control file under /.sfsg/): completes at arrival.
  enum class Kind : uint8_t { kRead, kWrite, kMetadata, kNone };
  Kind kind = Kind::kRead;
  MetadataOp op = MetadataOp::kStat;  // kMetadata only
  uint64_t file = 0;                  // an inode number: the cache and sequential detection
  uint64_t offset = 0;
  uint64_t size_bytes = 0;
  bool direct = false;    // O_DIRECT: bypasses the page cache
  double arrival_us = 0;  // on any monotonic clock the caller keeps
};

struct DeviceCompletion {
  double completion_us = 0;  // >= arrival_us
  bool cache_hit = false;    // served from the page cache (reads and absorbed writes)
  bool on_device = false;    // occupied a server
  double queue_us = 0;       // waiting for a server and for the ceilings
};

struct DeviceCounters {
  uint64_t requests = 0;
  uint64_t device_requests = 0;    // that occupied a server (write-back included)
  uint64_t read_cache_hits = 0;    // buffered reads wholly in the cache
  uint64_t read_cache_misses = 0;  // buffered reads that went to the device
  uint64_t capped = 0;             // requests a ceiling delayed
  uint64_t writeback_waits = 0;    // buffered writes held at the dirty limit
  uint64_t inode_misses = 0;       // metadata requests that read an inode record first
  uint64_t inode_rereads = 0;      // of those, inodes that had been in memory before
  double queue_us_total = 0;
  double service_us_total = 0;
};

class DeviceEmulator {
 public:
  static constexpr uint64_t kMaxTrackedBlocks = uint64_t{1} << 20;
  static constexpr uint64_t kMaxTrackedInodes = uint64_t{1} << 22;
  // Memory an in-memory inode takes (/proc/slabinfo: ext4_inode_cache 1128 bytes and a
  // dentry 192; xfs_inode 1024). The inode cache holds at most the model's cache size
  // in inodes, least recently referenced out first, and is not reclaimed with the page
  // cache's turnover: in a 64 MiB memory cgroup under random re-reads of 10000 files,
  // none of 100 probed ext4 inodes was gone after 1, 2, 4, ... 64 turnovers (the
  // cgroup's slab stayed at 15 MiB), and in a traced run of bench-device's held-out
  // workload on the throttled ext4 target (ext4_load_inode) 47 of 1003 inode loads were
  // repeats. Expiry after one turnover, the rule before, made 74% of the model's inode
  // reads repeats (BENCHMARKS.md).
  static constexpr uint64_t kInodeBytes = 1280;

  // REQUIRES: ValidateDeviceModel(model) passed.
  DeviceEmulator(DeviceModel model, uint64_t seed);
  DeviceEmulator(const DeviceEmulator&) = delete;
  DeviceEmulator& operator=(const DeviceEmulator&) = delete;

  DeviceCompletion Submit(const DeviceRequest& request);

  const DeviceModel& model() const { return model_; }
  const DeviceCounters& counters() const { return counters_; }
  uint64_t cache_block_bytes() const { return cache_block_bytes_; }
  // Requests submitted to the servers and not complete at now_us (O(servers)).
  uint32_t BusyServers(double now_us) const;

 private:
  // A ceiling: Admit returns the earliest time >= at when `amount` may pass. A GCRA token
  // bucket (slice_s = 0), or slices of a throttle (DeviceCaps).
  struct Bucket {
    double rate = 0;                 // per second; 0 = no ceiling
    double tat_us = 0;               // GCRA: the theoretical arrival time
    double slice_start_us = -1e300;  // slices: the current slice's start
    double used = 0;                 // slices: admitted since slice_start_us
    double Admit(double at_us, double amount, double burst_s, double slice_s);
  };

  double Draw(uint64_t salt) const;
  bool Sequential(uint64_t file, uint64_t offset, uint64_t size);
  // Admits through the ceilings, then serves on the earliest free server.
  // `ops`: operations drawn from the ops ceiling (a request the block layer merged from
  // several bios draws one for each).
  DeviceCompletion Serve(double at_us, double service_us, bool write, uint64_t bytes, bool data,
                         double ops = 1);
  // A metadata request's inode record: when the model has inode records and it is not
  // cached, reads it (and the filesystem's readahead) and says when they complete.
  double ReadInode(uint64_t ino, double at_us);
  void EvictInodes(uint64_t keep);
  // Touches the request's blocks; true when all were cached before.
  bool TouchBlocks(uint64_t file, uint64_t offset, uint64_t size);
  DeviceCompletion Read(const DeviceRequest& r, double at_us);
  DeviceCompletion Write(const DeviceRequest& r, double at_us);
  DeviceCompletion Metadata(const DeviceRequest& r, double at_us);

  DeviceModel model_;
  uint64_t seed_;
  uint64_t sequence_ = 0;
  double last_arrival_us_ = 0;
  // Min-heap of when each server is next free.
  std::vector<double> free_at_us_;
  Bucket read_bytes_, write_bytes_, read_ops_, write_ops_;
  LruBlockCache cache_;
  uint64_t cache_block_bytes_;
  // The kernel's inodes: when each was last referenced, or kGone once evicted (kept to
  // count the records read again); in_memory_inodes_ of them are in memory.
  static constexpr double kGone = -1;
  std::unordered_map<uint64_t, double> inode_touched_us_;
  uint64_t in_memory_inodes_ = 0;
  // Write-back in flight: (completion, bytes), earliest first.
  using Flight = std::pair<double, uint64_t>;
  std::priority_queue<Flight, std::vector<Flight>, std::greater<Flight>> dirty_;
  uint64_t dirty_bytes_ = 0;
  double last_writeback_us_ = 0;
  // Where the last request on a file ended, in a small table indexed by file hash.
  struct Stream {
    uint64_t file = UINT64_MAX;
    uint64_t next_offset = 0;
  };
  std::vector<Stream> streams_;
  DeviceCounters counters_;
};

}  // namespace sfsg
