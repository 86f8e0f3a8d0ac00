import Testing
@testable import ProxmuxShell

/// A two-step wizard independent of any cluster, for the engine's own rules.
private func colourWizard() -> Wizard {
    Wizard(command: "paint", steps: [
        WizardStep(key: "colour", title: "Colour", question: "Colour", required: true,
                   choices: { _ in [Completion("red"), Completion("green")] },
                   validate: { answer, _ in try WizardStep.oneOf("colour")(answer, [Completion("red"), Completion("green")]) }),
        WizardStep(key: "coats", title: "Coats", question: "Coats", defaultValue: { _ in "2" },
                   validate: { answer, _ in try CreateVMWizard.positive(answer, what: "number of coats", min: 1) }),
        WizardStep(key: "note", title: "Note", question: "Note", whenEmpty: "no note", validate: { answer, _ in answer }),
    ], confirmation: "Paint?")
}

@Test func promptAnswerReadsBackAbortAndTrims() {
    #expect(PromptAnswer(line: nil) == .abort)
    #expect(PromptAnswer(line: " < ") == .back)
    #expect(PromptAnswer(line: "  red\t") == .answer("red"))
    #expect(PromptAnswer(line: "") == .answer(""))
}

@Test func plainPrompterReadsLinesAndShowsChoicesAndDefault() throws {
    let console = Console.capturing()
    var lines = ["green", "", "nice", "yes"][...]
    let prompter = PlainPrompter(console: console, readLine: { lines.popFirst() })
    let outcome = try #require(try colourWizard().run(given: [:], prompter: prompter, console: console))
    #expect(outcome.answers.values == ["colour": "green", "coats": "2", "note": "nice"])
    let out = console.capturedOutput.out
    #expect(out.contains("  choices: red, green\nColour: "))
    #expect(out.contains("Coats [2]: "))
    #expect(out.contains("Note (empty: no note): "))
    #expect(out.contains("Paint? (yes/no) [yes]: "))
}

/// A step left empty reads as what that means (a MAC address is generated), not as a dash.
@Test func anEmptyAnswerReadsAsWhatItMeansInTheSummary() {
    let summary = colourWizard().summary(WizardAnswers(["colour": "red", "coats": "2", "note": ""]))
    #expect(summary.contains("  Note    no note"))
    #expect(summary.contains("  Colour  red"))
}

@Test func endOfInputAborts() throws {
    let console = Console.capturing()
    let prompter = PlainPrompter(console: console, readLine: { nil })
    #expect(try colourWizard().run(given: [:], prompter: prompter, console: console) == nil)
}

@Test func backAtTheFirstQuestionSaysSo() throws {
    let console = Console.capturing()
    let prompter = ScriptedPrompter(["<", "red", "", "", "yes"])
    let outcome = try colourWizard().run(given: [:], prompter: prompter, console: console)
    #expect(outcome?.answers["colour"] == "red")
    #expect(console.capturedOutput.err.contains("this is the first question; Ctrl-C leaves the wizard"))
}

@Test func emptyRequiredAnswerWithoutDefaultIsAskedAgain() throws {
    let console = Console.capturing()
    let prompter = ScriptedPrompter(["", "blue", "red", "3", "", "yes"])
    let outcome = try colourWizard().run(given: [:], prompter: prompter, console: console)
    #expect(outcome?.answers.values == ["colour": "red", "coats": "3", "note": ""])
    let err = console.capturedOutput.err
    #expect(err.contains("a value is required for colour; valid: red, green"))
    #expect(err.contains("'blue' is not a valid colour; valid: red, green"))
}

@Test func commandLineWritesEveryValueAndSkipsEmptyOptionals() {
    let wizard = colourWizard()
    #expect(wizard.commandLine(for: WizardAnswers(["colour": "red", "coats": "2", "note": ""])) == "paint --colour red --coats 2")
    #expect(wizard.commandLine(for: WizardAnswers(["colour": "red", "coats": "2", "note": "two words"])) == "paint --colour red --coats 2 --note 'two words'")
}
