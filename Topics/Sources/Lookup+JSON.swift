import Foundation

// The lookup round trip's records written and read without `JSONEncoder` and
// `JSONDecoder`, which took about a third of the lookup service's and client's
// own time. Writers give the bytes `JSONEncoder` gives (`JSONWriterEquivalenceTests`);
// readers answer for the common, valid record and give up (nil) on anything
// unusual, so `JSONDecoder` still decides and explains.

extension Requester: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.member("agency", agency)
            json.member("system", system)
        }
    }

    static func read(_ scanner: inout JSONScanner) -> Requester? {
        var agency: String?, system: String?
        let complete = scanner.object { scanner, key in
            switch key {
            case "agency":
                guard agency == nil, let value = scanner.string() else { return false }
                agency = value
            case "system":
                guard system == nil, let value = scanner.string() else { return false }
                system = value
            default:
                return false
            }
            return true
        }
        guard complete, let agency, let system else { return nil }
        return Requester(agency: agency, system: system)
    }
}

extension LookupRequest: JSONWritable, JSONReadable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.member("correlationId", correlationId)
            json.member("deadline", deadline)
            json.member("parameters", parameters)
            json.member("purpose", purpose)
            json.member("queryType", queryType)
            json.member("replyTopic", replyTopic)
            json.member("requester", requester)
        }
    }

    public static func read(json: UnsafeRawBufferPointer) -> LookupRequest? {
        var scanner = JSONScanner(json)
        var correlationId: UUID?, replyTopic: String?, requester: Requester?, purpose: String?, queryType: LookupQueryType?
        var parameters: [String: String]?, deadline: Date?
        let complete = scanner.object { scanner, key in
            switch key {
            case "correlationId":
                guard correlationId == nil, let value = scanner.uuid() else { return false }
                correlationId = value
            case "replyTopic":
                guard replyTopic == nil, let value = scanner.string() else { return false }
                replyTopic = value
            case "requester":
                guard requester == nil, let value = Requester.read(&scanner) else { return false }
                requester = value
            case "purpose":
                guard purpose == nil, let value = scanner.string() else { return false }
                purpose = value
            case "queryType":
                guard queryType == nil, let value = scanner.string().flatMap(LookupQueryType.init(rawValue:)) else { return false }
                queryType = value
            case "parameters":
                guard parameters == nil, let value = scanner.stringMap() else { return false }
                parameters = value
            case "deadline":
                guard deadline == nil, let value = scanner.timestamp() else { return false }
                deadline = value
            default:
                return false
            }
            return true
        }
        guard complete, scanner.atEnd(), let correlationId, let replyTopic, let requester, let purpose, let queryType, let parameters,
              let deadline else { return nil }
        return LookupRequest(correlationId: correlationId, replyTopic: replyTopic, requester: requester, purpose: purpose,
                             queryType: queryType, parameters: parameters, deadline: deadline)
    }
}

extension LookupReply: JSONWritable, JSONReadable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.member("answeredAt", answeredAt)
            json.member("correlationId", correlationId)
            json.member("data", data)
            json.member("fromCache", fromCache)
            json.member("outcome", outcome)
            json.member("reason", reason)
            json.member("sourceTimestamp", sourceTimestamp)
        }
    }

    public static func read(json: UnsafeRawBufferPointer) -> LookupReply? {
        var scanner = JSONScanner(json)
        var correlationId: UUID?, outcome: LookupOutcome?, data: [String: String]??, reason: String??, sourceTimestamp: Date??
        var fromCache: Bool?, answeredAt: Date?
        let complete = scanner.object { scanner, key in
            switch key {
            case "correlationId":
                guard correlationId == nil, let value = scanner.uuid() else { return false }
                correlationId = value
            case "outcome":
                guard outcome == nil, let value = scanner.string().flatMap(LookupOutcome.init(rawValue:)) else { return false }
                outcome = value
            case "data":
                guard data == nil, let value = scanner.optional({ $0.stringMap() }) else { return false }
                data = value
            case "reason":
                guard reason == nil, let value = scanner.optional({ $0.string() }) else { return false }
                reason = value
            case "sourceTimestamp":
                guard sourceTimestamp == nil, let value = scanner.optional({ $0.timestamp() }) else { return false }
                sourceTimestamp = value
            case "fromCache":
                guard fromCache == nil, let value = scanner.bool() else { return false }
                fromCache = value
            case "answeredAt":
                guard answeredAt == nil, let value = scanner.timestamp() else { return false }
                answeredAt = value
            default:
                return false
            }
            return true
        }
        guard complete, scanner.atEnd(), let correlationId, let outcome, let fromCache, let answeredAt else { return nil }
        return LookupReply(correlationId: correlationId, outcome: outcome, data: data ?? nil, reason: reason ?? nil,
                           sourceTimestamp: sourceTimestamp ?? nil, fromCache: fromCache, answeredAt: answeredAt)
    }
}

extension LookupAudit: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.member("at", at)
            json.member("correlationId", correlationId)
            json.member("fromCache", fromCache)
            json.member("latencyMilliseconds", latencyMilliseconds)
            json.member("outcome", outcome)
            json.member("purpose", purpose)
            json.member("queryType", queryType)
            json.member("reason", reason)
            json.member("requester", requester)
            json.member("subject", subject)
        }
    }
}
