import Foundation

/// The hand-written reader of status event v1, the hub's hottest input
/// (`JSONDecoder` was about 40% of ingest's time per event). It accepts
/// exactly what `init(from:)` accepts with the same checks, and gives up
/// (nil) on anything else: unknown or repeated members, numbers where strings
/// belong, invalid values. The codec then decodes with `JSONDecoder`, which
/// names the reason. `StatusEventReaderTests` holds the two paths equal.
extension StatusEvent: JSONReadable {
    public static func read(json: UnsafeRawBufferPointer) -> StatusEvent? {
        var scanner = JSONScanner(json)
        var eventId: UUID?, caseId: String?, agency: String?, serviceId: String?
        var channel: StatusChannel?, status: CaseStatus?, occurredAt: Date?
        var step: String??, client: PartyReference??, representative: PartyReference??
        var result: CaseResult??, note: String??
        let complete = scanner.object { scanner, key in
            switch key {
            case "eventId":
                guard eventId == nil, let text = scanner.string(), let value = UUID(text: text) else { return false }
                eventId = value
            case "caseId":
                guard caseId == nil, let text = scanner.string(), (1 ... 128).contains(text.unicodeScalars.count) else { return false }
                caseId = text
            case "agency":
                guard agency == nil, let text = scanner.string(), TopicDeclaration.isValidAgencyCode(text) else { return false }
                agency = text
            case "serviceId":
                guard serviceId == nil, let text = scanner.string(), !text.isEmpty else { return false }
                serviceId = text
            case "channel":
                guard channel == nil, let value = scanner.string().flatMap(StatusChannel.init(rawValue:)) else { return false }
                channel = value
            case "status":
                guard status == nil, let value = scanner.string().flatMap(CaseStatus.init(rawValue:)) else { return false }
                status = value
            case "occurredAt":
                guard occurredAt == nil, let value = scanner.timestamp() else { return false }
                occurredAt = value
            case "step":
                guard step == nil, let value = scanner.optional({ $0.string() }) else { return false }
                step = value
            case "client":
                guard client == nil, let value = scanner.optional(PartyReference.read) else { return false }
                client = value
            case "representative":
                guard representative == nil, let value = scanner.optional(PartyReference.read) else { return false }
                representative = value
            case "result":
                guard result == nil, let value = scanner.optional(CaseResult.read) else { return false }
                result = value
            case "note":
                guard note == nil, let value = scanner.optional({ $0.string() }) else { return false }
                note = value
            default:
                return false
            }
            return true
        }
        guard complete, scanner.atEnd(), let eventId, let caseId, let agency, let serviceId,
              let channel, let status, let occurredAt else { return nil }
        return StatusEvent(eventId: eventId, caseId: caseId, agency: agency, serviceId: serviceId, channel: channel,
                           status: status, occurredAt: occurredAt, step: step ?? nil, client: client ?? nil,
                           representative: representative ?? nil, result: result ?? nil, note: note ?? nil)
    }
}

extension PartyReference {
    static func read(_ scanner: inout JSONScanner) -> PartyReference? {
        var type: PartyType?, id: String?
        let complete = scanner.object { scanner, key in
            switch key {
            case "type":
                guard type == nil, let value = scanner.string().flatMap(PartyType.init(rawValue:)) else { return false }
                type = value
            case "id":
                guard id == nil, let text = scanner.string(), !text.isEmpty else { return false }
                id = text
            default:
                return false
            }
            return true
        }
        guard complete, let type, let id else { return nil }
        return PartyReference(type: type, id: id)
    }
}

extension CaseResult {
    static func read(_ scanner: inout JSONScanner) -> CaseResult? {
        var decision: String??, reason: String??, link: String??
        let complete = scanner.object { scanner, key in
            switch key {
            case "decision":
                guard decision == nil, let value = scanner.optional({ $0.string() }) else { return false }
                decision = value
            case "reason":
                guard reason == nil, let value = scanner.optional({ $0.string() }) else { return false }
                reason = value
            case "link":
                guard link == nil, let value = scanner.optional({ $0.string() }) else { return false }
                if let text = value, !isValidLink(text) { return false }
                link = value
            default:
                return false
            }
            return true
        }
        guard complete else { return nil }
        return CaseResult(decision: decision ?? nil, reason: reason ?? nil, link: link ?? nil)
    }
}
