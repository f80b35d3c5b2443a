import ChannelDelivery
import Foundation
import HTTPServer

/// Kannel's delivery-report call-back: the `dlr-url` the connector gives
/// Kannel, and what Kannel's GET to it means. Kannel fills `%d` (the DLR
/// type), `%T` (Unix time), `%F` (the SMSC's message id) and `%A` (the
/// SMSC's answer); the hub adds the notification id itself.
public enum KannelDeliveryReport {
    public static let path = "/callbacks/kannel"

    /// The dlr-url for one notice sent through the gateway named `gateway`.
    public static func callback(base: String, notificationId: UUID, gateway: String = "kannel") -> String {
        base + (base.contains("?") ? "&" : "?")
            + "id=\(notificationId.uuidString.lowercased())&gw=\(KannelConnector.encode(gateway))&type=%d&time=%T&ref=%F&answer=%A"
    }

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case missingId, badId, missingType, unknownType(String)
        public var description: String {
            switch self {
            case .missingId: "no id"
            case .badId: "id is not a notification id"
            case .missingType: "no type"
            case .unknownType(let type): "unknown DLR type \(type)"
            }
        }
    }

    /// Reads a call-back's query. Types: 1 delivered, 2 failed, 4 buffered, 8 SMSC accepted, 16 SMSC rejected.
    public static func parse(_ items: [(name: String, value: String)]) -> Result<DeliveryReport, Refusal> {
        func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
        guard let idText = value("id") else { return .failure(.missingId) }
        guard let id = UUID(uuidString: idText) else { return .failure(.badId) }
        guard let type = value("type"), !type.isEmpty else { return .failure(.missingType) }
        let outcome: DeliveryReport.Outcome
        switch type {
        case "1": outcome = .delivered
        case "2": outcome = .failed(code: "undelivered")
        case "16": outcome = .failed(code: "smsc_rejected")
        case "8": outcome = .accepted
        case "4": outcome = .pending
        default: return .failure(.unknownType(type))
        }
        // The reference names the gateway and the operator's id: gw1/b963e354-….
        let reference = value("ref").flatMap { $0.isEmpty ? nil : [value("gw"), $0].compactMap { $0 }.joined(separator: "/") }
        let at = value("time").flatMap(TimeInterval.init).map { Date(timeIntervalSince1970: $0) } ?? Date()
        return .success(DeliveryReport(notificationId: id, outcome: outcome, reference: reference, at: at))
    }
}

extension KannelDeliveryReport {
    /// The HTTP handler for `path`: 200 once the report is recorded (or is about a notice no longer awaited),
    /// 503 while no worker can record it (Kannel calls again, with smsbox's `http-request-retry`), 400 for a malformed call.
    public static func handler(_ inbox: DeliveryReportInbox) -> HTTPRouter.Handler {
        { request in
            switch parse(request.queryItems) {
            case .failure(let refusal):
                return .text("refused: \(refusal)\n", status: 400)
            case .success(let report):
                switch await inbox.receive(report) {
                case .recorded, .unknown: return .text("ok\n")
                case .notReady: return .text("not ready\n", status: 503)
                }
            }
        }
    }
}
