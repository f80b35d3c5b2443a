import Foundation
import Notifications
import Testing
import Topics

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shipped templates and catalogue, as `hub up` loads them.
func sampleRouter(settings: NoticeRouter.Settings = .init()) throws -> NoticeRouter {
    let templates = try JSONDecoder().decode([NotificationTemplate].self,
                                             from: Data(contentsOf: packageRoot.appendingPathComponent("Topics/samples/notification-templates.json")))
    let services = try JSONDecoder().decode([ServiceDefinition].self,
                                            from: Data(contentsOf: packageRoot.appendingPathComponent("Topics/samples/catalogue.json")))
    return NoticeRouter(templates: TemplateBook(templates), services: Dictionary(uniqueKeysWithValues: services.map { ($0.serviceId, $0) }),
                        settings: settings)
}

func request(_ messageClass: MessageClass, status: CaseStatus = .completed, client: String = "c:client",
             representative: String? = nil, service: String = "VSAA-PENS", link: String? = nil) -> NotificationRequest {
    NotificationRequest(requestId: UUID(uuidString: "6f1c2b9e-0d3a-4c55-9a8e-2b7f4e1d9c01")!, clientKey: client, representativeKey: representative,
                        agency: "VSAA", caseId: "P-2026-118", serviceId: service, status: status, step: nil, messageClass: messageClass,
                        occurredAt: RFC3339Timestamp.parse("2026-11-20T09:15:00+02:00")!, link: link)
}

func profile(_ channels: [NotifyChannel], key: String = "c:client", consent: Set<NotifyChannel> = [], quiet: String? = nil,
             optOuts: Set<NotifyChannel> = [], eAddress: Bool = true, phone: String? = "+37120000001", email: String? = "a@example.lv",
             push: [String] = ["device-1"], representatives: [String] = [], language: String = "lv") -> ClientProfile {
    ClientProfile(clientKey: key, channels: channels, contacts: .init(phone: phone, email: email, pushTokens: push, eAddress: eAddress),
                  language: language, contentConsent: consent, quietHours: quiet.flatMap(QuietHours.init(parsing:)),
                  representatives: representatives, optOuts: optOuts)
}

/// 12:00 and 23:30 Latvian time (EET, UTC+2) on 2026-11-23.
let noon = RFC3339Timestamp.parse("2026-11-23T12:00:00+02:00")!
let lateEvening = RFC3339Timestamp.parse("2026-11-23T23:30:00+02:00")!
let nextMorning = RFC3339Timestamp.parse("2026-11-24T08:00:00+02:00")!

