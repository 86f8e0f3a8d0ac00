import PVESim

/// The cluster pve-sim serves: the seeded three-node cluster, with `--guests` extra guests and
/// tasks lasting `--task-seconds`.
func makeCluster(_ commandLine: SimCommandLine) -> any SimCluster {
    SimulatedCluster(options: ClusterOptions(extraGuests: commandLine.guests, taskSeconds: commandLine.taskSeconds, seed: 1))
}
