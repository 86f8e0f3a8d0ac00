/// Asks wizard questions through the shell's line reader (libedit on a terminal): the question is
/// the prompt, TAB offers the step's choices, Ctrl-C or Ctrl-D leaves the wizard.
public final class LineReaderPrompter: Prompter {
    private let reader: LibeditReader
    private let console: Console

    public init(reader: LibeditReader, console: Console) {
        self.reader = reader
        self.console = console
    }

    public func ask(_ request: PromptRequest) -> PromptAnswer {
        if let line = request.choicesLine { console.line(line) }
        console.flush()
        // While the question is open, TAB completes its choices instead of commands.
        let previous = reader.executor
        let choices = ChoiceCompleter(request: request, prompt: previous?.promptSegments())
        reader.executor = choices
        defer { reader.executor = previous }
        switch reader.readLine(prompt: Prompt(plain: request.promptText)) {
        case .line(let text): return PromptAnswer(line: text)
        case .endOfInput, .interrupted: return .abort
        }
    }
}

/// Stands in for the command executor while a wizard question is open: completes the answer only.
private final class ChoiceCompleter: CommandExecutor {
    let request: PromptRequest
    let prompt: PromptSegments

    init(request: PromptRequest, prompt: PromptSegments?) {
        self.request = request
        self.prompt = prompt ?? PromptSegments(profile: "", path: "")
    }

    func execute(words: [String], at location: SourceLocation) throws {}

    func complete(_ completion: CompletionRequest) -> [Completion] {
        // The answer is one word; anything typed before it is not part of a choice.
        completion.words.isEmpty ? request.complete(completion.prefix) : []
    }

    func promptSegments() -> PromptSegments { prompt }
}