@Suite("Notice routing: profiles x message classes x consents x quiet hours")
struct NoticeRouterTests {
    /// One expected notice: recipient, channel, with content or not, held until when.
    struct Expected: Hashable, CustomStringConvertible {
        let recipient: String, channel: NotifyChannel, content: Bool, notBefore: Date?
        var description: String { "\(recipient) \(channel.rawValue) \(content ? "content" : "notice")\(notBefore.map { " after \(RFC3339Timestamp.format($0))" } ?? "")" }
    }

    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let profiles: [ClientProfile]
        let request: NotificationRequest
        let now: Date
        let notices: Set<Expected>
        let undeliverable: [String]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no profile, official: the e-address alone", profiles: [], request: request(.official), now: noon,
             notices: [.init(recipient: "c:client", channel: .eaddress, content: true, notBefore: nil)], undeliverable: []),
        Case(name: "no profile, informational: undeliverable", profiles: [], request: request(.informational, status: .accepted), now: noon,
             notices: [], undeliverable: ["no_profile"]),
        Case(name: "official, no consent: e-address content and a content-free SMS", profiles: [profile([.sms, .email])],
             request: request(.official), now: noon,
             notices: [.init(recipient: "c:client", channel: .eaddress, content: true, notBefore: nil),
                       .init(recipient: "c:client", channel: .sms, content: false, notBefore: nil)], undeliverable: []),
        Case(name: "informational, no consent: a content-free notice on the first channel", profiles: [profile([.sms, .email])],
             request: request(.informational, status: .accepted), now: noon,
             notices: [.init(recipient: "c:client", channel: .sms, content: false, notBefore: nil)], undeliverable: []),
        Case(name: "informational, consent on the second channel: content there", profiles: [profile([.sms, .email], consent: [.email])],
             request: request(.informational, status: .accepted), now: noon,
             notices: [.init(recipient: "c:client", channel: .email, content: true, notBefore: nil)], undeliverable: []),
        Case(name: "informational, consent on the first channel: content there", profiles: [profile([.sms, .email], consent: [.sms])],
             request: request(.informational, status: .accepted), now: noon,
             notices: [.init(recipient: "c:client", channel: .sms, content: true, notBefore: nil)], undeliverable: []),
        Case(name: "informational in quiet hours: held until they end", profiles: [profile([.push, .sms], quiet: "22:00-08:00")],
             request: request(.informational, status: .accepted), now: lateEvening,
             notices: [.init(recipient: "c:client", channel: .push, content: false, notBefore: nextMorning)], undeliverable: []),
        Case(name: "official in quiet hours: the e-address at once, the notice held", profiles: [profile([.push, .sms], quiet: "22:00-08:00")],
             request: request(.official), now: lateEvening,
             notices: [.init(recipient: "c:client", channel: .eaddress, content: true, notBefore: nil),
                       .init(recipient: "c:client", channel: .push, content: false, notBefore: nextMorning)], undeliverable: []),
        Case(name: "outside quiet hours nothing waits", profiles: [profile([.push], quiet: "22:00-08:00")],
             request: request(.informational, status: .accepted), now: noon,
             notices: [.init(recipient: "c:client", channel: .push, content: false, notBefore: nil)], undeliverable: []),
        Case(name: "informational, e-address preferred: content there", profiles: [profile([.eaddress, .sms])],
             request: request(.informational, status: .waitingForClient), now: noon,
             notices: [.init(recipient: "c:client", channel: .eaddress, content: true, notBefore: nil)], undeliverable: []),
        Case(name: "opted out of SMS: the notice goes by e-mail", profiles: [profile([.sms, .email], consent: [.email], optOuts: [.sms])],
             request: request(.official), now: noon,
             notices: [.init(recipient: "c:client", channel: .eaddress, content: true, notBefore: nil),
                       .init(recipient: "c:client", channel: .email, content: false, notBefore: nil)], undeliverable: []),
        Case(name: "official without an activated e-address: undeliverable", profiles: [profile([.sms], eAddress: false)],
             request: request(.official), now: noon, notices: [], undeliverable: ["no_eaddress"]),
        Case(name: "a channel without a contact is skipped; none left: undeliverable", profiles: [profile([.sms], phone: nil)],
             request: request(.informational, status: .accepted), now: noon, notices: [], undeliverable: ["no_channel"]),
        Case(name: "a mandate holder named in the profile gets a notice by their own profile",
             profiles: [profile([.sms], consent: [.sms], representatives: ["c:rep"]), profile([.email], key: "c:rep", consent: [.email])],
             request: request(.informational, status: .accepted), now: noon,
             notices: [.init(recipient: "c:client", channel: .sms, content: true, notBefore: nil),
                       .init(recipient: "c:rep", channel: .email, content: true, notBefore: nil)], undeliverable: []),
        Case(name: "the representative acting in the case, without a profile: official to their e-address", profiles: [],
             request: request(.official, representative: "c:acting"), now: noon,
             notices: [.init(recipient: "c:client", channel: .eaddress, content: true, notBefore: nil),
                       .init(recipient: "c:acting", channel: .eaddress, content: true, notBefore: nil)], undeliverable: []),
    ]

    @Test("the exact set of notices", arguments: cases)
    func table(_ example: Case) throws {
        let router = try sampleRouter()
        let profiles = Dictionary(uniqueKeysWithValues: example.profiles.map { ($0.clientKey, $0) })
        let fanOut = try router.route(example.request, profiles: { profiles[$0] }, now: example.now)
        let got = Set(fanOut.notices.map { Expected(recipient: $0.recipientKey, channel: $0.channel, content: $0.carriesContent, notBefore: $0.notBefore) })
        #expect(got == example.notices)
        #expect(fanOut.receipts.filter { $0.status == .undeliverable }.compactMap(\.reason) == example.undeliverable)
        #expect(fanOut.receipts.filter { $0.status == .created }.map(\.notificationId) == fanOut.notices.map(\.notificationId),
                "one created receipt per notice")
        for notice in fanOut.notices {
            #expect(!notice.body.contains("{{") && !notice.body.contains("}}"))
            #expect(notice.to.isEmpty == false)
        }
    }

    @Test("rendered Latvian text: service name, case, Latvian date; SMS in UCS-2 with its segments")
    func rendering() throws {
        let router = try sampleRouter()
        let fanOut = try router.route(request(.informational, status: .accepted), profiles: { _ in profile([.sms], consent: [.sms]) }, now: noon)
        let sms = try #require(fanOut.notices.first)
        #expect(sms.body == "Jūsu pieteikums “Vecuma pensijas piešķiršana” (lieta P-2026-118) ir pieņemts izskatīšanai.")
        #expect(sms.smsEncoding == "ucs2" && sms.smsSegments == 2)
        #expect(sms.to == ["+37120000001"] && sms.language == "lv" && sms.templateId == "*/accepted/sms/lv")
        let official = try router.route(request(.official), profiles: { _ in profile([.email], language: "en") }, now: noon)
        let letter = try #require(official.notices.first { $0.channel == .eaddress })
        #expect(letter.subject == "Old-age pension: case P-2026-118" || letter.subject?.hasSuffix(": case P-2026-118") == true)
        #expect(letter.body.contains("on 20.11.2026"))
        let notice = try #require(official.notices.first { $0.channel == .email })
        #expect(!notice.carriesContent && !notice.body.contains("P-2026-118"), "a content-free notice names no case")
    }

    @Test("a service's own template wins over the default; a missing language falls back to Latvian")
    func templateChoice() throws {
        let router = try sampleRouter()
        let iin = try router.route(request(.official, service: "VID-EDS-IIN"), profiles: { _ in profile([.sms], consent: [.sms]) }, now: noon)
        #expect(iin.notices.first { $0.channel == .eaddress }?.templateId == "*/completed/eaddress/lv")
        let informational = try router.route(request(.informational, service: "VID-EDS-IIN"), profiles: { _ in profile([.sms], consent: [.sms]) }, now: noon)
        #expect(informational.notices.first?.templateId == "VID-EDS-IIN/completed/sms/lv")
        let russian = try router.route(request(.informational, status: .accepted), profiles: { _ in profile([.sms], consent: [.sms], language: "ru") }, now: noon)
        #expect(russian.notices.first?.templateId == "*/accepted/sms/lv")
    }

    @Test("missing template and missing placeholder fail with their reason")
    func failures() throws {
        let empty = NoticeRouter(templates: TemplateBook(), services: [:])
        #expect(throws: NoticeRouter.Failure.self) { try empty.route(request(.official), profiles: { _ in nil }, now: noon) }
        do { _ = try empty.route(request(.official), profiles: { _ in nil }, now: noon) } catch { #expect(error.code == "missing_template") }
        let linked = NoticeRouter(templates: TemplateBook([NotificationTemplate(service: "*", purpose: "completed", channel: .eaddress, language: "lv",
                                                                                subject: "x", body: "Skatiet {{link}}")]), services: [:])
        do { _ = try linked.route(request(.official), profiles: { _ in nil }, now: noon); Issue.record("expected a failure") } catch {
            #expect(error.code == "missing_placeholder" && error.message.contains("{{link}}"))
        }
        let withLink = try linked.route(request(.official, link: "https://latvija.gov.lv/c/1"), profiles: { _ in nil }, now: noon)
        #expect(withLink.notices.first?.body == "Skatiet https://latvija.gov.lv/c/1")
    }

    @Test("ids are stable per request, recipient and channel")
    func ids() {
        let a = NoticeRouter.notificationId(request: request(.official).requestId, recipient: "c:1", channel: .sms)
        #expect(a == NoticeRouter.notificationId(request: request(.official).requestId, recipient: "c:1", channel: .sms))
        #expect(a != NoticeRouter.notificationId(request: request(.official).requestId, recipient: "c:1", channel: .email))
        #expect(a != NoticeRouter.notificationId(request: request(.official).requestId, recipient: "c:2", channel: .sms))
    }

    @Test("a permanent failure falls back to the next preferred channel; official e-address delivery never does")
    func fallback() throws {
        let router = try sampleRouter()
        let client = profile([.sms, .email, .push], consent: [.sms, .email])
        let first = try router.route(request(.informational, status: .accepted), profiles: { _ in client }, now: noon)
        let sms = try #require(first.notices.first)
        #expect(sms.channel == .sms && sms.carriesContent)
        let moved = try router.fallback(from: sms, profile: client, now: noon)
        let email = try #require(moved.notices.first)
        #expect(email.channel == .email && email.carriesContent && email.fallbackFrom == sms.notificationId && email.triedChannels == [.sms])
        #expect(moved.receipts.map(\.status) == [.fallback, .created])
        #expect(moved.receipts.first?.fallbackTo == email.notificationId)
        let push = try #require(try router.fallback(from: email, profile: client, now: noon).notices.first)
        #expect(push.channel == .push && !push.carriesContent, "no consent for content on push")
        let none = try router.fallback(from: push, profile: client, now: noon)
        #expect(none.notices.isEmpty && none.receipts.map(\.reason) == ["no_fallback"])

        let official = try router.route(request(.official), profiles: { _ in client }, now: noon)
        let delivery = try #require(official.notices.first { $0.channel == .eaddress })
        #expect(try router.fallback(from: delivery, profile: client, now: noon).receipts.map(\.reason) == ["eaddress_failed"])
        let off = try sampleRouter(settings: .init(fallback: [.informational: false, .official: true]))
        #expect(try off.fallback(from: sms, profile: client, now: noon).notices.isEmpty)
    }
}

