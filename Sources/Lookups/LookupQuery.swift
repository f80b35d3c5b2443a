import Foundation
import Topics

/// A request's parameters checked and put in canonical form: what is sent
/// upstream, cached and coalesced by, and hashed into the audit.
public struct LookupQuery: Sendable, Hashable {
    public let type: LookupQueryType
    /// Canonical parameters, e.g. `["personCode": "320000-00001"]`.
    public let parameters: [String: String]

    public struct Invalid: Error, Sendable, Hashable {
        public let reason: String
        public init(reason: String) { self.reason = reason }
    }

    public init(_ type: LookupQueryType, _ raw: [String: String]) throws(Invalid) {
        self.type = type
        func value(_ name: String) -> String? { raw[name].map(Self.trimmed) }
        switch type {
        case .personExists, .personStatus:
            guard let code = value("personCode") else { throw Invalid(reason: "missing_person_code") }
            guard let canonical = Self.personCode(code) else { throw Invalid(reason: "bad_person_code") }
            parameters = ["personCode": canonical]
        case .companyStatus:
            guard let number = value("regNumber") else { throw Invalid(reason: "missing_reg_number") }
            guard Self.isRegistrationNumber(number) else { throw Invalid(reason: "bad_reg_number") }
            parameters = ["regNumber": number]
        case .addressValidate:
            if let code = value("code") {
                guard Self.isAddressCode(code) else { throw Invalid(reason: "bad_address_code") }
                parameters = ["code": code]
            } else if let text = value("text"), !text.isEmpty {
                guard text.count <= 200 else { throw Invalid(reason: "address_too_long") }
                parameters = ["text": text.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased()]
            } else {
                throw Invalid(reason: "missing_address")
            }
        case .objectGet:
            guard let dataset = value("dataset"), let id = value("id") else { throw Invalid(reason: "missing_dataset_or_id") }
            guard (1 ... 64).contains(dataset.count), dataset.allSatisfy({ $0.isASCIIDigit || ("a" ... "z").contains($0) || "._-".contains($0) }) else {
                throw Invalid(reason: "bad_dataset")
            }
            guard (1 ... 64).contains(id.count), !id.contains("/") else { throw Invalid(reason: "bad_id") }
            parameters = ["dataset": dataset, "id": id]
        }
        let unknown = Set(raw.keys).subtracting(Self.allowed[type] ?? [])
        if !unknown.isEmpty { throw Invalid(reason: "unknown_parameter") }
    }

    /// Without leading and trailing spaces and tabs (what `trimmingCharacters(in: .whitespaces)` removes), with
    /// no copy when there are none: once per lookup.
    static func trimmed(_ text: String) -> String {
        func isBlank(_ scalar: Unicode.Scalar) -> Bool { scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator }
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last, isBlank(first) || isBlank(last) else { return text }
        guard let start = scalars.firstIndex(where: { !isBlank($0) }), let end = scalars.lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(scalars[start ... end])
    }

    static let allowed: [LookupQueryType: Set<String>] = [
        .personExists: ["personCode"], .personStatus: ["personCode"], .companyStatus: ["regNumber"],
        .addressValidate: ["code", "text"], .objectGet: ["dataset", "id"],
    ]

    /// A company's registration number: 11 digits.
    static func isRegistrationNumber(_ text: String) -> Bool { text.count == 11 && text.allSatisfy(\.isASCIIDigit) }

    /// An address register code: 6 to 12 digits.
    static func isAddressCode(_ text: String) -> Bool { (6 ... 12).contains(text.count) && text.allSatisfy(\.isASCIIDigit) }

    /// `DDMMYY-NNNNN` (the dash optional on input).
    static func personCode(_ text: String) -> String? {
        let digits = text.filter { $0 != "-" }
        guard digits.count == 11, digits.allSatisfy(\.isASCIIDigit), text.filter({ $0 == "-" }).count <= 1 else { return nil }
        if text.contains("-"), text.firstIndex(of: "-") != text.index(text.startIndex, offsetBy: 6) { return nil }
        return String(digits.prefix(6)) + "-" + String(digits.suffix(5))
    }

    /// What the lookup is about, for the audit's keyed hash: the subject's kind and key.
    public var subject: String {
        parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }

    /// The keyed hash the audit names the subject by: the same subject always hashes the same, and without the secret it cannot be reversed.
    public func subjectHash(secret: String) -> String {
        let family = type.concernsPerson ? "person" : type.rawValue
        return Self.keyedHash("\(family):\(subject)", secret: secret)
    }

    /// `hmac:` and the first 16 bytes of HMAC-SHA256 of `message` under `secret`, in hex: how lookups and register
    /// changes name a subject where its key must not appear.
    static func keyedHash(_ message: String, secret: String) -> String {
        "hmac:" + Hex.string(SHA256.hmac(key: Array(secret.utf8), message: Array(message.utf8)).prefix(16))
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0" ... "9").contains(self) }
}
