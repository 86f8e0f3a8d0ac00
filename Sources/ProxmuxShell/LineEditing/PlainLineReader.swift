#if canImport(Glibc)
import Glibc
#endif

/// Reads lines from a descriptor that is not a terminal (a pipe, a redirected file): no prompt,
/// no escape codes, no history. CR before LF is dropped, invalid UTF-8 becomes U+FFFD.
public final class PlainLineReader: LineReader {
    private let fd: Int32
    private let interrupt: InterruptFlag
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    public init(fd: Int32 = 0, interrupt: InterruptFlag) {
        self.fd = fd
        self.interrupt = interrupt
    }

    public var isInteractive: Bool { false }

    public func remember(_ line: String) {}

    public func readLine(prompt: Prompt) -> LineRead {
        while true {
            if let newline = buffer[start...].firstIndex(of: 10) {
                let line = take(upTo: newline)
                start = newline + 1
                return .line(line)
            }
            if atEnd {
                guard start < buffer.count else { return .endOfInput }
                let line = take(upTo: buffer.count)
                start = buffer.count
                return .line(line)
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
            } else if n == 0 {
                atEnd = true
            } else if errno == EINTR {
                if interrupt.isRaised { return .interrupted }
            } else {
                atEnd = true
            }
        }
    }

    private func take(upTo end: Int) -> String {
        var slice = buffer[start..<end]
        if slice.last == 13 { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }
}
