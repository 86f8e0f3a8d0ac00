import Testing
@testable import ProxmuxShell

/// `clear` writes nothing when the output is not a terminal (the terminal side is in
/// `TerminalTests.clearEmptiesTheScreen`).
@Suite struct ClearCommandTests {
    @Test func aPipeOrScriptGetsNoEscapeCodes() throws {
        let console = Console.capturing()
        let (_, dispatcher) = ShellEnvironment.make(profileName: "test", settings: ShellSettings(), console: console,
                                                    connect: { throw ShellError("offline") })
        try dispatcher.execute(words: ["clear"], at: SourceLocation(source: "test", line: 1))
        console.flush()
        #expect(console.capturedOutput.out.isEmpty)
        #expect(console.capturedOutput.err.isEmpty)
    }
}
