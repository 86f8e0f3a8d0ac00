print("pve-sim: not built yet")
