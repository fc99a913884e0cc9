#include "generator/util/hash.h"

namespace sfsg {

Permutation::Permutation(uint64_t key, uint64_t n) : key_(key), n_(n) {
  int bits = 2;
  while (bits < 64 && (uint64_t{1} << bits) < n) ++bits;
  if (bits % 2) ++bits;
  half_bits_ = bits / 2;
  half_mask_ = (uint64_t{1} << half_bits_) - 1;
}

uint64_t Permutation::Round(uint64_t half, int round) const {
  return HashWords(key_, half, static_cast<uint64_t>(round)) & half_mask_;
}

uint64_t Permutation::Encrypt(uint64_t x) const {
  uint64_t left = x >> half_bits_, right = x & half_mask_;
  for (int r = 0; r < 4; ++r) {
    const uint64_t next = left ^ Round(right, r);
    left = right;
    right = next;
  }
  return (left << half_bits_) | right;
}

uint64_t Permutation::Decrypt(uint64_t y) const {
  uint64_t left = y >> half_bits_, right = y & half_mask_;
  for (int r = 3; r >= 0; --r) {
    const uint64_t prev = right ^ Round(left, r);
    right = left;
    left = prev;
  }
  return (left << half_bits_) | right;
}

uint64_t Permutation::Apply(uint64_t x) const {
  // Cycle walking: the domain is at most 4n, so the expected number of steps is < 4.
  uint64_t y = Encrypt(x);
  while (y >= n_) y = Encrypt(y);
  return y;
}

uint64_t Permutation::Invert(uint64_t y) const {
  uint64_t x = Decrypt(y);
  while (x >= n_) x = Decrypt(x);
  return x;
}

}  // namespace sfsg
