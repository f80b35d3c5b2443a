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
}
