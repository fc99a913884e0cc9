// Shared by the two halves of sfsg_posix_probe: posix_probe.cc (one system call per
// invocation) and probe_clients.cc (multi-operation clients and their checkers).
#pragma once

#include <cstdint>
#include <string>

// renameat2 flags, for C libraries whose headers predate them.
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif

namespace sfsg_probe {

// "OK" for 0, the errno macro's name ("EACCES") otherwise.
const char* ErrnoName(int e);

// splitmix64: small, deterministic, the same on every machine.
struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }  // 0 for n = 0
};

// Each returns the process exit status: 0 success, 1 a failure found.
int DoChurn(const std::string& dir, int client, long ops);
int DoConsistency(const std::string& dir);
int DoAckWriter(const std::string& dir, const std::string& log_path, int files);
int DoAckVerify(const std::string& dir, const std::string& log_path);
int DoModelCheck(const char* path, long ops, uint64_t seed, const char* expected_path);

}  // namespace sfsg_probe
