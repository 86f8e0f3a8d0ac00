import Foundation
import PVESchema
import Testing
@testable import PVESim

/// Ticket login, CSRF, renewal, expiry and TFA as pveproxy does them.
@Suite(.serialized) struct SimulatorAuthTests {
    struct Session {
        let ticket: String
        let csrf: String
        var cookie: String {
            "Cookie: PVEAuthCookie=" + (ticket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ticket)
        }
        var csrfHeader: String { "CSRFPreventionToken: \(csrf)" }
    }

    func login(_ sim: Simulator, username: String = "root@pam", password: String = "rootpw") throws -> (CurlResult, Session?) {
        let result = try Curl.run(sim.baseURL + "/access/ticket", method: "POST", form: [("username", username), ("password", password)])
        guard let data = result.json?["data"], let ticket = data["ticket"]?.string, let csrf = data["CSRFPreventionToken"]?.string else {
            return (result, nil)
        }
        return (result, Session(ticket: ticket, csrf: csrf))
    }

    @Test func ticketLoginReturnsPVEShapedTicketAndWorksForGET() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let (result, session) = try login(sim)
        #expect(result.status == 200)
        let data = try #require(result.json?["data"])
        #expect(data["username"]?.string == "root@pam")
        #expect(data["cap"]?["vms"]?["VM.PowerMgmt"]?.int == 1)
        let s = try #require(session)
        let parts = s.ticket.split(separator: ":", omittingEmptySubsequences: false)
        #expect(parts.count == 5 && parts[0] == "PVE" && parts[1] == "root@pam" && Int(parts[2], radix: 16) != nil && parts[3].isEmpty)
        let get = try Curl.run(sim.baseURL + "/version", headers: [s.cookie])
        #expect(get.status == 200)
    }

    @Test func realmParameterCompletesTheUserName() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/access/ticket", method: "POST",
                                  form: [("username", "root"), ("password", "rootpw"), ("realm", "pam")])
        #expect(result.json?["data"]?["username"]?.string == "root@pam")
    }

    @Test func nonGETWithTicketNeedsTheCSRFToken() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let s = try #require(try login(sim).1)
        let url = sim.baseURL + "/nodes/pve1/qemu/100/status/start"
        let missing = try Curl.run(url, method: "POST", headers: [s.cookie])
        #expect(missing.status == 401)
        #expect(missing.reason == "Permission denied - invalid csrf token")
        let wrong = try Curl.run(url, method: "POST", headers: [s.cookie, "CSRFPreventionToken: 65000000:Zm9yZ2Vk"])
        #expect(wrong.status == 401)
        let ok = try Curl.run(url, method: "POST", headers: [s.cookie, s.csrfHeader])
        #expect(ok.status == 200)
        // Token auth needs no CSRF token.
        let token = try Curl.run(url, method: "POST", headers: [Curl.tokenHeader])
        #expect(token.status == 200)
    }

    @Test(arguments: ["-7FFFFFFFFFFFFFFF:Zm9v", "7FFFFFFFFFFFFFFF:Zm9v", ":", "nocolon", "zz:"])
    func hostileCSRFTokensAreRejectedWithoutCrashing(token: String) throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let s = try #require(try login(sim).1)
        let result = try Curl.run(sim.baseURL + "/nodes/pve1/qemu/100/status/start", method: "POST",
                                  headers: [s.cookie, "CSRFPreventionToken: \(token)"])
        #expect(result.status == 401)
        #expect(result.reason == "Permission denied - invalid csrf token")
    }

    @Test func failedLoginIsDelayedAndRejected() throws {
        let sim = try startSimulator { $0.failedLoginDelay = .milliseconds(300) }
        defer { sim.shutdown() }
        let (result, session) = try login(sim, password: "wrong")
        #expect(result.status == 401)
        #expect(result.reason == "authentication failure")
        #expect(session == nil)
        #expect(result.seconds >= 0.3)
        let (good, _) = try login(sim)
        #expect(good.seconds < 0.3)
    }

    @Test func ticketExpiresAfterItsLifetimeAndRenewalWorksBefore() throws {
        let sim = try startSimulator { $0.ticketLifetime = .seconds(2) }
        defer { sim.shutdown() }
        let s = try #require(try login(sim).1)
        let renewed = try Curl.run(sim.baseURL + "/access/ticket", method: "POST",
                                   form: [("username", "root@pam"), ("password", s.ticket)])
        #expect(renewed.status == 200)
        #expect(renewed.json?["data"]?["ticket"]?.string?.hasPrefix("PVE:root@pam:") == true)
        Thread.sleep(forTimeInterval: 3.2)
        let expired = try Curl.run(sim.baseURL + "/version", headers: [s.cookie])
        #expect(expired.status == 401)
        #expect(expired.reason == "permission denied - invalid PVE ticket")
        let lateRenewal = try Curl.run(sim.baseURL + "/access/ticket", method: "POST",
                                       form: [("username", "root@pam"), ("password", s.ticket)])
        #expect(lateRenewal.status == 401)
    }

    @Test func expireAllTicketsInvalidatesExistingTicketsOnly() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let old = try #require(try login(sim).1)
        sim.faults.expireAllTickets()
        #expect(try Curl.run(sim.baseURL + "/version", headers: [old.cookie]).status == 401)
        let fresh = try #require(try login(sim).1)
        #expect(try Curl.run(sim.baseURL + "/version", headers: [fresh.cookie]).status == 200)
        #expect(try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader]).status == 200)
    }

    @Test func tfaLoginNeedsTheSecondStepWithAValidTOTP() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let (first, half) = try login(sim, username: "alice@pve", password: "alicepw")
        #expect(first.status == 200)
        #expect(first.json?["data"]?["NeedTFA"]?.int == 1)
        let challenge = try #require(half)
        // The half ticket is no ticket.
        #expect(try Curl.run(sim.baseURL + "/version", headers: [challenge.cookie]).status == 401)

        let wrong = try Curl.run(sim.baseURL + "/access/ticket", method: "POST",
                                 form: [("username", "alice@pve"), ("tfa-challenge", challenge.ticket), ("password", "totp:000000")])
        #expect(wrong.status == 401)
        let code = try #require(TOTP.code(secret: FakeCluster.tfaSecret, at: Int64(Date().timeIntervalSince1970)))
        let second = try Curl.run(sim.baseURL + "/access/ticket", method: "POST",
                                  form: [("username", "alice@pve"), ("tfa-challenge", challenge.ticket), ("password", "totp:\(code)")])
        #expect(second.status == 200)
        #expect(second.json?["data"]?["NeedTFA"] == nil)
        let ticket = try #require(second.json?["data"]?["ticket"]?.string)
        let session = Session(ticket: ticket, csrf: "")
        #expect(try Curl.run(sim.baseURL + "/version", headers: [session.cookie]).status == 200)
    }

    @Test func loginParametersAreValidated() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/access/ticket", method: "POST", form: [("username", "root@pam")])
        #expect(result.status == 400)
        #expect(result.json?["errors"]?["password"]?.string == "property is missing and it is not optional")
    }
}
