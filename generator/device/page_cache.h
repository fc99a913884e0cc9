// The page-cache side of the device emulator: an exact LRU over block keys, and Che's
// approximation of an LRU cache's hit ratio under the independent reference model, which
// the planner uses to predict the hit ratio from a workload's popularity and the
// namespace's size without running anything.
//
// LruBlockCache is thread-compatible (the emulator serialises calls); O(1) per Touch,
// about 40 bytes per tracked block, memory grows with the blocks seen up to the capacity.
// CheHitRatio is pure and thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace sfsg {

class LruBlockCache {
 public:
  // REQUIRES: capacity_blocks < 2^32 - 1. A capacity of 0 never hits.
  explicit LruBlockCache(uint64_t capacity_blocks);
  LruBlockCache(const LruBlockCache&) = delete;
  LruBlockCache& operator=(const LruBlockCache&) = delete;

  // References `key`: true when it was cached (it becomes the most recent); on a miss it
  // is inserted, evicting the least recently used key when the cache is full.
  bool Touch(uint64_t key);
  bool Contains(uint64_t key) const { return index_.count(key) != 0; }
  uint64_t size() const { return index_.size(); }
  uint64_t capacity() const { return capacity_; }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  struct Node {
    uint64_t key;
    uint32_t prev, next;
  };
  void Unlink(uint32_t i);
  void PushFront(uint32_t i);

  uint64_t capacity_;
  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, uint32_t> index_;
  uint32_t head_ = kNil;  // most recent
  uint32_t tail_ = kNil;  // least recent
};

// Che, Tung, Wang, "Hierarchical Web caching systems: modeling, design and experimental
// results", IEEE JSAC 2002: an LRU cache of C items under independent requests with
// probabilities p_i behaves as if each item stayed for a characteristic time T solving
// sum_i (1 - exp(-p_i T)) = C, and hits with probability sum_i p_i (1 - exp(-p_i T)).
// `popularity` need not be normalised. Returns 1 when everything fits (C >= items),
// 0 when C <= 0. O(items * 60) (bisection).
double CheHitRatio(std::span<const double> popularity, double capacity_items);

// Zipf popularity 1/rank^exponent for `items` items (rank 1 first), for CheHitRatio.
std::vector<double> ZipfPopularity(uint64_t items, double exponent);

}  // namespace sfsg
