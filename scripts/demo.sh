#!/usr/bin/env bash
# Starts proxmux against the built-in simulated cluster: installs missing packages, builds,
# starts pve-sim on a free port, connects with a pinned certificate, stops the simulator on exit.
#   scripts/demo.sh [proxmux arguments...]      e.g. scripts/demo.sh -c 'ls /vms'
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_deps
ensure_swift
swift build --product pve-sim >&2
swift build --product proxmux >&2
bin="$(swift build --show-bin-path)"

workdir="$(mktemp -d)"
sim_pid=""
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$workdir"
}
# Not on INT: Ctrl-C at the proxmux prompt only clears the line and must not end the cluster.
trap cleanup EXIT TERM

mkfifo "$workdir/sim.out"
# Its own session, so the terminal's Ctrl-C reaches proxmux only.
setsid "$bin/pve-sim" --port 0 --task-seconds "${PVE_SIM_TASK_SECONDS:-2}" >"$workdir/sim.out" &
sim_pid=$!
read -r banner <"$workdir/sim.out"
url="$(sed -n 's/.*listening on \(https:\/\/[0-9.:]*\).*/\1/p' <<<"$banner")"
[ -n "$url" ] || { echo "pve-sim did not start: $banner" >&2; exit 1; }
cat "$workdir/sim.out" >/dev/null &

# The demo profile lives in a private rc file (mode 0600) so no secret reaches argv or the
# environment of other processes; the certificate is pinned by its SHA-256 fingerprint.
fingerprint="$(openssl s_client -connect "${url#https://}" </dev/null 2>/dev/null \
    | openssl x509 -noout -fingerprint -sha256 | cut -d= -f2)"
eval "$("$bin/pve-sim" --print-credentials)"   # sets token=... secret=...
umask 077
cat >"$workdir/proxmuxrc" <<RC
default-profile = sim

[profile sim]
url = $url
token = $token
secret = $secret
fingerprint = $fingerprint
default-node = pve1
RC
echo "proxmux demo: simulated cluster at $url (profile 'sim'; type 'help', Ctrl-D to leave)" >&2
PROXMUX_CONFIG="$workdir/proxmuxrc" "$bin/proxmux" "$@"
