#if canImport(Glibc)
import Glibc
#endif

/// What one read produced.
public enum LineRead: Sendable, Equatable {
    /// A line without its newline.
    case line(String)
    /// Ctrl-D at an empty prompt, or the end of a pipe.
    case endOfInput
    /// Ctrl-C while reading: the line typed so far is dropped.
    case interrupted
}

/// A prompt as the line reader shows it. `text` may carry colour escape sequences, each wrapped
/// in `Prompt.escapeMarker` so the editor does not count them as columns; `plain` has none.
public struct Prompt: Sendable, Equatable {
    /// Brackets invisible sequences in `text` (libedit `EL_PROMPT_ESC`).
    public static let escapeMarker: Character = "\u{1}"
    public var text: String
    public var plain: String
    public init(text: String, plain: String) {
        self.text = text
        self.plain = plain
    }
    public init(plain: String) { self.init(text: plain, plain: plain) }
}

/// Reads lines from the user: libedit on a terminal, plain reads from a pipe or file.
public protocol LineReader: AnyObject {
    /// True when a person types at a terminal (prompts, history, colours make sense).
    var isInteractive: Bool { get }
    func readLine(prompt: Prompt) -> LineRead
    /// Offers an entered command to the history (the reader drops lines carrying secrets).
    func remember(_ line: String)
}

/// Builds the prompt `pmx PROFILE:PATH(SELECTION) [N tasks]> ` from the executor's segments:
/// profile green, path blue, selection yellow, running tasks magenta. No colour when `color`
/// is false (not a terminal, or `NO_COLOR` set).
public struct PromptRenderer: Sendable {
    public var color: Bool
    public init(color: Bool) { self.color = color }

    /// Whether colour is allowed: a terminal on `fd` and no `NO_COLOR` in the environment.
    public static func colorAllowed(fd: Int32 = 1) -> Bool {
        isatty(fd) == 1 && getenv("NO_COLOR") == nil
    }

    public func prompt(for segments: PromptSegments) -> Prompt {
        // At most two coloured runs: libedit (3.1-2022) garbles a prompt with more than four
        // EL_PROMPT_ESC literal sequences (seen in tmux: later runs print raw and eat the text).
        var location = segments.path
        if let selection = segments.selection, !selection.isEmpty { location += "(\(selection))" }
        var pieces: [(String, String?)] = [("pmx ", nil), (segments.profile, "32"), (":", nil), (location, "34")]
        if segments.runningTasks > 0 {
            let noun = segments.runningTasks == 1 ? "task" : "tasks"
            pieces.append((" [\(segments.runningTasks) \(noun)]", nil))
        }
        pieces.append(("> ", nil))
        return render(pieces)
    }

    /// The prompt for a continued line (open quote or trailing backslash).
    public func continuationPrompt() -> Prompt { render([("> ", "2")]) }

    private func render(_ pieces: [(String, String?)]) -> Prompt {
        var plain = ""
        var text = ""
        let mark = String(Prompt.escapeMarker)
        for (piece, sgr) in pieces {
            plain += piece
            if color, let sgr {
                text += mark + "\u{1B}[\(sgr)m" + mark + piece + mark + "\u{1B}[0m" + mark
            } else {
                text += piece
            }
        }
        return Prompt(text: text, plain: plain)
    }
}