@Suite("SMS segments, Latvian time, templates")
struct NotificationTextTests {
    @Test("GSM-7 and UCS-2 segment counts, extension characters, and the cap")
    func segments() {
        #expect(SMSText(String(repeating: "a", count: 160)).segments == 1)
        #expect(SMSText(String(repeating: "a", count: 161)).segments == 2)
        #expect(SMSText(String(repeating: "a", count: 306)).segments == 2)
        #expect(SMSText(String(repeating: "a", count: 307)).segments == 3)
        #expect(SMSText(String(repeating: "€", count: 80)).units == 160 && SMSText(String(repeating: "€", count: 80)).encoding == .gsm7)
        let latvian = SMSText(String(repeating: "ā", count: 70))
        #expect(latvian.encoding == .ucs2 && latvian.segments == 1)
        #expect(SMSText(String(repeating: "ā", count: 71)).segments == 2)
        #expect(SMSText("🙂").units == 2)
        let long = SMSText(String(repeating: "Ūdens pievads ", count: 30))
        #expect(long.segments > 3)
        let capped = long.capped(toSegments: 3)
        #expect(capped.segments == 3 && capped.text.hasSuffix("…") && capped.text.hasPrefix("Ūdens pievads"))
        let plain = SMSText(String(repeating: "water main ", count: 60)).capped(toSegments: 2)
        #expect(plain.segments == 2 && plain.encoding == .gsm7 && plain.text.hasSuffix("..."))
    }

