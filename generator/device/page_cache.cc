#include "generator/device/page_cache.h"

#include <cmath>

namespace sfsg {

LruBlockCache::LruBlockCache(uint64_t capacity_blocks) : capacity_(capacity_blocks) {}

void LruBlockCache::Unlink(uint32_t i) {
  Node& n = nodes_[i];
  if (n.prev != kNil)
    nodes_[n.prev].next = n.next;
  else
    head_ = n.next;
  if (n.next != kNil)
    nodes_[n.next].prev = n.prev;
  else
    tail_ = n.prev;
  n.prev = n.next = kNil;
}

void LruBlockCache::PushFront(uint32_t i) {
  Node& n = nodes_[i];
  n.prev = kNil;
  n.next = head_;
  if (head_ != kNil) nodes_[head_].prev = i;
  head_ = i;
  if (tail_ == kNil) tail_ = i;
}

bool LruBlockCache::Touch(uint64_t key) {
  if (capacity_ == 0) return false;
  if (const auto it = index_.find(key); it != index_.end()) {
    if (it->second != head_) {
      Unlink(it->second);
      PushFront(it->second);
    }
    return true;
  }
  uint32_t slot;
  if (index_.size() < capacity_) {
    slot = static_cast<uint32_t>(nodes_.size());
    nodes_.push_back({key, kNil, kNil});
  } else {
    slot = tail_;
    Unlink(slot);
    index_.erase(nodes_[slot].key);
    nodes_[slot].key = key;
  }
  index_.emplace(key, slot);
  PushFront(slot);
  return false;
}

double CheHitRatio(std::span<const double> popularity, double capacity_items) {
  if (capacity_items <= 0 || popularity.empty()) return 0;
  if (capacity_items >= static_cast<double>(popularity.size())) return 1;
  double total = 0;
  for (double p : popularity) total += p;
  if (!(total > 0)) return 0;
  // Occupancy sum_i (1 - exp(-p_i T)) grows from 0 to items with T: bisect in log T.
  const auto occupancy = [&](double t) {
    double sum = 0;
    for (double p : popularity) sum += -std::expm1(-p / total * t);
    return sum;
  };
  double lo = 0, hi = 1;
  while (occupancy(hi) < capacity_items) hi *= 2;
  for (int i = 0; i < 100 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = (lo + hi) / 2;
    (occupancy(mid) < capacity_items ? lo : hi) = mid;
  }
  const double t = (lo + hi) / 2;
  double hits = 0;
  for (double p : popularity) hits += p / total * -std::expm1(-p / total * t);
  return hits;
}

std::vector<double> ZipfPopularity(uint64_t items, double exponent) {
  std::vector<double> p(items);
  for (uint64_t i = 0; i < items; ++i) p[i] = std::pow(static_cast<double>(i + 1), -exponent);
  return p;
}

}  // namespace sfsg
