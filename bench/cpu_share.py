#!/usr/bin/python3
"""Runs a command and reports how busy the rest of the machine was meanwhile.

usage: cpu_share.py REPORT.json -- CMD [ARGS...]

Runs CMD (stdin/stdout/stderr passed through) and writes to REPORT.json:
  wall_s       the command's wall-clock time
  own_cores    CPU time of CMD and its children / wall time (cores it kept busy)
  other_cores  busy CPU time of the whole machine (/proc/stat) minus CMD's, / wall time:
               cores that other processes took while CMD ran (0 on a quiet machine)
Exits with CMD's exit status. run.sh uses it to flag measurements taken while another
process was competing for the CPU.
"""

import json
import os
import resource
import subprocess
import sys
import time


def busy_seconds():
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    busy = sum(fields[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    report, cmd = sys.argv[1], sys.argv[3:]
    before_busy, before_wall = busy_seconds(), time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    rc = subprocess.call(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = max(time.monotonic() - before_wall, 1e-9)
    total = busy_seconds() - before_busy
    own = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(report, "w") as f:
        json.dump({"wall_s": round(wall, 3), "own_cores": round(own / wall, 2),
                   "other_cores": round(max(total - own, 0.0) / wall, 2)}, f)
    sys.exit(rc)


if __name__ == "__main__":
    main()
