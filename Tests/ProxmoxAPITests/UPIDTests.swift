import Testing
@testable import ProxmoxAPI

@Suite("UPID parsing")
struct UPIDTests {
    struct Valid: Sendable, CustomStringConvertible {
        let text: String
        let node: String, pid: UInt32, pstart: UInt64, start: Int64, type: String, id: String, user: String
        var description: String { text }
    }

    static let valid: [Valid] = [
        Valid(text: "UPID:pve1:000A1B2C:0012D687:6745F3A0:qmstart:100:root@pam:",
              node: "pve1", pid: 0x000A1B2C, pstart: 0x0012D687, start: 0x6745F3A0, type: "qmstart", id: "100", user: "root@pam"),
        Valid(text: "UPID:node-2:00001234:1ABCDEF01:6745F3A0:vzdump::admin@pve!ci:",
              node: "node-2", pid: 0x1234, pstart: 0x1ABCDEF01, start: 0x6745F3A0, type: "vzdump", id: "", user: "admin@pve!ci"),
        Valid(text: "  UPID:pve3:0000ffff:0000abcd:674ab00f:imgcopy:local:root@pam:\n",
              node: "pve3", pid: 0xFFFF, pstart: 0xABCD, start: 0x674AB00F, type: "imgcopy", id: "local", user: "root@pam"),
    ]

    @Test(arguments: valid)
    func parsesFields(_ c: Valid) throws {
        let upid = try #require(UPID(c.text))
        #expect(upid.node == c.node)
        #expect(upid.pid == c.pid)
        #expect(upid.pstart == c.pstart)
        #expect(upid.startTime == c.start)
        #expect(upid.type == c.type)
        #expect(upid.id == c.id)
        #expect(upid.user == c.user)
        #expect(upid.description == c.text.trimmingWhitespace())
    }

    @Test(arguments: [
        "",
        "UPID",
        "upid:pve1:000A1B2C:0012D687:6745F3A0:qmstart:100:root@pam:",   // wrong prefix case
        "UPID:pve1:000A1B2C:0012D687:6745F3A0:qmstart:100:root@pam",    // missing trailing colon
        "UPID::000A1B2C:0012D687:6745F3A0:qmstart:100:root@pam:",       // empty node
        "UPID:pve1:XYZ00000:0012D687:6745F3A0:qmstart:100:root@pam:",   // pid not hex
        "UPID:pve1:1B2C:0012D687:6745F3A0:qmstart:100:root@pam:",       // pid too short
        "UPID:pve1:000A1B2C:0012D687:-745F3A0:qmstart:100:root@pam:",   // signed start time
        "UPID:pve1:000A1B2C:0012D687:6745F3A0::100:root@pam:",          // empty type
        "UPID:pve1:000A1B2C:0012D687:6745F3A0:qmstart:100::",           // empty user
        "UPID:pve1:000A1B2C:0012D687:6745F3A0:qm start:100:root@pam:",  // whitespace in a field
        "UPID:pve1:000A1B2C:0012D687:6745F3A0:qmstart:1:00:root@pam:",  // extra field
        "OK",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(UPID(text) == nil)
    }
}
