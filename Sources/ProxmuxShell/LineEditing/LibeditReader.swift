import CEditLineShim
#if canImport(Glibc)
import Glibc
#endif

/// The terminal line editor, on libedit's native API.
///
/// - `~/.editrc` (or `$EDITRC`) is sourced after the emacs default is set, so `bind -v` there
///   selects vi mode; TAB is then bound to the shell's completer in whichever mode is active.
/// - History lives in `~/.proxmux_history` (mode 0600, at most `HistoryFile.size` entries);
///   `HistoryPolicy` keeps lines with secrets out of it.
/// - Prompt colours are wrapped in `Prompt.escapeMarker` and passed with `EL_PROMPT_ESC`, so
///   libedit does not count them as columns.
/// - Ctrl-C: SIGINT is routed to the session's `InterruptFlag` without `SA_RESTART`, so
///   libedit's blocking `read` fails with `EINTR` and `el_gets` returns nothing; the raised flag
///   tells that apart from Ctrl-D, and the typed line is dropped. (libedit's `EL_SIGNAL` mode is
///   left off: it would install its own handlers and re-raise to the process group.)
/// - C callbacks reach this object through `EL_CLIENTDATA` (`Unmanaged`), never a global.
public final class LibeditReader: LineReader {
    /// libedit could not be opened; `reason` is the loader's message.
    public struct LineEditorUnavailable: Error {
        public let reason: String
    }

    /// Where and how much history to keep.
    public struct HistoryFile: Sendable {
        public var path: String
        public var size: Int
        public init(path: String, size: Int = 1000) {
            self.path = path
            self.size = size
        }
        /// `$HOME/.proxmux_history`; nil when there is no home directory.
        public static func inHome() -> HistoryFile? {
            guard let home = getenv("HOME").map({ String(cString: $0) }), !home.isEmpty else { return nil }
            return HistoryFile(path: home + "/.proxmux_history")
        }
    }

    private let console: Console
    private let interrupt: InterruptFlag
    private let historyFile: HistoryFile?
    private var editLine: OpaquePointer?
    private var history: OpaquePointer?
    private var streams: [UnsafeMutablePointer<FILE>] = []
    private var promptBuffer: UnsafeMutablePointer<CChar>?
    /// Answers TAB and builds the prompt; set once the command layer exists.
    public weak var executor: CommandExecutor?
    /// Variables for expanding `$NAME` in the words handed to completion.
    public var expander: () -> Expander = { Expander(variables: [:], arguments: []) }

    /// Fails when libedit cannot be opened (it is loaded here, not at start: see `cedit_open`).
    public init(console: Console, interrupt: InterruptFlag, history historyFile: HistoryFile?,
                programName: String = "proxmux") throws(LineEditorUnavailable) {
        if let why = cedit_open() { throw LineEditorUnavailable(reason: String(cString: why)) }
        self.console = console
        self.interrupt = interrupt
        self.historyFile = historyFile
        // libedit wants FILE streams; give it duplicates so closing them leaves 0/1/2 open. The
        // prompt and the echo of what is typed (wizard questions too) go to the terminal: stdout,
        // or stderr when stdout is redirected, as bash does, so `proxmux -o json > out.json`
        // still shows its prompts and the file gets only the output.
        let input = fdopen(dup(0), "r")
        let output = fdopen(dup(LibeditReader.terminalOutput), "w")
        let errors = fdopen(dup(2), "w")
        streams = [input, output, errors].compactMap { $0 }
        guard let input, let output, let errors, let el = cedit_el_init(programName, input, output, errors) else { return }
        editLine = el
        cedit_set_clientdata(el, Unmanaged.passUnretained(self).toOpaque())
        cedit_set_prompt(el, { el in LibeditReader.from(el)?.promptBuffer }, CChar(Prompt.escapeMarker.asciiValue ?? 1))
        cedit_set_editor(el, "emacs")

        if let h = cedit_history_init() {
            history = h
            cedit_history_setsize(h, Int32(historyFile?.size ?? 1000))
            cedit_history_setunique(h, 1)
            if let path = historyFile?.path { _ = cedit_history_load(h, path) }
            cedit_set_history(el, h)
        }
        _ = cedit_el_source(el, nil)
        cedit_add_function(el, "pmx-complete", "Complete the word under the cursor", { el, _ in
            LibeditReader.from(el)?.completeAtCursor() ?? UInt8(CC_ERROR)
        })
        cedit_bind(el, "^I", "pmx-complete")
    }

    deinit { close() }

    /// The descriptor prompts and echo are written to (see `init`).
    static var terminalOutput: Int32 { isatty(1) == 1 || isatty(2) != 1 ? 1 : 2 }

