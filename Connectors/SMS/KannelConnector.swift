import ChannelDelivery
import Foundation
import GatewayHTTP
import Notifications
import Topics

/// Sends SMS through Kannel's smsbox HTTP interface (`/cgi-bin/sendsms`),
/// the gateway operators run in front of their SMSCs. Texts outside GSM-7
/// (Latvian diacritics) go as UCS-2 (`coding=2`, UTF-16BE bytes), and Kannel
/// splits long ones into concatenated parts (the `sendsms-user` needs
/// `concatenation = true` and `max-messages` at least the hub's segment cap).
/// Every send asks for delivery reports (`dlr-mask`) to `callbackURL` with the
/// notification id, which the hub's HTTP server turns into receipts
/// (`KannelDeliveryReport`). Kannel takes no idempotency key and cannot be
/// asked about a message later: the worker's `sending` receipt is what keeps
/// a notice from being sent twice.
public struct KannelConnector: ChannelConnector {
    public struct Settings: Sendable, Hashable {
        /// smsbox's sendsms URL, e.g. `http://127.0.0.1:13013/cgi-bin/sendsms`.
        public var sendURL: String
        public var username: String
        public var password: String
        /// The sender shown on the phone (an alphanumeric sender id, at most 11 characters).
        public var sender: String
        /// Where Kannel calls back with delivery reports (the hub's `/callbacks/kannel`); nil asks for none.
        public var callbackURL: String?
        /// Kannel's `dlr-mask`: 1 delivered, 2 failed, 4 buffered, 8 SMSC accepted, 16 SMSC rejected. The default, 19,
        /// asks for the final word only: with 8 included, Kannel 1.4.5 called back at about 100 reports/s here and its
        /// sends slowed to that pace (docs/connectors/sms.md).
        public var dlrMask: Int
        /// Kannel's `smsc` routing (which operator link); nil lets Kannel choose.
        public var smsc: String?
        public var timeout: Duration

        public init(sendURL: String, username: String, password: String, sender: String, callbackURL: String?, dlrMask: Int = 19,
                    smsc: String? = nil, timeout: Duration = .seconds(10)) {
            self.sendURL = sendURL
            self.username = username
            self.password = password
            self.sender = sender
            self.callbackURL = callbackURL
            self.dlrMask = dlrMask
            self.smsc = smsc
            self.timeout = timeout
        }
    }

    public let channel = NotifyChannel.sms
    public let canConfirm = false
    public var confirmsByCallback: Bool { settings.callbackURL != nil }
    public let settings: Settings
    /// Names this gateway in references (`kannel` unless given).
    public let name: String
    private let http: CurlHTTPClient

    /// `connections`: requests in flight at once (the worker's `inFlight`).
    public init(settings: Settings, name: String = "kannel", connections: Int = 8) {
        self.settings = settings
        self.name = name
        http = CurlHTTPClient(connections: connections, timeout: settings.timeout)
    }

    public func send(_ notice: Notice) async -> GatewayOutcome {
        guard let phone = notice.to.first, !phone.isEmpty else {
            return .permanent(code: "no_phone", message: "the notice names no phone number")
        }
        let url = settings.sendURL + (settings.sendURL.contains("?") ? "&" : "?") + query(for: notice, to: phone)
        switch await http.perform(.init(url: url)) {
        case .failure(.timedOut):
            return .temporary(code: "timeout", message: "Kannel did not answer within \(settings.timeout)")
        case .failure(let error):
            return .temporary(code: "unreachable", message: "no answer from Kannel: \(error)")
        case .success(let answer):
            let status = answer.status
            let text = String(answer.text.prefix(200)).trimmingCharacters(in: .whitespacesAndNewlines)
            switch status {
            case 200 ..< 300:
                // "0: Accepted for delivery" or "3: Queued for later delivery": the message is Kannel's now.
                return .accepted(reference: name)
            case 408, 429, 500 ..< 600:
                return .temporary(code: "http_\(status)", message: "Kannel answered \(status): \(text)")
            default:
                return .permanent(code: "http_\(status)", message: "Kannel refused the message (\(status)): \(text)")
            }
        }
    }

    public func status(of notificationId: UUID) async -> GatewayOutcome? { nil }

    /// The sendsms query: UCS-2 as UTF-16BE bytes where the text needs it, UTF-8 otherwise (Kannel maps it to GSM-7).
    func query(for notice: Notice, to phone: String) -> String {
        let text = SMSText(notice.body)
        var items: [(String, String)] = [("username", Self.encode(settings.username)), ("password", Self.encode(settings.password)),
                                         ("from", Self.encode(settings.sender)), ("to", Self.encode(phone))]
        if text.encoding == .ucs2 {
            items += [("coding", "2"), ("charset", "UTF-16BE"), ("text", Self.encode(bytes: Array(notice.body.utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }))]
        } else {
            items += [("coding", "0"), ("charset", "UTF-8"), ("text", Self.encode(notice.body))]
        }
        if let smsc = settings.smsc { items.append(("smsc", Self.encode(smsc))) }
        if let callback = settings.callbackURL {
            items.append(("dlr-mask", String(settings.dlrMask)))
            items.append(("dlr-url", Self.encode(KannelDeliveryReport.callback(base: callback, notificationId: notice.notificationId, gateway: name))))
        }
        return items.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    public static func encode(_ text: String) -> String { encode(bytes: Array(text.utf8)) }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    static func encode(bytes: [UInt8]) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "a") ... UInt8(ascii: "z"), UInt8(ascii: "0") ... UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
