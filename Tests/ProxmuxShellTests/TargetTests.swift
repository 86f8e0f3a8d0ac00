import Testing
import ProxmoxAPI
import PVESchema
@testable import ProxmuxShell

@Suite struct TargetTests {
    static let guests = ClusterSnapshot(resources: (try? MemoryCluster.standard().request(.get, "/cluster/resources", [("type", "vm")])) ?? []).guests

    @Test(arguments: [
        ("101", [101]), ("vm:101", [101]), ("ct:200", [200]), ("web01", [101]),
        ("tag:web", [101, 102, 200]), ("pool:prod", [101, 102]), ("node:pve2", [102, 103, 202]),
        ("web*", [101, 102]), ("101,102,db01", [101, 102, 103]), ("101,web01", [101]), ("10?", [101, 102, 103]),
    ])
    func resolves(_ expression: String, _ expected: [Int]) throws {
        #expect(try TargetResolver(guests: Self.guests).resolve(expression).map(\.vmid) == expected)
    }

    @Test(arguments: [
        ("dup", "ambiguous, it names 2 guests: ct 201 (dup) on pve1, ct 202 (dup) on pve2"),
        ("tag:nope", "no guest has tag 'nope'"),
        ("x*", "no guest matches 'x*'"),
        ("vm:abc", "takes a numeric id"),
        ("os:1", "unknown target kind 'os:'"),
        ("", "empty target"),
        ("web0", "no guest named 'web0' (did you mean: vm 101 (web01) on pve1, vm 102 (web02)"),
    ])
    func failsClearly(_ expression: String, _ message: String) {
        #expect(throws: ShellError.self) { try TargetResolver(guests: Self.guests).resolve(expression) }
        do { _ = try TargetResolver(guests: Self.guests).resolve(expression) } catch let e as ShellError {
            #expect(e.message.contains(message), "\(e.message)")
        } catch {}
    }
}