    /// Saves the history and releases libedit. Safe to call twice.
    public func close() {
        if let el = editLine {
            cedit_el_end(el)
            editLine = nil
        }
        if let h = history {
            cedit_history_end(h)
            history = nil
        }
        free(promptBuffer)
        promptBuffer = nil
        streams.forEach { fclose($0) }
        streams = []
    }

    private static func from(_ el: OpaquePointer?) -> LibeditReader? {
        guard let el, let data = cedit_get_clientdata(el) else { return nil }
        return Unmanaged<LibeditReader>.fromOpaque(data).takeUnretainedValue()
    }

    /// The loop's input: prompts built from the executor each time, with colour when allowed.
    public func source(promptColor: Bool) -> LineSource {
        let renderer = PromptRenderer(color: promptColor)
        return ReaderSource(
            reader: self,
            prompt: { [weak self] in
                renderer.prompt(for: self?.executor?.promptSegments() ?? PromptSegments(profile: "?", path: "/"))
            },
            continuationPrompt: renderer.continuationPrompt())
    }

    // MARK: - LineReader

    public var isInteractive: Bool { editLine != nil }

    public func readLine(prompt: Prompt) -> LineRead {
        guard let el = editLine else { return .endOfInput }
        console.flush()
        free(promptBuffer)
        promptBuffer = strdup(prompt.text)
        interrupt.clear()
        var count: Int32 = 0
        let line = cedit_el_gets(el, &count)
        // What ends the edited line belongs with the prompt, on the terminal.
        let terminal: Console.Stream = LibeditReader.terminalOutput == 1 ? .out : .err
        if interrupt.consume() {
            console.write("^C\n", to: terminal)
            console.flush()
            return .interrupted
        }
        guard let line, count > 0 else {
            console.write("\n", to: terminal) // Ctrl-D: leave the terminal on a fresh line
            console.flush()
            return .endOfInput
        }
        var text = String(cString: line)
        if text.hasSuffix("\n") { text.removeLast() }
        return .line(text)
    }

    public func remember(_ line: String) {
        guard let h = history, !line.allSatisfy(\.isWhitespace), HistoryPolicy.mayRecord(line) else { return }
        cedit_history_enter(h, line)
        saveHistory()
    }

    /// Writes the history file, creating it with mode 0600 first so it is never world-readable.
    private func saveHistory() {
        guard let h = history, let path = historyFile?.path else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        fchmod(fd, 0o600)
        Glibc.close(fd)
        _ = cedit_history_save(h, path)
    }

    // MARK: - callbacks

    /// TAB: ask the executor, insert the common prefix or list the candidates.
    private func completeAtCursor() -> UInt8 {
        guard let el = editLine, let executor, let info = cedit_el_line(el) else { return UInt8(CC_ERROR) }
        let start = UnsafeRawPointer(info.pointee.buffer)
        let cursor = UnsafeRawPointer(info.pointee.cursor)
        guard let start, let cursor else { return UInt8(CC_ERROR) }
        let length = cursor - start
        let bytes = UnsafeRawBufferPointer(start: start, count: max(0, length))
        let before = String(decoding: bytes, as: UTF8.self)

        let context = Lexer.completionContext(before)
        let expander = expander()
        let request = CompletionRequest(
            words: context.words.map(expander.lenientText(of:)),
            prefix: context.partial.map(expander.lenientText(of:)) ?? "")
        let candidates = executor.complete(request)
        guard !candidates.isEmpty else { return UInt8(CC_REFRESH_BEEP) }

        let typedCount = before.count - context.partialStartOffset
        if candidates.count == 1, let only = candidates.first {
            replace(typedCount, with: CompletionQuoting.quote(only.value, openQuote: context.openQuote, closing: true)
                + (only.appendSpace ? " " : ""))
            return UInt8(CC_REFRESH)
        }
        let common = CompletionQuoting.commonPrefix(candidates.map(\.value))
        if common.count > request.prefix.count && common.hasPrefix(request.prefix) {
            replace(typedCount, with: CompletionQuoting.quote(common, openQuote: context.openQuote, closing: false))
            return UInt8(CC_REFRESH)
        }
        console.write("\n" + CompletionQuoting.columns(candidates, width: Int(cedit_terminal_columns(1))))
        console.flush()
        return UInt8(CC_REDISPLAY)
    }

    private func replace(_ count: Int, with text: String) {
        guard let el = editLine else { return }
        if count > 0 { cedit_el_deletestr(el, Int32(count)) }
        _ = cedit_el_insertstr(el, text)
    }
}
