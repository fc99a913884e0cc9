#!/usr/bin/env python3
"""Writes one known usage history twice: as OpenMetrics (for promtool's backfill) and
as sfsg usage CSVs, one per volume, with node_exporter's series mapped the way sfsg maps
them (used = size - free, capacity = used + avail, files = files - files_free).

usage: history.py OUTDIR END_UNIX  (END_UNIX: the last sample's time, a multiple of 3600)
Two volumes on instance h1:9100: /srv on /dev/sdb1 fills fast, /data on /dev/sdc slowly.
30 days, hourly. Deterministic (no random numbers)."""
import math
import sys

out, end = sys.argv[1], int(sys.argv[2])
HOURS = 30 * 24
start = end - (HOURS - 1) * 3600
GIB = 1 << 30
VOLUMES = [
    # mountpoint, device, disk, size, reserved, used at start, growth per day, ops/s
    ("/srv", "/dev/sdb1", "sdb1", 1000 * GIB, 50 * GIB, 300 * GIB, 12 * GIB, 400),
    ("/data", "/dev/sdc", "sdc", 4000 * GIB, 0, 1000 * GIB, 3 * GIB, 90),
]
labels = 'instance="h1:9100",job="node"'
series = {}  # (metric, label text) -> [(t, value)]
csv = {}
for mnt, dev, disk, size, reserved, used0, growth, ops in VOLUMES:
    fs = f'{{{labels},mountpoint="{mnt}",device="{dev}",fstype="ext4"}}'
    dk = f'{{{labels},device="{disk}"}}'
    rows = []
    reads = writes = rbytes = wbytes = 0
    for h in range(HOURS):
        t = start + h * 3600
        day = h / 24
        # Integer bytes: a daily cycle on a linear trend.
        used = used0 + int(growth * day) + int(2 * GIB * math.sin(2 * math.pi * day))
        free = size - used
        avail = free - reserved
        inodes = 64_000_000
        ifree = inodes - (1_000_000 + 4000 * h)
        rate = ops + 0.5 * ops * math.sin(2 * math.pi * day)
        reads += int(3600 * rate * 0.7)
        writes += int(3600 * rate * 0.3)
        rbytes += int(3600 * rate * 0.7) * 65536
        wbytes += int(3600 * rate * 0.3) * 16384
        for metric, label, value in [
            ("node_filesystem_size_bytes", fs, size),
            ("node_filesystem_free_bytes", fs, free),
            ("node_filesystem_avail_bytes", fs, avail),
            ("node_filesystem_files", fs, inodes),
            ("node_filesystem_files_free", fs, ifree),
            ("node_disk_reads_completed_total", dk, reads),
            ("node_disk_writes_completed_total", dk, writes),
            ("node_disk_read_bytes_total", dk, rbytes),
            ("node_disk_written_bytes_total", dk, wbytes),
        ]:
            series.setdefault((metric, label), []).append((t, value))
        rows.append((t, used, used + avail, inodes - ifree, reads, writes, rbytes, wbytes, inodes))
    csv[mnt] = rows
with open(f"{out}/history.om", "w") as f:
    # OpenMetrics wants each metric family's samples together.
    for (metric, label), samples in sorted(series.items()):
        for t, v in samples:
            f.write(f"{metric}{label} {v} {t}\n")
    f.write("# EOF\n")
for mnt, rows in csv.items():
    name = "srv" if mnt == "/srv" else "data"
    with open(f"{out}/{name}.csv", "w") as f:
        f.write("timestamp,used_bytes,capacity_bytes,files,read_ops,write_ops,read_bytes,"
                "write_bytes,capacity_files\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")
