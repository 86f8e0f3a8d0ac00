import Foundation

/// The environment the tests give the processes they start: the runner's, less its PROXMUX_
/// variables. A binary under test must reach only the cluster its test set up (or none), never
/// the one of whoever runs the tests.
enum RunnerEnvironment {
    static var withoutProxmux: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PROXMUX_") }
    }
}
