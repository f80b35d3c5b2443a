import ChannelDelivery
import Foundation
import HTTPServer
@testable import SMSConnector
import Testing
import Topics

@Suite("SMS gateway settings, delivery reports and the gateway pool")
struct SMSUnitTests {
    @Test("channel.sms.gateways: user and password out of the URL, weights after *, names by position")
    func gatewayList() throws {
        let list = try SMSGatewayList(parsing: "http://hub:s%40cret@10.0.0.5:13013/cgi-bin/sendsms*3, https://hub2:pw@sms.example.lv/cgi-bin/sendsms")
        #expect(list.entries.map(\.name) == ["gw1", "gw2"])
        #expect(list.entries.map(\.weight) == [3, 1])
        #expect(list.entries[0].sendURL == "http://10.0.0.5:13013/cgi-bin/sendsms")
        #expect(list.entries[0].username == "hub" && list.entries[0].password == "s@cret")
        #expect(throws: SMSGatewayList.Invalid.self) { try SMSGatewayList(parsing: "http://10.0.0.5:13013/cgi-bin/sendsms") }
        #expect(throws: SMSGatewayList.Invalid.self) { try SMSGatewayList(parsing: "http://a:b@host/x*0") }
        #expect(throws: SMSGatewayList.Invalid.self) { try SMSGatewayList(parsing: "ftp://a:b@host/x") }
        #expect(throws: SMSGatewayList.Invalid.self) { try SMSGatewayList(parsing: " ") }
    }

    @Test("Kannel's call-back: types 1, 2, 16, 8 and 4; the SMSC's id and time; malformed calls refused")
    func reports() throws {
        let id = UUID()
        func parse(_ query: String) -> Result<DeliveryReport, KannelDeliveryReport.Refusal> {
            KannelDeliveryReport.parse(HTTPRequest(method: "GET", target: "/callbacks/kannel?" + query).queryItems)
        }
        let delivered = try parse("id=\(id.uuidString.lowercased())&gw=gw2&type=1&time=1795467684&ref=b963e354&answer=").get()
        #expect(delivered.outcome == .delivered && delivered.reference == "gw2/b963e354")
        #expect(delivered.at == Date(timeIntervalSince1970: 1_795_467_684))
        #expect(try parse("id=\(id)&type=2&time=1&ref=x").get().outcome == .failed(code: "undelivered"))
        #expect(try parse("id=\(id)&type=16&time=1&ref=x").get().outcome == .failed(code: "smsc_rejected"))
        #expect(try parse("id=\(id)&type=8&time=1&ref=x&answer=ACK%2F").get().outcome == .accepted)
        #expect(try parse("id=\(id)&type=4&time=1&ref=").get().outcome == .pending)
        #expect(try parse("id=\(id)&type=4&time=1&ref=").get().reference == nil)
        #expect(throws: KannelDeliveryReport.Refusal.missingId) { try parse("type=1").get() }
        #expect(throws: KannelDeliveryReport.Refusal.badId) { try parse("id=12345&type=1").get() }
        #expect(throws: KannelDeliveryReport.Refusal.unknownType("3")) { try parse("id=\(id)&type=3").get() }
        // The dlr-url asks Kannel for exactly the fields parse reads.
        let callback = KannelDeliveryReport.callback(base: "http://hub:8080/callbacks/kannel", notificationId: id)
        #expect(callback == "http://hub:8080/callbacks/kannel?id=\(id.uuidString.lowercased())&gw=kannel&type=%d&time=%T&ref=%F&answer=%A")
    }

    @Test("weights share traffic in an even rhythm; a failing gateway is left out, tried again after its cool-down, and restored by a success")
    func pool() {
        var pool = GatewayPool([("gw1", 3), ("gw2", 1)], settings: .init(window: 10, errorThreshold: 0.5, minimumCalls: 4, coolDown: 30))
        let start = Date(timeIntervalSince1970: 1_000_000)
        let picks = (0 ..< 8).map { _ in pool.pick(at: start) }
        #expect(picks.filter { $0 == 0 }.count == 6 && picks.filter { $0 == 1 }.count == 2)
        #expect(picks[0 ..< 4].filter { $0 == 1 }.count == 1, "smooth: gw2 once in every four, not four in a row")
        // gw1 fails 3 of 4: left out.
        for success in [false, false, true, false] { pool.record(0, success: success, at: start) }
        #expect(pool.health(0, at: start) == .excluded)
        #expect((0 ..< 10).allSatisfy { _ in pool.pick(at: start.addingTimeInterval(1)) == 1 })
        // After the cool-down: on probation; a failure sends it out again, a success restores it.
        let later = start.addingTimeInterval(31)
        #expect(pool.health(0, at: later) == .probation)
        pool.record(0, success: false, at: later)
        #expect(pool.health(0, at: later) == .excluded)
        let muchLater = later.addingTimeInterval(31)
        pool.record(0, success: true, at: muchLater)
        #expect(pool.health(0, at: muchLater) == .healthy)
        #expect((0 ..< 8).map { _ in pool.pick(at: muchLater) }.filter { $0 == 0 }.count == 6)
        // A notice gw2 just failed goes to gw1 even when the rhythm says gw2; with every gateway out, the one back soonest.
        var both = GatewayPool([("a", 1), ("b", 1)], settings: .init(minimumCalls: 1, coolDown: 10))
        #expect(both.pick(at: start, avoiding: 1) == 0)
        both.record(0, success: false, at: start)
        both.record(1, success: false, at: start.addingTimeInterval(1))
        #expect(both.pick(at: start.addingTimeInterval(2)) == 0)
    }

    @Test("the sendsms query: Latvian text as UTF-16BE bytes with coding=2, GSM text as UTF-8, dlr-url encoded once")
    func query() throws {
        let connector = KannelConnector(settings: .init(sendURL: "http://k/cgi-bin/sendsms", username: "hub", password: "p&w", sender: "Latvija.lv",
                                                        callbackURL: "http://hub:8080/callbacks/kannel"))
        let request = NotificationRequest(requestId: UUID(), clientKey: "c:x", representativeKey: nil, agency: "VID", caseId: "1", serviceId: "S",
                                          status: .accepted, step: nil, messageClass: .informational, occurredAt: Date(), link: nil)
        var notice = Notice(notificationId: UUID(), channel: .sms, recipientKey: "c:x", role: .client, to: ["+37120000001"], messageClass: .informational,
                            carriesContent: true, language: "lv", templateId: "t", subject: nil, body: "Ā b", request: request, createdAt: Date())
        let ucs2 = connector.query(for: notice, to: "+37120000001")
        #expect(ucs2.contains("coding=2&charset=UTF-16BE&text=%01%00%00%20%00b"))
        #expect(ucs2.contains("password=p%26w") && ucs2.contains("to=%2B37120000001"))
        #expect(ucs2.contains("dlr-mask=19&dlr-url=http%3A%2F%2Fhub%3A8080%2Fcallbacks%2Fkannel%3Fid%3D\(notice.notificationId.uuidString.lowercased())%26gw%3Dkannel%26type%3D%25d"))
        notice.body = "Hello 100%"
        #expect(connector.query(for: notice, to: "1").contains("coding=0&charset=UTF-8&text=Hello%20100%25"))
    }
}
