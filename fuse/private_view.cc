#include "fuse/private_view.h"

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

#include "generator/util/json_io.h"

namespace sfsg {
namespace {

constexpr const char* kMountInfo = "/proc/thread-self/mountinfo";

// A mountinfo path field: spaces, tabs, newlines and backslashes come as \ooo.
std::string Unescape(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string_view digits = field.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == std::string_view::npos) {
        out += static_cast<char>(std::strtol(std::string(digits).c_str(), nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

// The mount points of the calling thread's namespace, in mountinfo order (a mount
// after the one it is mounted on).
std::vector<std::string> MountPoints() {
  std::vector<std::string> points;
  auto text = ReadTextFile(kMountInfo);
  if (!text) return points;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t end = text->find('\n', pos);
    if (end == std::string::npos) end = text->size();
    const std::string_view line(text->data() + pos, end - pos);
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT ...: the fifth field.
    size_t start = 0;
    for (int i = 0; i < 4 && start != std::string_view::npos; ++i) {
      start = line.find(' ', start);
      if (start != std::string_view::npos) ++start;
    }
    if (start != std::string_view::npos) {
      const size_t stop = line.find(' ', start);
      points.push_back(
          Unescape(line.substr(start, stop == std::string_view::npos ? stop : stop - start)));
    }
    pos = end + 1;
  }
  return points;
}

// What the view keeps: the system's own pseudo filesystems (/proc for the ladder's
// CPU figures, /dev and /run for the log's socket), the mountpoint and the mounts on
// the way to it.
bool Kept(const std::string& point, const std::string& mountpoint) {
  for (const char* system : {"/", "/proc", "/sys", "/dev", "/run"})
    if (point == system) return true;
  return mountpoint.compare(0, point.size(), point) == 0 &&
         (mountpoint.size() == point.size() || mountpoint[point.size()] == '/');
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
  const std::vector<std::string> points = MountPoints();
  for (auto it = points.rbegin(); it != points.rend(); ++it)
    if (!Kept(*it, mountpoint)) (void)::umount2(it->c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
  return true;
}

}  // namespace

uint64_t MountIdOf(const std::string& path) {
  struct statx stx;
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) != 0) return 0;
  return (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
}

bool MountPresent(uint64_t id) {
  auto text = ReadTextFile(kMountInfo);
  if (!text) return true;  // cannot tell: never cancel on a guess
  const std::string key = std::to_string(id) + " ";
  return text->compare(0, key.size(), key) == 0 || text->find("\n" + key) != std::string::npos;
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
