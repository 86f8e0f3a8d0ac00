#!/usr/bin/env python3
"""Interleaved A/B timing of whole commands against one running server, for judging a change when
the machine is too noisy for run.py's absolute numbers: only the differences between the commands
of one run count.

    python3 scripts/bench/ab.py --runs 61 'curl=curl -s -k -o /dev/null -H "Authorization: ..." URL' \\
        'before=/tmp/proxmux-before -c "ls /vms"' 'after=.build/release/proxmux -c "ls /vms"'

Each NAME=COMMAND is split like a shell line (no shell runs: it would add its own start-up to
each command). Before every timed run, an untimed small read wakes the server (pve-sim rebuilds its
resource rows when they are two seconds old); it uses PROXMUX_URL, PROXMUX_TOKEN and PROXMUX_SECRET
from the environment, which the commands inherit. Prints per command the median, the 10th and 90th
percentiles and the median's ratio to the first command's, and the median CPU time (user and
system) the command took: steadier than the wall time when the machine is busy.
"""
import argparse
import os
import resource
import shlex
import statistics
import subprocess
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=41)
    ap.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = ap.parse_args()
    commands = []
    for spec in args.commands:
        name, sep, line = spec.partition("=")
        if not sep or not line:
            ap.error(f"'{spec}' is not NAME=COMMAND")
        commands.append((name, shlex.split(line)))
    try:
        url, token, secret = (os.environ[k] for k in ("PROXMUX_URL", "PROXMUX_TOKEN", "PROXMUX_SECRET"))
    except KeyError as missing:
        ap.error(f"{missing} is not set (the server to wake before each run)")
    wake = ["curl", "-s", "-k", "-o", "/dev/null", "-H", f"Authorization: PVEAPIToken={token}={secret}",
            f"{url}/api2/json/cluster/resources?type=node"]

    times = {name: [] for name, _ in commands}
    cpu = {name: [] for name, _ in commands}
    for _ in range(args.runs):
        for name, argv in commands:
            subprocess.run(wake, check=True)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
            times[name].append((time.perf_counter() - start) * 1000)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)

    base = statistics.median(times[commands[0][0]])
    for name, _ in commands:
        deciles = statistics.quantiles(times[name], n=10)
        median = statistics.median(times[name])
        print(f"{name:12s} median {median:6.1f} ms  p10 {deciles[0]:6.1f}  p90 {deciles[-1]:6.1f}  x{median / base:.2f}"
              f"  cpu {statistics.median(cpu[name]):5.1f} ms")


if __name__ == "__main__":
    main()
