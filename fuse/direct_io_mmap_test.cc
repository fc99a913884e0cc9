#include "fuse/direct_io_mmap.h"

#include <gtest/gtest.h>
#include <linux/fuse.h>
#include <sys/uio.h>

#include <cstring>
#include <vector>

namespace sfsg {
namespace {

// An INIT request as the kernel sends it, offering `flags` (64 bits, split as on the wire).
std::vector<unsigned char> InitRequest(uint64_t unique, uint64_t flags) {
  fuse_in_header header{};
  header.opcode = kFuseInitOpcode;
  header.unique = unique;
  fuse_init_in init{};
  init.major = 7;
  init.minor = 40;
  init.flags = static_cast<uint32_t>(flags);
  init.flags2 = static_cast<uint32_t>(flags >> 32);
  header.len = sizeof(header) + sizeof(init);
  std::vector<unsigned char> buffer(header.len);
  std::memcpy(buffer.data(), &header, sizeof(header));
  std::memcpy(buffer.data() + sizeof(header), &init, sizeof(init));
  return buffer;
}

struct Reply {
  fuse_out_header header{};
  fuse_init_out init{};
  iovec iov[2];
  explicit Reply(uint64_t unique, uint32_t flags = 0) {
    header.unique = unique;
    init.major = 7;
    init.flags = flags;
    iov[0] = {&header, sizeof(header)};
    iov[1] = {&init, sizeof(init)};
  }
  fuse_init_out Sent() const {
    fuse_init_out out;
    std::memcpy(&out, iov[1].iov_base, sizeof(out));
    return out;
  }
};

TEST(DirectIoMmap, AddsTheFlagWhenTheKernelOffersIt) {
  DirectIoMmap state;
  const auto request = InitRequest(7, kFuseInitExt | kFuseDirectIoAllowMmap);
  state.OnRequest(request.data(), request.size());
  Reply reply(7, 1u << 0);  // libfuse's own choice (FUSE_ASYNC_READ) is kept
  EXPECT_TRUE(state.OnReply(reply.iov, 2));
  const fuse_init_out sent = reply.Sent();
  EXPECT_EQ(sent.flags, (1u << 0) | static_cast<uint32_t>(kFuseInitExt));
  EXPECT_EQ(sent.flags2, static_cast<uint32_t>(kFuseDirectIoAllowMmap >> 32));
  EXPECT_EQ(reply.iov[1].iov_len, sizeof(fuse_init_out));
  EXPECT_TRUE(state.offered());
  EXPECT_TRUE(state.granted());
}

TEST(DirectIoMmap, LeavesTheReplyAloneWhenNotOffered) {
  DirectIoMmap state;
  // flags2 is only meaningful with FUSE_INIT_EXT: bit 36 without it is not an offer.
  const auto request = InitRequest(3, kFuseDirectIoAllowMmap);
  state.OnRequest(request.data(), request.size());
  Reply reply(3);
  EXPECT_TRUE(state.OnReply(reply.iov, 2));
  EXPECT_EQ(reply.iov[1].iov_base, &reply.init);
  EXPECT_EQ(reply.Sent().flags2, 0u);
  EXPECT_FALSE(state.granted());
}

TEST(DirectIoMmap, OtherRepliesAndAFailedInitAreUntouched) {
  DirectIoMmap state;
  const auto request = InitRequest(9, kFuseInitExt | kFuseDirectIoAllowMmap);
  state.OnRequest(request.data(), request.size());
  Reply other(10);
  EXPECT_FALSE(state.OnReply(other.iov, 2));
  EXPECT_EQ(other.iov[1].iov_base, &other.init);
  Reply failed(9);
  failed.header.error = -EPROTO;
  EXPECT_TRUE(state.OnReply(failed.iov, 2));
  EXPECT_EQ(failed.iov[1].iov_base, &failed.init);
  // Once INIT is answered nothing else is looked at, even a reused id.
  Reply again(9);
  EXPECT_FALSE(state.OnReply(again.iov, 2));
  EXPECT_FALSE(state.granted());
}

TEST(DirectIoMmap, IgnoresShortAndNonInitRequests) {
  DirectIoMmap state;
  auto request = InitRequest(5, kFuseInitExt | kFuseDirectIoAllowMmap);
  state.OnRequest(request.data(), sizeof(fuse_in_header));  // cut short
  fuse_in_header header;
  std::memcpy(&header, request.data(), sizeof(header));
  header.opcode = 15;  // FUSE_READ
  std::memcpy(request.data(), &header, sizeof(header));
  state.OnRequest(request.data(), request.size());
  Reply reply(5);
  EXPECT_FALSE(state.OnReply(reply.iov, 2));
  EXPECT_FALSE(state.offered());
}

}  // namespace
}  // namespace sfsg
