// ErrnoName (probe.h): the errno macro names the stress tools print.
#include <cerrno>
#include <cstring>

#include "tests/stress/probe.h"

namespace sfsg_probe {

const char* ErrnoName(int e) {
  static constexpr struct {
    int number;
    const char* name;
  } kNames[] = {
      {0, "OK"},
      {EPERM, "EPERM"},
      {ENOENT, "ENOENT"},
      {EIO, "EIO"},
      {EBADF, "EBADF"},
      {EACCES, "EACCES"},
      {EBUSY, "EBUSY"},
      {EEXIST, "EEXIST"},
      {EXDEV, "EXDEV"},
      {ENOTDIR, "ENOTDIR"},
      {EISDIR, "EISDIR"},
      {EINVAL, "EINVAL"},
      {EMFILE, "EMFILE"},
      {EFBIG, "EFBIG"},
      {ENOSPC, "ENOSPC"},
      {EROFS, "EROFS"},
      {EMLINK, "EMLINK"},
      {ENAMETOOLONG, "ENAMETOOLONG"},
      {ENOTEMPTY, "ENOTEMPTY"},
      {ELOOP, "ELOOP"},
      {ENOSYS, "ENOSYS"},
      {EOPNOTSUPP, "EOPNOTSUPP"},
      {ENOTCONN, "ENOTCONN"},
      {EDQUOT, "EDQUOT"},
      {ENODATA, "ENODATA"},
      {ETXTBSY, "ETXTBSY"},
      {EOVERFLOW, "EOVERFLOW"},
      {ECONNABORTED, "ECONNABORTED"},
      {ENXIO, "ENXIO"},
      {ESPIPE, "ESPIPE"},
      {ENODEV, "ENODEV"},
      {EADDRINUSE, "EADDRINUSE"},
      {ECONNREFUSED, "ECONNREFUSED"},
      {ENOTSOCK, "ENOTSOCK"},
      {EFAULT, "EFAULT"},
  };
  for (const auto& n : kNames)
    if (n.number == e) return n.name;
  return strerror(e);
}
}  // namespace sfsg_probe
