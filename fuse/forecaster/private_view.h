// A private view of the shadow for load the daemon puts on its own mount (the forecaster's
// load ladder), so that load never keeps the user from unmounting.
//
// A process with files open under a mount makes `umount` (and so `fusermount3 -u`)
// fail with EBUSY. The ladder holds files open for its whole run. Run in a private copy
// of the mount namespace, its descriptors pin the copy, not the user's mount: the user's
// unmount succeeds, the copy keeps the connection alive until the ladder, told by a
// watchdog that the mount is gone, stops; the copy goes with the thread that made it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace sfsg {

// The kernel's ID of the mount at `path` (statx STATX_MNT_ID); 0 when unknown.
uint64_t MountIdOf(const std::string& path);

// Whether mount `id` is in the calling thread's mount namespace.
bool MountPresent(uint64_t id);

struct PrivateViewRun {
  bool isolated = false;   // work ran in a private copy of the namespace
  bool unmounted = false;  // the user's mount disappeared while it ran
};

// Runs `work` on a thread of its own and waits for it. When the process may (it has
// CAP_SYS_ADMIN) and `mountpoint` is a mount, that thread first moves into a private
// copy of the mount namespace and detaches there every mount but `/`, /proc, /sys,
// /dev, /run and those on the way to `mountpoint` (so the copy pins no other
// filesystem either). Meanwhile the calling thread checks every 100 ms that the mount
// is still in its own namespace and calls `on_unmount` once when it is gone (it should
// make `work` return). Otherwise `work` runs in the process's namespace, as before.
PrivateViewRun RunInPrivateView(const std::string& mountpoint, const std::function<void()>& work,
                                const std::function<void()>& on_unmount);

}  // namespace sfsg
