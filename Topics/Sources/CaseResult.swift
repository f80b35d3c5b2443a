/// The outcome of a case as shown to the client: a decision, its reason and where to read it.
public struct CaseResult: Codable, Sendable, Hashable {
    /// Pattern every link must match: only https links may be sent to clients.
    public static let linkPattern = "^https://[^\\s]+$"

    /// What `link` must be: a URI matching `linkPattern`.
    static func isValidLink(_ text: String) -> Bool {
        JSONStringFormat.uri.accepts(text) && text.matches(pattern: linkPattern)
    }

    /// Short decision text, e.g. "granted".
    public var decision: String?
    /// Why the agency decided so.
    public var reason: String?
    /// https link to the decision document or case page.
    public var link: String?

    /// Creates a result; `link` must be an https URL when present.
    public init(decision: String? = nil, reason: String? = nil, link: String? = nil) {
        self.decision = decision
        self.reason = reason
        self.link = link
    }

    /// Its JSON Schema, embedded in the status event schema.
    public static let jsonSchema = JSONSchema.object(
        [
            "decision": .string(description: "Short decision text."),
            "reason": .string(description: "Why the agency decided so."),
            "link": .string(format: .uri, pattern: linkPattern, description: "https link to the decision or case page."),
        ],
        description: "Outcome of the case, when there is one.")

    private enum CodingKeys: String, CodingKey {
        case decision, reason, link
    }

    /// Decodes and rejects links that are not absolute https URLs.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        decision = try container.decodeIfPresent(String.self, forKey: .decision)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        link = try container.decodeTextIfPresent(forKey: .link, rule: "is not an https URL", isValid: Self.isValidLink)
    }
}

extension CaseResult: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.member("decision", decision)
            json.member("link", link)
            json.member("reason", reason)
        }
    }
}
