import ProxmoxAPI
import Testing
@testable import ProxmuxShell

struct ParseCase: Sendable, CustomStringConvertible {
    let line: String
    let percent: Double?
    let done: Int64?
    let total: Int64?
    let rate: Double?
    var description: String { line }
}

private let gib: Int64 = 1 << 30
private let mib: Int64 = 1 << 20

@Test(arguments: [
    ParseCase(line: "transferred 1.0 GiB of 8.0 GiB (12.50%)", percent: 12.5, done: gib, total: 8 * gib, rate: nil),
    ParseCase(line: "drive-scsi0: transferred 512.0 MiB of 2.0 GiB (25.00%) in 3s", percent: 25, done: 512 * mib, total: 2 * gib, rate: nil),
    ParseCase(line: "INFO:  42% (1.3 GiB of 3.0 GiB) in 5s, read: 260.0 MiB/s, write: 250.0 MiB/s",
              percent: 42, done: Int64((1.3 * Double(gib)).rounded()), total: 3 * gib, rate: Double(260 * mib)),
    ParseCase(line: "INFO: 100% (3.0 GiB of 3.0 GiB) in 12s, read: 256.0 MiB/s, write: 0 B/s", percent: 100, done: 3 * gib, total: 3 * gib,
              rate: Double(256 * mib)),
    ParseCase(line: "progress 42% (read 1288490188 bytes, duration 5 sec)", percent: 42, done: 1_288_490_188, total: nil, rate: nil),
    ParseCase(line: "transferred 10 KB of 100 KB (10.00%)", percent: 10, done: 10_000, total: 100_000, rate: nil),
])
func parsesProgressLines(_ c: ParseCase) throws {
    let sample = try #require(ProgressParser.parse(c.line))
    #expect(sample.fraction.map { ($0 * 10000).rounded() / 100 } == c.percent)
    #expect(sample.doneBytes == c.done)
    #expect(sample.totalBytes == c.total)
    #expect(sample.bytesPerSecond == c.rate)
}

@Test(arguments: [
    "starting VM 100", "TASK OK", "INFO: starting new backup job: vzdump 101 --mode snapshot",
    "INFO: status: 100%", "CPU usage 42%", "transferred lots of data", "",
])
func ignoresLinesWithoutProgress(_ line: String) {
    #expect(ProgressParser.parse(line) == nil)
}

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    var time = 1000.0
    func now() -> Double { time }
}

@Test func plainOutputPrintsEveryTenPercentNotEveryUpdate() {
    let console = Console.capturing()
    let clock = ManualClock()
    let display = ProgressDisplay(console: console, label: "backup 101", terminal: false, now: clock.now)
    for percent in stride(from: 1, through: 100, by: 1) {
        clock.time += 0.1
        display.update(ProgressSample(fraction: Double(percent) / 100, doneBytes: Int64(percent) * 30 * mib, totalBytes: 3000 * mib))
    }
    display.finish()
    let lines = console.capturedOutput.out.split(separator: "\n")
    // 1% (first), then 10%, 20%, ... 100%.
    #expect(lines.count == 11)
    #expect(lines.first?.hasPrefix("backup 101: 1%") == true)
    #expect(lines.last?.hasPrefix("backup 101: 100%  2.9 GiB of 2.9 GiB") == true)
    #expect(!console.capturedOutput.out.contains("\u{1B}"), "no escape codes when not a terminal")
    #expect(!console.capturedOutput.out.contains("\r"))
}

@Test func plainOutputWithoutPercentPrintsElapsedEveryFiveSeconds() {
    let console = Console.capturing()
    let clock = ManualClock()
    let display = ProgressDisplay(console: console, label: "start 100", terminal: false, now: clock.now)
    for _ in 0..<12 {
        clock.time += 1
        display.tick()
    }
    #expect(console.capturedOutput.out == "start 100: running, 5s elapsed\nstart 100: running, 10s elapsed\n")
}

@Test func terminalOutputRedrawsOneLineWithBarSizeAndRate() {
    let console = Console.capturing()
    let clock = ManualClock()
    let display = ProgressDisplay(console: console, label: "copy", terminal: true, now: clock.now)
    display.update(ProgressSample(fraction: 0.5, doneBytes: 4 * gib, totalBytes: 8 * gib, bytesPerSecond: Double(100 * mib)))
    clock.time += 3
    display.tick()
    display.finish()
    let out = console.capturedOutput.out
    #expect(out.hasPrefix("\r\u{1B}[2Kcopy [============>           ] 50%  4.0 GiB of 8.0 GiB  100 MiB/s  0s"))
    #expect(out.contains("\r\u{1B}[2Kcopy [============>           ] 50%  4.0 GiB of 8.0 GiB  100 MiB/s  3s"))
    #expect(out.hasSuffix("\r\u{1B}[2K"), "finish clears the line")
    #expect(!out.contains("\n"), "redrawn in place, never a new line")
}

@Test func uploadProgressComputesTheRateFromBytesSent() {
    let console = Console.capturing()
    let clock = ManualClock()
    let display = ProgressDisplay(console: console, label: "upload debian.iso", terminal: true, now: clock.now)
    display.update(sent: 0, of: 100 * mib)
    clock.time += 2
    display.update(sent: 20 * mib, of: 100 * mib)
    #expect(display.statusText(at: clock.time).contains("20%  20.0 MiB of 100 MiB  10.0 MiB/s  2s"))
}

@Test func spinnerOnTerminalShowsElapsedTime() {
    let console = Console.capturing()
    let clock = ManualClock()
    let display = ProgressDisplay(console: console, label: "start 100", terminal: true, now: clock.now)
    clock.time += 65
    display.tick()
    #expect(console.capturedOutput.out == "\r\u{1B}[2Kstart 100 / 1m05s")
}
