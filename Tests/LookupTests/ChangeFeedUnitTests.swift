import DAGRConnector
import Foundation
import GatewayHTTP
import Lookups
import Sandboxes
import Testing
import Topics

@Suite("Register changes: translated for dagr.changes, persons by client key only; the emulator's change list through the connector")
struct ChangeFeedUnitTests {
    let translator = RegisterChangeTranslator(secret: "test-secret")
    let now = Date()

    func change(_ type: String?, _ kind: String?, _ key: String?, id: Int? = 7, at: String? = "2026-11-23T10:00:00Z") -> UpstreamChange {
        UpstreamChange(changeId: id, kind: kind, objectType: type, key: key, changedAt: at, changedFields: ["status"])
    }

    @Test("a person is named by the client key profiles are kept under; a company by its number and client key; an address by its code")
    func translates() throws {
        let person = try translator.translate(change("person", "person.deceased", "320000-00001"), publishedAt: now).get()
        let expected = ClientPseudonym.key(for: PartyReference(type: .person, id: "320000-00001"), secret: "test-secret")
        #expect(person.objectKey == expected && person.clientKey == expected)
        #expect(!String(decoding: try RecordJSON.encode(person), as: UTF8.self).contains("320000"))
        // The dash is optional in the register's key; the client key is the same.
        #expect(try translator.translate(change("person", "person.deceased", "32000000001"), publishedAt: now).get().objectKey == expected)

        let company = try translator.translate(change("company", "company.liquidated", "40000000013"), publishedAt: now).get()
        #expect(company.objectKey == "40000000013")
        #expect(company.clientKey == ClientPseudonym.key(for: PartyReference(type: .company, id: "40000000013"), secret: "test-secret"))
        #expect(company.changeId == 7 && company.kind == "company.liquidated" && company.changedFields == ["status"] && company.publishedAt == now)

        let address = try translator.translate(change("address", "address.changed", "100000037"), publishedAt: now).get()
        #expect(address.objectKey == "100000037" && address.clientKey == nil)
    }

    @Test("entries that cannot be placed get a reason; the redacted copy keeps no key")
    func rejects() {
        func reason(_ entry: UpstreamChange) -> String? {
            if case .failure(let rejection) = translator.translate(entry, publishedAt: now) { return rejection.code }
            return nil
        }
        #expect(reason(change("person", "person.deceased", "320000-00001", id: nil)) == "no_change_id")
        #expect(reason(change("person", "person.deceased", "320000-00001", id: 0)) == "no_change_id")
        #expect(reason(change("vehicle", "vehicle.sold", "AB-1234")) == "unknown_object_type")
        #expect(reason(change(nil, "person.deceased", "320000-00001")) == "unknown_object_type")
        #expect(reason(change("person", "company.liquidated", "320000-00001")) == "bad_kind")
        #expect(reason(change("person", "person.", "320000-00001")) == "bad_kind")
        #expect(reason(change("person", "person.deceased", "320000-00001", at: "yesterday")) == "bad_time")
        #expect(reason(change("person", "person.deceased", "not-a-code")) == "bad_key")
        #expect(reason(change("company", "company.renamed", "4000")) == "bad_key")
        #expect(reason(change("address", "address.changed", "")) == "bad_key")
        #expect(reason(change("address", "address.changed", "12345")) == "bad_key", "an address code is what a lookup accepts: 6 to 12 digits")
        let redacted = translator.redacted(change("person", "person.deceased", "320000-0000X"))
        #expect(redacted.key?.hasPrefix("hmac:") == true && redacted.key?.contains("320000") == false)
    }

    @Test("the emulator lists each change once, in order, paged, with ids that only grow; the connector reads them")
    func emulatorChangeList() async throws {
        let register = DAGRRegister()
        try register.start()
        defer { register.stop() }
        let connector = DAGRConnector(baseURL: register.baseURL)
        guard case .changes(let none) = await connector.changes(since: 0, limit: 10) else { Issue.record("no change list"); return }
        #expect(none.isEmpty)
        let company = register.register.companyNumbers[0], address = register.register.addressCodes[0], person = register.register.personCodes[0]
        let beforeChanges = Date()
        #expect(register.liquidate(company: company) != nil)
        #expect(register.change(.init(kind: "company.renamed", key: company, value: "SIA \"Jauns\"")) != nil)
        #expect(register.change(.init(kind: "address.changed", key: address, value: "Brīvības iela 1, Rīga, LV-1001")) != nil)
        #expect(register.change(.init(kind: "person.deceased", key: person)) != nil)
        #expect(register.change(.init(kind: "person.deceased", key: "000000-00000")) == nil, "no such person")
        #expect(register.change(.init(kind: "planet.exploded", key: company)) == nil, "no such kind")
        #expect(register.register.companies[company]?["status"] == "liquidated")
        #expect(register.register.addressByText["brīvības iela 1, rīga, lv-1001"] == address)

        guard case .changes(let first) = await connector.changes(since: 0, limit: 3) else { Issue.record("no change list"); return }
        #expect(first.map(\.kind) == ["company.liquidated", "company.renamed", "address.changed"])
        guard case .changes(let rest) = await connector.changes(since: first.last!.changeId!, limit: 3) else { Issue.record("no change list"); return }
        #expect(rest.map(\.kind) == ["person.deceased"])
        let ids = (first + rest).compactMap(\.changeId)
        #expect(ids == ids.sorted() && Set(ids).count == 4 && ids[0] > 1_000_000, "ids grow and count on from the start time")

        // Integrators make changes happen over HTTP.
        let http = CurlHTTPClient(connections: 1, timeout: .seconds(5))
        // Answers after a change are as of that change, not of the register's start.
        guard case .success(let lookup) = await http.perform(.init(method: "GET", url: register.baseURL + "/v1/companies?regNumber=\(company)")),
              let body = try JSONSerialization.jsonObject(with: Data(lookup.body)) as? [String: Any],
              let asOf = (body["asOf"] as? String).flatMap(RFC3339Timestamp.parse) else { Issue.record("no company answer"); return }
        #expect(register.asOf < beforeChanges && asOf >= beforeChanges)
        func order(_ body: String) async -> Int {
            guard case .success(let answer) = await http.perform(.init(method: "POST", url: register.baseURL + "/sandbox/changes",
                                                                        headers: [("Content-Type", "application/json")], body: Array(body.utf8))) else { return 0 }
            return answer.status
        }
        #expect(await order(#"{"kind": "company.liquidated", "key": "\#(register.register.companyNumbers[1])"}"#) == 201)
        #expect(await order(#"{"kind": "company.liquidated", "key": "00000000000"}"#) == 404)
        #expect(await order(#"{"kind": 7}"#) == 400)
        guard case .changes(let after) = await connector.changes(since: rest.last!.changeId!, limit: 10) else { Issue.record("no change list"); return }
        #expect(after.map(\.key) == [register.register.companyNumbers[1]])

        register.update { $0.downUntil = Date().addingTimeInterval(30) }
        #expect(await connector.changes(since: 0, limit: 3) == .failed(code: "upstream_503"))
    }
}
