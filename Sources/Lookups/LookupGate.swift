import Foundation
import Topics

/// The access policy applied to one request: everything not allowed by a
/// rule of the requester's agency is forbidden, with a reason.
public enum LookupGate {
    public enum Decision: Sendable, Hashable {
        /// Allowed: these fields may be shown (`*` for all), cached this long.
        case allow(fields: Set<String>, cacheSeconds: Int)
        case forbid(reason: String)
    }

    public static func decide(_ request: LookupRequest, policies: [String: LookupPolicy]) -> Decision {
        guard !request.purpose.trimmingCharacters(in: .whitespaces).isEmpty else { return .forbid(reason: "no_purpose") }
        guard let policy = policies[request.requester.agency] else { return .forbid(reason: "no_policy") }
        let rules = policy.rules.filter { rule in
            (rule.systems.contains("*") || rule.systems.contains(request.requester.system)) && rule.queryTypes.contains(request.queryType)
        }
        guard !rules.isEmpty else { return .forbid(reason: "query_not_allowed") }
        let matching = rules.filter { $0.purposes.contains(request.purpose) }
        guard !matching.isEmpty else { return .forbid(reason: "purpose_not_allowed") }
        // Several rules may allow it: the union of their fields, the shortest cache time.
        let fields = Set(matching.flatMap(\.fields))
        let cache = matching.map { $0.cacheSeconds ?? 0 }.min() ?? 0
        return .allow(fields: fields, cacheSeconds: max(0, cache))
    }

    /// `data` with only the fields allowed.
    public static func visible(_ data: [String: String], fields: Set<String>) -> [String: String] {
        fields.contains("*") ? data : data.filter { fields.contains($0.key) }
    }
}
