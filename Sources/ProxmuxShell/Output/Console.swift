#if canImport(Glibc)
import Glibc
#endif

/// Buffered writer for standard output and standard error. Everything the shell prints goes
/// through one of these, so output can be captured in tests and large tables are written in
/// a few system calls instead of one per line. It also owns the one line drawn in place (a
/// progress bar): any other output first erases it, so text never lands in the middle of it; the
/// progress display draws it again at its next update, below that text.
public final class Console {
    public enum Stream { case out, err }

    private let outFD: Int32
    private let errFD: Int32
    private var outBuffer: [UInt8] = []
    /// When set, output is appended here instead of written to the descriptors (tests).
    private var captured: (out: String, err: String)?
    /// Standard output is a terminal.
    public let isTerminal: Bool
    private let errIsTerminal: Bool
    /// The stream whose current line was drawn in place and not ended yet.
    private var inPlace: Stream?
    private static let eraseLine = "\r\u{1B}[2K"

    public init(outFD: Int32 = 1, errFD: Int32 = 2) {
        self.outFD = outFD
        self.errFD = errFD
        self.isTerminal = isatty(outFD) == 1
        self.errIsTerminal = isatty(errFD) == 1
        outBuffer.reserveCapacity(64 * 1024)
    }

    /// A console that keeps everything in memory; read it back with `capturedOutput`.
    public static func capturing() -> Console {
        let console = Console(outFD: -1, errFD: -1)
        console.captured = ("", "")
        return console
    }

    /// Whether `stream` is a terminal (in-place progress lines only make sense there).
    public func isTerminal(_ stream: Stream) -> Bool { stream == .out ? isTerminal : errIsTerminal }

    public var capturedOutput: (out: String, err: String) { flush(); return captured ?? ("", "") }

    public func write(_ text: String, to stream: Stream = .out) {
        eraseInPlace()
        emit(text, to: stream)
    }

    /// Draws `text` over the current line of `stream` (a terminal), without ending the line.
    public func showInPlace(_ text: String, on stream: Stream) {
        emit(Console.eraseLine + text, to: stream)
        flush()
        inPlace = stream
    }

    /// Erases the line drawn in place, if one is showing.
    public func eraseInPlace() {
        guard let stream = inPlace else { return }
        inPlace = nil
        emit(Console.eraseLine, to: stream)
        flush()
    }

    private func emit(_ text: String, to stream: Stream) {
        if captured != nil {
            if stream == .out { captured!.out += text } else { flush(); captured!.err += text }
            return
        }
        switch stream {
        case .out:
            outBuffer.append(contentsOf: text.utf8)
            if outBuffer.count >= 64 * 1024 { flush() }
        case .err:
            flush()
            writeAll(errFD, Array(text.utf8))
        }
    }

    /// UTF-8 bytes to standard output (large renderings are built as bytes, not Strings).
    public func write(bytes: [UInt8]) {
        eraseInPlace()
        if captured != nil {
            captured?.out += String(decoding: bytes, as: UTF8.self)
            return
        }
        if bytes.count >= 64 * 1024 {
            // Large pieces go straight out (after what is buffered), never copied into the buffer.
            flush()
            writeAll(outFD, bytes)
            return
        }
        outBuffer.append(contentsOf: bytes)
        if outBuffer.count >= 64 * 1024 { flush() }
    }

    public func line(_ text: String = "", to stream: Stream = .out) { write(text + "\n", to: stream) }

    /// An error line on stderr.
    public func error(_ text: String) { line(text, to: .err) }

    public func flush() {
        guard captured == nil, !outBuffer.isEmpty else { return }
        writeAll(outFD, outBuffer)
        outBuffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}
