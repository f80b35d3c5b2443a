/// A channel a notice can go out on. The e-address (e-adrese) is the
/// official, legally binding mailbox; the others are notices over
/// channels the state does not secure, which carry content only with the
/// client's consent.
public enum NotifyChannel: String, Codable, Sendable, Hashable, CaseIterable, Comparable {
    case eaddress
    case sms
    case email
    case push

    /// The topic a channel's worker reads (`notify.eaddress`, `notify.sms`, ...).
    public var topic: String {
        switch self {
        case .eaddress: HubTopics.notifyEAddress.name
        case .sms: HubTopics.notifySMS.name
        case .email: HubTopics.notifyEmail.name
        case .push: HubTopics.notifyPush.name
        }
    }

    /// Content may go here without asking: the e-address is the state's secure channel.
    public var isSecure: Bool { self == .eaddress }

    public static func < (lhs: NotifyChannel, rhs: NotifyChannel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
