import PVESim

/// The cluster pve-sim serves. `SimulatedCluster` comes from helper/sim-cluster; until it is
/// merged this stays the one line to switch, and pve-sim refuses to start without it.
func makeCluster(_ commandLine: SimCommandLine) throws(ClusterUnavailable) -> any SimCluster {
    throw ClusterUnavailable()
}

struct ClusterUnavailable: Error, CustomStringConvertible {
    var description: String { "the simulated cluster (SimulatedCluster) is not merged into this build yet" }
}
