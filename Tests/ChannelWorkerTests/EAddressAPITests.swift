import ChannelDelivery
import EAddressConnector
import Foundation
import GatewayHTTP
import HTTPServer
import Sandboxes
import Testing
import Topics

/// The e-address delivery API of docs/connectors/eaddress.md, over real HTTP:
/// the mailbox emulator answers exactly the documented object, and the
/// connector reads answers the API may extend.
@Suite("E-address API: the emulator's answers and the connector's reading of them")
struct EAddressAPITests {
    let http = CurlHTTPClient(connections: 2, timeout: .seconds(5))

    func post(_ json: String, to mailbox: EAddressMailbox) async throws -> (status: Int, object: [String: Any]) {
        let answer = try await http.perform(.init(method: "POST", url: mailbox.baseURL + "/v1/messages",
                                                  headers: [("Content-Type", "application/json")], body: Array(json.utf8))).get()
        let object = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any]
        return (answer.status, object ?? [:])
    }

    @Test("a submission is answered with its identity and state only, never its content; a repeat gets the first answer")
    func submitAnswer() async throws {
        let mailbox = EAddressMailbox()
        try mailbox.start()
        defer { mailbox.stop() }
        let json = #"{"messageId":"m-1","sender":"VSAA","recipient":"c:1","subject":"Lieta \"P-1\"","body":"Labdien!\nĀ Č \u0160 \ud83d\ude00","attachments":[{"name":"lieta","uri":"https:\/\/x.lv\/1"}]}"#
        let first = try await post(json, to: mailbox)
        #expect(first.status == 201)
        #expect(Set(first.object.keys) == ["acceptedAt", "deliveredAt", "messageId", "reference", "status"])
        #expect(first.object["messageId"] as? String == "m-1")
        #expect(first.object["reference"] as? String == "EA-00000001")
        #expect(first.object["status"] as? String == "delivered")
        let repeated = try await post(json, to: mailbox)
        #expect(repeated.status == 200)
        #expect(repeated.object["reference"] as? String == "EA-00000001")
        let stored = try #require(mailbox.messages.first)
        #expect(mailbox.messages.count == 1)
        #expect(stored.subject == "Lieta \"P-1\"")
        #expect(stored.body == "Labdien!\nĀ Č Š 😀")
        #expect(stored.attachments.map { [$0.name, $0.uri] } == [["lieta", "https://x.lv/1"]])
        #expect(mailbox.submissions["m-1"] == 2)
    }

    @Test("a field the API does not name is accepted; a missing subject or a broken body is a 400")
    func submissionShapes() async throws {
        let mailbox = EAddressMailbox()
        try mailbox.start()
        defer { mailbox.stop() }
        let extra = try await post(#"{"messageId":"m-2","sender":"VSAA","recipient":"c:2","subject":"S","body":"B","priority":1}"#, to: mailbox)
        #expect(extra.status == 201)
        #expect(mailbox.messages.map(\.messageId) == ["m-2"])
        let missing = try await post(#"{"messageId":"m-3","sender":"VSAA","recipient":"c:3","body":"B"}"#, to: mailbox)
        #expect(missing.status == 400)
        #expect(missing.object["error"] as? String == "invalid_message")
        let broken = try await post(#"{"messageId":"m-4","sender":"VSAA","recipient":"c:4","subject":"S","body":"B""#, to: mailbox)
        #expect(broken.status == 400)
        #expect(mailbox.messages.count == 1)
    }

    @Test("not yet delivered: the answer has no deliveredAt, and the status query says so with the same object")
    func pendingDelivery() async throws {
        var settings = EAddressMailbox.Settings()
        settings.deliverAfter = .seconds(60)
        let mailbox = EAddressMailbox(settings: settings)
        try mailbox.start()
        defer { mailbox.stop() }
        let accepted = try await post(#"{"messageId":"m-5","sender":"VSAA","recipient":"c:5","subject":"S","body":"B"}"#, to: mailbox)
        #expect(Set(accepted.object.keys) == ["acceptedAt", "messageId", "reference", "status"])
        #expect(accepted.object["status"] as? String == "accepted")
        let status = try await http.perform(.init(url: mailbox.baseURL + "/v1/messages/status?messageId=m-5")).get()
        let object = try JSONSerialization.jsonObject(with: Data(status.body)) as? [String: Any]
        #expect(object?["status"] as? String == "accepted")
        #expect(object?["reference"] as? String == "EA-00000001")
        let connector = EAddressConnector(baseURL: URL(string: mailbox.baseURL)!, sender: "HUB")
        #expect(await connector.status(of: UUID()) == nil)
    }

    @Test("the connector reads an answer with fields it does not know, and a null deliveredAt")
    func connectorReadsExtendedAnswers() async throws {
        var router = HTTPRouter()
        router.register("POST", "/v1/messages") { _ in
            .json(#"{"acceptedAt":"2026-11-24T10:00:00Z","deliveredAt":null,"messageId":"x","queue":{"depth":3},"reference":"R-7","status":"accepted"}"#, status: 201)
        }
        router.register("GET", "/v1/messages/status") { _ in
            .json(#"{"deliveredAt":"2026-11-24T10:00:05Z","reference":"R-7","status":"read","messageId":"x"}"#)
        }
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, router: router)
        try server.start()
        defer { server.shutdown() }
        let connector = EAddressConnector(baseURL: URL(string: "http://127.0.0.1:\(server.port)")!, sender: "HUB")
        let notice = Notice(notificationId: UUID(), channel: .eaddress, recipientKey: "c:9", role: .client, to: ["c:9"], messageClass: .official,
                            carriesContent: true, language: "lv", templateId: "t", subject: "S", body: "B",
                            request: NotificationRequest(requestId: UUID(), clientKey: "c:9", representativeKey: nil, agency: "VSAA", caseId: "C-9",
                                                         serviceId: "VSAA-PENS", status: .completed, step: nil, messageClass: .official,
                                                         occurredAt: Date(), link: nil),
                            createdAt: Date())
        #expect(await connector.send(notice) == .accepted(reference: "R-7"))
        #expect(await connector.status(of: notice.notificationId) == .delivered(reference: "R-7", at: RFC3339Timestamp.parse("2026-11-24T10:00:05Z")!))
    }

    @Test("a batch status query answers each message it knows, in the order asked, and leaves out the rest; the connector maps them by id")
    func batchStatus() async throws {
        var settings = EAddressMailbox.Settings()
        settings.deliverAfter = .seconds(3)  // the first delivered by the time the second is asked about, the second not yet
        let mailbox = EAddressMailbox(settings: settings)
        try mailbox.start()
        defer { mailbox.stop() }
        let ids = (0 ..< 3).map { _ in UUID().lowercasedString }
        _ = try await post(#"{"messageId":"\#(ids[0])","sender":"VSAA","recipient":"c:1","subject":"S","body":"B"}"#, to: mailbox)
        try await Task.sleep(for: .milliseconds(3_200))
        _ = try await post(#"{"messageId":"\#(ids[1])","sender":"VSAA","recipient":"c:2","subject":"S","body":"B"}"#, to: mailbox)
        let unknown = ids[2]
        let query = #"{"messageIds":["\#(ids[1])","\#(unknown)","\#(ids[0])"]}"#
        let answer = try await http.perform(.init(method: "POST", url: mailbox.baseURL + "/v1/messages/status",
                                                  headers: [("Content-Type", "application/json")], body: Array(query.utf8))).get()
        #expect(answer.status == 200)
        let messages = try #require((try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])?["messages"] as? [[String: Any]])
        #expect(messages.map { $0["messageId"] as? String } == [ids[1], ids[0]])
        #expect(messages.map { $0["status"] as? String } == ["accepted", "delivered"])
        #expect(Set(messages[1].keys) == ["acceptedAt", "deliveredAt", "messageId", "reference", "status"])
        #expect(mailbox.statusQueries.total == 1)
        #expect(mailbox.statusAsked == 3)

        let connector = EAddressConnector(baseURL: URL(string: mailbox.baseURL)!, sender: "HUB")
        let known = await connector.statuses(of: [ids[0], ids[1], unknown].map { UUID(uuidString: $0)! })
        #expect(known.count == 2)
        #expect(known[UUID(uuidString: ids[1])!] == .accepted(reference: "EA-00000002"))
        guard case .delivered(let reference, _)? = known[UUID(uuidString: ids[0])!] else {
            Issue.record("the first message is delivered: \(known)")
            return
        }
        #expect(reference == "EA-00000001")
        // More ids than one call takes: the connector splits them (100 a call).
        let many = (0 ..< 250).map { _ in UUID() } + [UUID(uuidString: ids[0])!]
        let before = mailbox.statusQueries.total
        #expect(await connector.statuses(of: many).count == 1)
        #expect(mailbox.statusQueries.total - before == 3)
    }

    @Test("a batch status query naming no ids, too many, or not a list of strings is a 400")
    func batchStatusShapes() async throws {
        let mailbox = EAddressMailbox()
        try mailbox.start()
        defer { mailbox.stop() }
        let tooMany = "{\"messageIds\":[" + (0 ... EAddressMailbox.statusBatchLimit).map { "\"m-\($0)\"" }.joined(separator: ",") + "]}"
        for body in [#"{"messageIds":[]}"#, tooMany, #"{"messageIds":[1,2]}"#, #"{"ids":["m-1"]}"#, #"{"messageIds":["m-1"]"#] {
            let answer = try await http.perform(.init(method: "POST", url: mailbox.baseURL + "/v1/messages/status",
                                                      headers: [("Content-Type", "application/json")], body: Array(body.utf8))).get()
            #expect(answer.status == 400, "\(body.prefix(40))")
            #expect(answer.text.contains("invalid_query"))
        }
    }
}
