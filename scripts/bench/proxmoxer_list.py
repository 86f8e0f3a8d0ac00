"""The comparison client: what `proxmux -c 'ls /vms'` (list), a script of status reads (reads) and
`proxmux -c 'show VMID'` (show) print, written the way a Python admin would with proxmoxer. Reads
PROXMUX_URL / PROXMUX_TOKEN / PROXMUX_SECRET."""
import os
import sys
from urllib.parse import urlparse

from proxmoxer import ProxmoxAPI


def connect():
    url = urlparse(os.environ["PROXMUX_URL"])
    user, token_name = os.environ["PROXMUX_TOKEN"].split("!")
    return ProxmoxAPI(url.hostname, port=url.port, user=user, token_name=token_name,
                      token_value=os.environ["PROXMUX_SECRET"], verify_ssl=False,
                      service="PVE")


def human_bytes(n):
    n = float(n or 0)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024


def main():
    api = connect()
    mode = sys.argv[1] if len(sys.argv) > 1 else "list"
    if mode == "list":
        rows = api.cluster.resources.get(type="vm")
        rows.sort(key=lambda r: int(r["vmid"]))
        out = ["VMID  NAME  TYPE  NODE  STATUS  CPU  MEM  UPTIME  TAGS"]
        for r in rows:
            out.append(f'{r["vmid"]}  {r.get("name", "")}  {r["type"]}  {r["node"]}  {r["status"]}  '
                       f'{100 * float(r.get("cpu", 0)):.1f}%  {human_bytes(r.get("mem"))}  '
                       f'{r.get("uptime", 0)}  {r.get("tags", "")}')
        sys.stdout.write("\n".join(out) + "\n")
    elif mode == "show":
        # Like any verb given a guest: find its node in /cluster/resources, then read it.
        vmid = int(sys.argv[2])
        guest = next(r for r in api.cluster.resources.get(type="vm") if int(r["vmid"]) == vmid)
        kind = api.nodes(guest["node"]).qemu if guest["type"] == "qemu" else api.nodes(guest["node"]).lxc
        status, config = kind(vmid).status.current.get(), kind(vmid).config.get()
        out = [f"{key}: {status[key]}" for key in ("vmid", "name", "status", "uptime", "cpu") if key in status]
        out += [f"{key}: {value}" for key, value in sorted(config.items())]
        sys.stdout.write("\n".join(out) + "\n")
    elif mode == "reads":
        count = int(sys.argv[2])
        node, vmid = sys.argv[3], sys.argv[4]
        for _ in range(count):
            st = api.nodes(node).qemu(vmid).status.current.get()
            sys.stdout.write(f'{st["vmid"]} {st.get("name", "")} {st["status"]}\n')


if __name__ == "__main__":
    main()