    @Test("Latvian time follows the EU summer-time rule")
    func latvianTime() {
        #expect(LatvianTime.offsetSeconds(at: RFC3339Timestamp.parse("2026-03-29T00:59:59Z")!) == 7_200)
        #expect(LatvianTime.offsetSeconds(at: RFC3339Timestamp.parse("2026-03-29T01:00:00Z")!) == 10_800)
        #expect(LatvianTime.offsetSeconds(at: RFC3339Timestamp.parse("2026-10-25T00:59:59Z")!) == 10_800)
        #expect(LatvianTime.offsetSeconds(at: RFC3339Timestamp.parse("2026-10-25T01:00:00Z")!) == 7_200)
        #expect(LatvianTime.dateText(RFC3339Timestamp.parse("2026-06-30T22:30:00Z")!) == "01.07.2026")
        let quiet = QuietHours(parsing: "22:00-08:00")!
        #expect(LatvianTime.endOfQuiet(quiet, at: RFC3339Timestamp.parse("2026-07-01T06:10:00+03:00")!) == RFC3339Timestamp.parse("2026-07-01T08:00:00+03:00"))
        #expect(LatvianTime.endOfQuiet(quiet, at: RFC3339Timestamp.parse("2026-07-01T08:00:00+03:00")!) == nil)
        #expect(LatvianTime.endOfQuiet(QuietHours(parsing: "13:00-14:00")!, at: RFC3339Timestamp.parse("2026-07-01T13:30:20+03:00")!)
                == RFC3339Timestamp.parse("2026-07-01T14:00:00+03:00"))
        #expect(QuietHours(parsing: "25:00-08:00") == nil && QuietHours(parsing: "22:00") == nil && QuietHours(parsing: "08:00-08:00") == nil)
        #expect(QuietHours(parsing: "22:00-08:00")?.text == "22:00-08:00")
    }

    @Test("placeholders render, unknown ones and unbalanced braces fail")
    func renderer() throws {
        #expect(try TemplateRenderer.render("Lieta {{ caseId }}.", values: ["caseId": "A-1"]) == "Lieta A-1.")
        #expect(throws: TemplateRenderer.Failure.missingPlaceholder("nope")) { try TemplateRenderer.render("{{nope}}", values: [:]) }
        #expect(throws: TemplateRenderer.Failure.malformed) { try TemplateRenderer.render("{{open", values: [:]) }
        #expect(throws: TemplateRenderer.Failure.malformed) { try TemplateRenderer.render("close}}", values: [:]) }
        #expect(TemplateRenderer.placeholders(in: "{{a}} and {{b}}") == ["a", "b"])
    }

    @Test("every shipped template renders for every sample service, and lv and en cover every notifying transition")
    func shippedTemplates() throws {
        let router = try sampleRouter()
        for service in router.services.values {
            for notice in service.notifications {
                for language in ["lv", "en"] {
                    for channel in NotifyChannel.allCases {
                        let template = router.templates.find(service: service.serviceId, purpose: notice.status.rawValue, channel: channel, language: language)
                        #expect(template?.language == language, "\(service.serviceId) \(notice.status) \(channel) \(language)")
                    }
                }
            }
        }
        for template in router.templates.templates.values {
            for name in TemplateRenderer.placeholders(in: template.body + (template.subject ?? "")) {
                #expect(["serviceName", "agency", "caseId", "status", "date"].contains(name), "\(template.id) uses {{\(name)}}, which not every request has")
            }
        }
    }
}
