/// Whether a party is a natural person or a legal entity; identifiers are interpreted differently.
public enum PartyType: String, Codable, Sendable, Hashable, CaseIterable {
    /// A natural person, identified by personal code.
    case person
    /// A legal entity, identified by registration number.
    case company
}
