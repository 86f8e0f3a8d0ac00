#if canImport(Glibc)
import Glibc
#endif

/// Where the loop reads lines from: the terminal, a pipe, a script file, a `-c` string.
public protocol LineSource: AnyObject {
    /// Shown in error messages as `NAME:LINE:` — a file path, `-c`, `<stdin>`; nil at the prompt.
    var name: String? { get }
    /// A person at a terminal: errors never stop the session and lines go to the history.
    var isInteractive: Bool { get }
    /// The next physical line; `continuation` is true while a command is still open
    /// (quote or trailing backslash), so a prompt can show that.
    func nextLine(continuation: Bool) -> LineRead
    /// Called with each complete interactive entry (history).
    func remember(_ text: String)
}

/// Lines of an in-memory text: a script file's contents or a `-c` argument.
public final class TextSource: LineSource {
    public let name: String?
    private let lines: [String]
    private var next = 0

    public init(name: String, text: String) {
        self.name = name
        var lines = text.utf8.split(separator: 10, omittingEmptySubsequences: false).map { bytes in
            String(decoding: bytes.last == 13 ? bytes.dropLast() : bytes, as: UTF8.self)
        }
        if text.utf8.last == 10 { lines.removeLast() }
        self.lines = lines
    }

    /// Reads a script file. Throws `ShellError` naming the file and the system's reason.
    public static func file(_ path: String) throws(ShellError) -> TextSource {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ShellError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes.append(contentsOf: chunk[0..<n])
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw ShellError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
        }
        return TextSource(name: path, text: String(decoding: bytes, as: UTF8.self))
    }

    public var isInteractive: Bool { false }

    public func nextLine(continuation: Bool) -> LineRead {
        guard next < lines.count else { return .endOfInput }
        defer { next += 1 }
        return .line(lines[next])
    }

    public func remember(_ text: String) {}
}

/// Lines from a `LineReader`: the terminal (prompt built from the executor each time) or a pipe.
public final class ReaderSource: LineSource {
    private let reader: LineReader
    private let prompt: () -> Prompt
    private let continuationPrompt: Prompt

    /// - Parameter prompt: called before each new command is read (the context may have changed).
    public init(reader: LineReader, prompt: @escaping () -> Prompt, continuationPrompt: Prompt) {
        self.reader = reader
        self.prompt = prompt
        self.continuationPrompt = continuationPrompt
    }

    public var name: String? { reader.isInteractive ? nil : "<stdin>" }
    public var isInteractive: Bool { reader.isInteractive }

    public func nextLine(continuation: Bool) -> LineRead {
        reader.readLine(prompt: continuation ? continuationPrompt : prompt())
    }

    public func remember(_ text: String) { reader.remember(text) }
}
