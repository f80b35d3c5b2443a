/// Identifies a client or representative in a status event, so the hub can route notifications to them.
public struct PartyReference: Codable, Sendable, Hashable {
    /// Person or company.
    public var type: PartyType
    /// Personal code or registration number, as known to the agency.
    public var id: String

    /// Creates a party reference.
    public init(type: PartyType, id: String) {
        self.type = type
        self.id = id
    }

    /// Its JSON Schema, embedded in the schemas of values that carry parties.
    public static let jsonSchema = JSONSchema.object(
        [
            "type": .oneOf(PartyType.self, description: "Natural person or legal entity."),
            "id": .string(minLength: 1, description: "Personal code (person) or registration number (company)."),
        ],
        required: ["type", "id"],
        description: "A party to the case.")

    private enum CodingKeys: String, CodingKey {
        case type, id
    }

    /// Decodes and rejects an empty id.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(PartyType.self, forKey: .type)
        id = try container.decodeText(forKey: .id, length: 1...Int.max)
    }
}

extension PartyReference: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.member("id", id)
            json.member("type", type)
        }
    }
}
