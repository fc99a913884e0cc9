#include "fuse/forecaster/private_view.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "generator/util/mountinfo.h"

namespace sfsg {
namespace {

constexpr const char* kMountInfo = "/proc/thread-self/mountinfo";

// What the view keeps: the system's own pseudo filesystems (/proc for the ladder's
// CPU figures, /dev and /run for the log's socket), the mountpoint and the mounts on
// the way to it.
bool Kept(const std::string& point, const std::string& mountpoint) {
  for (const char* system : {"/", "/proc", "/sys", "/dev", "/run"})
    if (point == system) return true;
  return PathWithin(point, mountpoint);
}

// Moves the calling thread into a private copy of its mount namespace holding only
// what Kept() names. False, with the thread where it was, when not permitted.
bool EnterPrivateView(const std::string& mountpoint) {
  const int home = ::open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (home < 0) return false;
  bool entered = ::unshare(CLONE_NEWNS) == 0;  // EPERM without CAP_SYS_ADMIN
  // Private, or the user's unmount would propagate into the copy and find it busy.
  if (entered && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    entered = false;
    (void)::setns(home, CLONE_NEWNS);
  }
  ::close(home);
  if (!entered) return false;
  // Last first, so a mount goes before the one it sits on; a path that no longer
  // names a mount (gone with its parent) fails harmlessly.
  const std::vector<MountInfo> mounts = ReadMountInfo(kMountInfo);
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it)
    if (!Kept(it->mount_point, mountpoint))
      (void)::umount2(it->mount_point.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
  return true;
}

}  // namespace

uint64_t MountIdOf(const std::string& path) {
  struct statx stx;
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) != 0) return 0;
  return (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
}

bool MountPresent(uint64_t id) {
  const std::vector<MountInfo> mounts = ReadMountInfo(kMountInfo);
  if (mounts.empty()) return true;  // cannot tell: never cancel on a guess
  for (const MountInfo& m : mounts)
    if (m.id == id) return true;
  return false;
}

PrivateViewRun RunInPrivateView(const std::string& mountpoint, const std::function<void()>& work,
                                const std::function<void()>& on_unmount) {
  PrivateViewRun run;
  char resolved[PATH_MAX];
  const uint64_t id = ::realpath(mountpoint.c_str(), resolved) ? MountIdOf(resolved) : 0;
  if (id == 0) {  // nothing to watch or to keep apart
    work();
    return run;
  }
  const std::string path = resolved;
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  bool isolated = false;
  std::thread worker([&] {
    isolated = EnterPrivateView(path);
    work();
    std::lock_guard lock(mutex);
    done = true;
    finished.notify_all();
  });
  std::unique_lock lock(mutex);
  while (!finished.wait_for(lock, std::chrono::milliseconds(100), [&] { return done; })) {
    if (run.unmounted || MountPresent(id)) continue;
    run.unmounted = true;
    lock.unlock();
    on_unmount();
    lock.lock();
  }
  lock.unlock();
  worker.join();
  run.isolated = isolated;
  return run;
}

}  // namespace sfsg
