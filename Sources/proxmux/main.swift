print("proxmux: not built yet")
