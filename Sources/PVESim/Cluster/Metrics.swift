import Foundation
import PVESchema

extension ClusterState {
    /// Step (seconds) per RRD time frame, as PVE's RRAs keep them; 70 rows each.
    private func step(_ call: Call) throws(SimError) -> Int {
        let frame = try call.string("timeframe")
        switch frame {
        case "hour": return 60
        case "day": return 1800
        case "week": return 10800
        case "month": return 43200
        case "year": return 604_800
        case "decade": return 2_592_000 * 3
        default: throw .parameters(["timeframe": "value '\(frame)' does not have a value in the enumeration 'hour, day, week, month, year, decade'"])
        }
    }

    private func consolidation(_ call: Call) throws(SimError) -> Double {
        switch call.optionalString("cf") ?? "AVERAGE" {
        case "AVERAGE": return 1
        case "MAX": return 1.35
        case let other: throw .parameters(["cf": "value '\(other)' does not have a value in the enumeration 'AVERAGE, MAX'"])
        }
    }

    /// Smooth pseudo-random series for a key: a daily cycle plus noise.
    private func series(_ key: Int, _ time: Int) -> Double {
        let daily = 0.5 + 0.35 * sin(Double(time) / 86400 * 6.283 + unit(key) * 6.283)
        let noise = SeededRandom.unit(UInt64(truncatingIfNeeded: key &* 1_000_003 &+ time / 60), seed: options.seed) * 0.3
        return min(1, max(0, daily * 0.8 + noise * 0.5))
    }

    private func times(_ step: Int) -> [Int] {
        let last = nowInt / step * step
        return (0..<70).map { last - (69 - $0) * step }
    }

    func guestRRD(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        let step = try step(call)
        let factor = try consolidation(call)
        return .array(times(step).map { time in
            let load = series(guest.vmid, time)
            let running = guest.isRunning && Double(time) >= guest.startedAt
            var row: [(String, JSON)] = [("time", .int(Int64(time))), ("maxcpu", .int(Int64(guest.maxcpu))), ("maxmem", .int(guest.maxmem)),
                                         ("maxdisk", .int(guest.maxdisk))]
            if running {
                let rate = (2_000 + 60_000 * unit(guest.vmid &* 3)) * load * factor
                row += [
                    ("cpu", .double(min(1, (0.01 + 0.25 * unit(guest.vmid)) * load * 1.6 * factor))),
                    ("mem", .double(min(Double(guest.maxmem), Double(guest.maxmem) * (0.2 + 0.55 * unit(guest.vmid &* 7)) * (0.9 + 0.1 * load) * factor))),
                    ("disk", .int(diskUsage(guest))),
                    ("netin", .double(rate)), ("netout", .double(rate * 0.6)),
                    ("diskread", .double(rate * 1.7)), ("diskwrite", .double(rate * 0.9)),
                ]
            }
            return .object(row)
        })
    }

    func nodeRRD(_ call: Call) throws(SimError) -> JSON {
        let node = try currentNode(call)
        let step = try step(call)
        let factor = try consolidation(call)
        let usage = nodeUsage(node)
        let threads = node.cores * 2 * node.sockets
        return .array(times(step).map { time in
            guard Double(time) >= node.bootTime else { return .object([("time", .int(Int64(time)))]) }
            let load = series(1000 + node.id, time)
            return .object([
                ("time", .int(Int64(time))),
                ("cpu", .double(min(1, usage.cpu * (0.6 + 0.8 * load) * factor))), ("iowait", .double(0.002 * load * factor)),
                ("loadavg", .double(node.loadFactor * Double(threads) * 0.1 * (0.5 + load) * factor)), ("maxcpu", .int(Int64(threads))),
                ("memtotal", .int(node.memory)), ("memused", .double(min(Double(node.memory), Double(usage.mem) * (0.9 + 0.1 * load) * factor))),
                ("memavailable", .double(Double(node.memory - usage.mem))),
                ("swaptotal", .int(8 << 30)), ("swapused", .int(0)),
                ("roottotal", .int(100 << 30)), ("rootused", .int(Int64(Double(100 << 30) * (0.12 + 0.1 * unit(node.id))))),
                ("netin", .double(2_500_000 * load * factor)), ("netout", .double(1_200_000 * load * factor)),
            ])
        })
    }

    func storageRRD(_ call: Call) throws(SimError) -> JSON {
        let storage = try pathStorage(call)
        let step = try step(call)
        let used = self.used(storage, node: call.node)
        return .array(times(step).enumerated().map { index, time in
            .object([("time", .int(Int64(time))), ("total", .int(storage.total)),
                     ("used", .int(Int64(Double(used) * (0.9 + 0.1 * Double(index) / 69))))])
        })
    }
}

extension Routes {
    static let metricsRoutes: [Route] = [
        Route("GET", "/nodes/{node}/rrddata", .node("Sys.Audit")) { s, c throws(SimError) in try s.nodeRRD(c) },
        Route("GET", "/nodes/{node}/qemu/{vmid}/rrddata", .vm("VM.Audit")) { s, c throws(SimError) in try s.guestRRD(c, .qemu) },
        Route("GET", "/nodes/{node}/lxc/{vmid}/rrddata", .vm("VM.Audit")) { s, c throws(SimError) in try s.guestRRD(c, .lxc) },
        Route("GET", "/nodes/{node}/storage/{storage}/rrddata", .storage("Datastore.Audit", "Datastore.AllocateSpace")) { s, c throws(SimError) in try s.storageRRD(c) },
    ]
}
