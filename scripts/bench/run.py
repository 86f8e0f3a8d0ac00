#!/usr/bin/env python3
"""proxmux benchmarks, measured side by side in one run (the machines are noisy, so only ratios
taken in the same run mean anything). Starts its own release-built pve-sim with N guests.

    python3 scripts/bench/run.py [--guests 10000] [--runs 15]

Prints a report and writes scripts/bench/results.json (not committed)."""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# How proxmux is built for use (README "Install"): release, Swift runtime linked in statically
# (saves ~4 ms of dynamic loading per run). The same flags for every product, so that SwiftPM
# does not rebuild the shared modules between them.
RELEASE = ["swift", "build", "-c", "release", "--static-swift-stdlib"]


def build():
    for product in ("proxmux", "pve-sim", "proxmux-bench"):
        sh(RELEASE + ["--product", product], cwd=ROOT)
    return subprocess.run(RELEASE + ["--show-bin-path"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout.strip()


def start_sim(bin_dir, guests, extra=()):
    proc = subprocess.Popen([os.path.join(bin_dir, "pve-sim"), "--port", "0", "--guests", str(guests),
                             "--task-seconds", "0.2", *extra], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on (https?://[\d.]+:(\d+))", line)
    if not m:
        proc.kill()
        sys.exit(f"pve-sim did not start: {line!r}")
    return proc, m.group(1)


def sim_credentials(bin_dir):
    out = subprocess.run([os.path.join(bin_dir, "pve-sim"), "--print-credentials"], check=True,
                         capture_output=True, text=True).stdout
    # Lines like token='root@pam!ci' (shell assignments).
    creds = {k: v.strip("'") for k, v in (line.split("=", 1) for line in out.split() if "=" in line)}
    return creds["token"], creds["secret"]


def fingerprint(url):
    host_port = url.split("//")[1]
    pem = subprocess.run(["openssl", "s_client", "-connect", host_port], input="", capture_output=True,
                         text=True).stdout
    fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem,
                        capture_output=True, text=True).stdout
    return fp.strip().split("=", 1)[1]


def time_runs(commands, runs, env, warm=None):
    """Runs each command `runs` times, interleaved, and returns wall-time lists in ms. A command is
    an argument list, or (argument list, environment) to run it with another environment. `warm`
    (untimed) runs before each command with its environment."""
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            cmd, cmd_env = cmd if isinstance(cmd, tuple) else (cmd, env)
            if warm:
                warm(cmd_env)
            t0 = time.perf_counter()
            subprocess.run(cmd, env=cmd_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append((time.perf_counter() - t0) * 1000)
    return times


def peak_rss_kib(cmd, env):
    """Peak resident memory of one child process (ru_maxrss of a fresh waiting child)."""
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.execve(cmd[0], cmd, env)
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        sys.exit(f"{cmd} failed with status {status}")
    return usage.ru_maxrss


def med(values):
    return statistics.median(values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guests", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--reads", type=int, default=1000)
    args = ap.parse_args()

    bin_dir = build()
    proxmux = os.path.join(bin_dir, "proxmux")
    # Like pveproxy, the simulator gzips answers for clients that accept it; a second one runs as
    # pveproxy with COMPRESSION=0, so the listing is measured both ways.
    sim, url = start_sim(bin_dir, args.guests)
    plain_sim, plain_url = start_sim(bin_dir, args.guests, ["--no-compression"])
    try:
        token, secret = sim_credentials(bin_dir)
        env = dict(os.environ, PROXMUX_URL=url, PROXMUX_TOKEN=token, PROXMUX_SECRET=secret,
                   PROXMUX_FINGERPRINT=fingerprint(url), NO_COLOR="1", HOME=tempfile.mkdtemp())
        results = {"guests": args.guests, "runs": args.runs}

        # 1. cold start
        cold = time_runs({"proxmux -c help": [proxmux, "-c", "help"]}, args.runs * 2, env)
        results["cold_start_ms"] = med(cold["proxmux -c help"])

        # 2. listing 10k guests: proxmux vs curl vs proxmoxer, interleaved, against both servers
        def curl_fetch(base, path="/cluster/resources?type=vm"):
            return ["curl", "-s", "-k", "--compressed", "-o", "/dev/null", "-H",
                    f"Authorization: PVEAPIToken={token}={secret}", f"{base}/api2/json{path}"]
        curl = curl_fetch(url)
        plain_env = dict(env, PROXMUX_URL=plain_url)

        # pve-sim rebuilds its resource rows (usage figures move) when they are two seconds old,
        # which costs ~100 ms with 10,000 guests: whichever listing came first after that paid for
        # it (most often curl, the first of each round). Every timed run therefore follows an
        # untimed small resources read from the same server, which does any rebuild that is due.
        def wake_server(cmd_env):
            subprocess.run(curl_fetch(cmd_env["PROXMUX_URL"], "/cluster/resources?type=node"), check=True)
        listing = time_runs({
            "curl": curl,
            "proxmux": [proxmux, "-c", "ls /vms"],
            "proxmoxer": [sys.executable, os.path.join(HERE, "proxmoxer_list.py"), "list"],
            "curl, no compression": (curl_fetch(plain_url), plain_env),
            "proxmux, no compression": ([proxmux, "-c", "ls /vms"], plain_env),
            "proxmoxer, no compression": ([sys.executable, os.path.join(HERE, "proxmoxer_list.py"), "list"], plain_env),
        }, args.runs, env, warm=wake_server)
        for suffix, key in (("", "gzip"), (", no compression", "no_compression")):
            c, p, x = (med(listing[k + suffix]) for k in ("curl", "proxmux", "proxmoxer"))
            results[f"listing_{key}"] = {"ms": {"curl": c, "proxmux": p, "proxmoxer": x},
                                         "client_ratio": (p - c) / (x - c), "vs_curl": p / c,
                                         # each run, in order: how the medians came about
                                         "runs_ms": {k: [round(t, 1) for t in listing[k + suffix]]
                                                     for k in ("curl", "proxmux", "proxmoxer")}}

        # 2a. one verb on one guest of the big cluster: any target is resolved through
        # /cluster/resources (10,000 rows), then the guest is read (status, config)
        show = time_runs({
            "curl": (curl_fetch(plain_url), plain_env),
            "proxmux show": ([proxmux, "-c", "show 100"], plain_env),
            "proxmoxer show": ([sys.executable, os.path.join(HERE, "proxmoxer_list.py"), "show", "100"], plain_env),
        }, args.runs, env, warm=wake_server)
        results["show_guest_ms"] = {k: med(v) for k, v in show.items()}

        # 2b. the client's own share of that listing, in-process from a saved answer (index, sort,
        # render, write to /dev/null), to see where the time goes without network and startup
        saved = os.path.join(tempfile.mkdtemp(), "resources.json")
        with open(saved, "wb") as f:
            subprocess.run([saved if arg == "/dev/null" else arg for arg in curl], env=env, check=True)
        out = subprocess.run([os.path.join(bin_dir, "proxmux-bench"), "listing", saved, str(max(20, args.runs))],
                             env=env, check=True, capture_output=True, text=True).stdout
        results["listing_in_process"] = json.loads(out)

        # 3. 1000 read-only lines: .pmx vs proxmoxer
        script = os.path.join(tempfile.mkdtemp(), "reads.pmx")
        with open(script, "w") as f:
            # The same read proxmoxer makes, through the raw-API verb.
            f.write("api get /nodes/pve1/qemu/100/status/current -o json\n" * args.reads)
        reads = time_runs({
            "proxmux script": [proxmux, script],
            "proxmoxer": [sys.executable, os.path.join(HERE, "proxmoxer_list.py"), "reads", str(args.reads),
                          "pve1", "100"],
        }, max(3, args.runs // 3), env)
        results["reads_ms"] = {k: med(v) for k, v in reads.items()}
        results["reads_speedup"] = results["reads_ms"]["proxmoxer"] / results["reads_ms"]["proxmux script"]

        # 4. completion latency with the cache full
        out = subprocess.run([os.path.join(bin_dir, "proxmux-bench"), "completion"], env=env, check=True,
                             capture_output=True, text=True).stdout
        results["completion"] = json.loads(out)

        # 5. peak memory while listing
        results["listing_peak_rss_mib"] = peak_rss_kib([proxmux, "-c", "ls /vms"], env) / 1024

        with open(os.path.join(HERE, "results.json"), "w") as f:
            json.dump(results, f, indent=2)
        print(json.dumps(results, indent=2))
        listings = ""
        for key, server in (("gzip", "gzipped answers (pveproxy's default)"), ("no_compression", "COMPRESSION=0")):
            r = results[f"listing_{key}"]
            listings += (f"ls /vms, {args.guests} guests, {server}: proxmux {r['ms']['proxmux']:.0f} ms, "
                         f"curl {r['ms']['curl']:.0f} ms, proxmoxer {r['ms']['proxmoxer']:.0f} ms\n"
                         f"  client time ratio (proxmux-curl)/(proxmoxer-curl) = {r['client_ratio']:.3f} (target <= 0.2)\n"
                         f"  whole listing vs curl = {r['vs_curl']:.2f}x (target <= 1.5)\n")
        print(f"""
cold start `proxmux -c help`     {results['cold_start_ms']:.1f} ms median (target <= 20)
{listings}  in-process (saved answer): ls {results['listing_in_process']['median_ms']['ls']['wall']:.1f} ms, ls -o json {results['listing_in_process']['median_ms']['ls -o json']['wall']:.1f} ms
show 100 ({args.guests} guests, COMPRESSION=0): proxmux {results['show_guest_ms']['proxmux show']:.0f} ms, proxmoxer {results['show_guest_ms']['proxmoxer show']:.0f} ms, curl of the resources alone {results['show_guest_ms']['curl']:.0f} ms
{args.reads} reads .pmx vs proxmoxer     speedup {results['reads_speedup']:.2f}x (target >= 2)
TAB completion p99                {results['completion'].get('p99_ms', float('nan')):.3f} ms (target <= 10)
peak RSS listing                  {results['listing_peak_rss_mib']:.1f} MiB (target <= 50)""")
    finally:
        for process in (sim, plain_sim):
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
