#if canImport(Glibc)
import Glibc
#endif

/// Monotonic seconds, for elapsed times and rates (wall-clock jumps must not distort them).
public enum MonotonicClock {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// The one progress display of the shell: a bar with percent, size and rate when they are known,
/// a spinner with the elapsed time otherwise. On a terminal it redraws one line in place; when
/// output is not a terminal it prints a plain line every 10 % (or every 5 s without a percentage)
/// so logs of unattended runs stay short.
///
/// Used by the task monitor (fed from task log lines) and by uploads (`update(sent:of:)`).
public final class ProgressDisplay {
    private let console: Console
    private let stream: Console.Stream
    private let label: String
    private let terminal: Bool
    private let now: () -> Double
    private let started: Double
    private let width = 24

    private var latest = ProgressSample()
    private var spinnerFrame = 0
    /// Non-terminal pacing.
    private var lastPrintedDecile = -1
    private var lastPrintTime: Double
    /// For a computed rate when the source gives bytes but no rate.
    private var rateBase: (time: Double, bytes: Int64)?
    private var computedRate: Double?

    /// - Parameters:
    ///   - stream: where the display goes (stderr under `-o json|yaml`, see `OutputFormat.humanStream`).
    ///   - terminal: override for tests; defaults to whether `stream` is a terminal.
    ///   - now: monotonic clock in seconds (injectable for tests).
    public init(console: Console, label: String, stream: Console.Stream = .out, terminal: Bool? = nil,
                now: @escaping () -> Double = MonotonicClock.now) {
        self.console = console
        self.stream = stream
        self.label = label
        self.terminal = terminal ?? console.isTerminal(stream)
        self.now = now
        started = now()
        lastPrintTime = started
    }

    /// New progress from a log line or a transfer.
    public func update(_ sample: ProgressSample) {
        let time = now()
        if let done = sample.doneBytes {
            if let base = rateBase, time - base.time >= 0.5, done >= base.bytes {
                computedRate = Double(done - base.bytes) / (time - base.time)
                rateBase = (time, done)
            } else if rateBase == nil {
                rateBase = (time, done)
            }
        }
        var merged = sample
        if merged.fraction == nil, let done = merged.doneBytes, let total = merged.totalBytes, total > 0 {
            merged.fraction = min(1, Double(done) / Double(total))
        }
        latest = merged
        render(at: time)
    }

    /// Progress of an upload or download measured by the caller.
    public func update(sent: Int64, of total: Int64) {
        update(ProgressSample(doneBytes: sent, totalBytes: total))
    }

    /// Time passed without news: advance the spinner / elapsed time.
    public func tick() {
        spinnerFrame += 1
        render(at: now())
    }

    /// Removes the in-place line so the next output starts on a clean line.
    public func finish() {
        console.eraseInPlace()
    }

    /// The text of the status line as it would be drawn now (without terminal control codes).
    public func statusText(at time: Double) -> String {
        let elapsed = ProgressDisplay.duration(time - started)
        guard let fraction = latest.fraction else {
            let spinner = ["|", "/", "-", "\\"][spinnerFrame % 4]
            return terminal ? "\(label) \(spinner) \(elapsed)" : "\(label): running, \(elapsed) elapsed"
        }
        var parts: [String] = []
        let percent = String(format1(fraction * 100)) + "%"
        if terminal {
            let filled = Int((fraction * Double(width)).rounded(.down))
            let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "")
                + String(repeating: " ", count: max(0, width - filled - 1))
            parts.append("\(label) [\(bar)] \(percent)")
        } else {
            parts.append("\(label): \(percent)")
        }
        if let done = latest.doneBytes, let total = latest.totalBytes {
            parts.append("\(Humanize.bytes(Double(done))) of \(Humanize.bytes(Double(total)))")
        } else if let done = latest.doneBytes {
            parts.append(Humanize.bytes(Double(done)))
        }
        if let rate = latest.bytesPerSecond ?? computedRate, rate > 0 {
            parts.append(Humanize.bytes(rate) + "/s")
        }
        parts.append(elapsed)
        return parts.joined(separator: "  ")
    }

    private func render(at time: Double) {
        if terminal {
            console.showInPlace(statusText(at: time), on: stream)
            return
        }
        // Plain output: a line per 10 % step, or every 5 s when nothing else is printed.
        if let fraction = latest.fraction {
            let decile = Int((fraction * 10).rounded(.down))
            guard decile > lastPrintedDecile || time - lastPrintTime >= 5 else { return }
            lastPrintedDecile = decile
        } else {
            guard time - lastPrintTime >= 5 else { return }
        }
        lastPrintTime = time
        console.line(statusText(at: time), to: stream)
    }

    private func format1(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(tenths % 10)"
    }

    /// `42s`, `3m05s`, `1h02m`.
    public static func duration(_ seconds: Double) -> String {
        let total = max(0, Int(seconds))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m" + pad2(total % 60) + "s" }
        return "\(total / 3600)h" + pad2(total / 60 % 60) + "m"
    }

    private static func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
}
