import Foundation

/// How several gateways of one channel share traffic (two SMS providers, as
/// GOV.UK Notify runs them): by weight, with smooth weighted round robin, so
/// a 3:1 split sends 3 of every 4 notices to the first in an even rhythm. A
/// gateway whose error rate over its last `window` calls passes
/// `errorThreshold` (after at least `minimumCalls`) takes no traffic for
/// `coolDown` seconds; then it gets traffic again on probation: one success
/// restores it, one failure sends it back out. When every gateway is out,
/// the one back soonest is used rather than none.
public struct GatewayPool: Sendable {
    public struct Settings: Sendable, Hashable {
        public var window: Int
        public var errorThreshold: Double
        public var minimumCalls: Int
        public var coolDown: Double
        public init(window: Int = 20, errorThreshold: Double = 0.5, minimumCalls: Int = 4, coolDown: Double = 30) {
            self.window = max(1, window)
            self.errorThreshold = errorThreshold
            self.minimumCalls = max(1, minimumCalls)
            self.coolDown = coolDown
        }
    }

    public enum Health: String, Sendable, Hashable {
        case healthy, excluded, probation
    }

    struct Member: Sendable {
        let name: String
        let weight: Int
        var current = 0
        var recent: [Bool] = []
        var excludedUntil: Date?
        var probation = false
    }

    public let settings: Settings
    private var members: [Member]

    public init(_ gateways: [(name: String, weight: Int)], settings: Settings = Settings()) {
        precondition(!gateways.isEmpty, "a pool needs a gateway")
        members = gateways.map { Member(name: $0.name, weight: max(1, $0.weight)) }
        self.settings = settings
    }

    public var names: [String] { members.map(\.name) }

    public func health(_ index: Int, at now: Date) -> Health {
        let member = members[index]
        if let until = member.excludedUntil, until > now { return .excluded }
        return member.probation || member.excludedUntil != nil ? .probation : .healthy
    }

    /// The gateway for the next send, skipping `avoiding` (one that just failed this notice) when another can take it.
    public mutating func pick(at now: Date, avoiding: Int? = nil) -> Int {
        let open = members.indices.filter { health($0, at: now) != .excluded && $0 != avoiding }
        guard !open.isEmpty else {
            let others = members.indices.filter { $0 != avoiding }
            let candidates = others.isEmpty ? Array(members.indices) : others
            return candidates.min { (members[$0].excludedUntil ?? .distantPast) < (members[$1].excludedUntil ?? .distantPast) }!
        }
        var best = open[0]
        var total = 0
        for index in open {
            members[index].current += members[index].weight
            total += members[index].weight
            if members[index].current > members[best].current { best = index }
        }
        members[best].current -= total
        return best
    }

    /// Whether the call to gateway `index` worked (a refusal of the notice itself counts as working: the gateway answered).
    public mutating func record(_ index: Int, success: Bool, at now: Date) {
        var member = members[index]
        if member.excludedUntil != nil, member.excludedUntil! <= now {
            member.excludedUntil = nil
            member.probation = true
        }
        if member.probation {
            if success { member.probation = false } else { member.excludedUntil = now.addingTimeInterval(settings.coolDown) }
            member.recent = []
            members[index] = member
            return
        }
        member.recent.append(success)
        if member.recent.count > settings.window { member.recent.removeFirst(member.recent.count - settings.window) }
        let failures = member.recent.lazy.filter { !$0 }.count
        if member.recent.count >= settings.minimumCalls, Double(failures) / Double(member.recent.count) > settings.errorThreshold {
            member.excludedUntil = now.addingTimeInterval(settings.coolDown)
            member.recent = []
        }
        members[index] = member
    }
}
