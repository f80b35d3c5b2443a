import CCurl
import ChannelDelivery
import Foundation
import GatewayHTTP
import Topics

/// Sends e-mail notices through an SMTP relay with libcurl: STARTTLS when
/// the relay offers it (or required, `requireTLS`), AUTH when a user is
/// given. Each connection keeps its session with the relay between
/// messages. SMTP cannot say later what became of a message, so a send cut
/// off by a crash is not repeated (the worker reports `ambiguous_send`); the
/// `Message-ID` carries the notification id.
public struct SMTPConnector: ChannelConnector {
    public struct Settings: Sendable {
        /// `smtp://host:port` (STARTTLS) or `smtps://host:port` (TLS from the start).
        public var url: String
        public var from: String
        public var user: String?
        public var password: String?
        public var requireTLS = false
        /// A CA file to verify the relay's certificate with (a private CA); nil uses the system's.
        public var caFile: String?
        /// Right side of `Message-ID`.
        public var domain = "hub.gov.lv"
        public var timeoutSeconds = 30
        public init(url: String, from: String) {
            self.url = url
            self.from = from
        }
    }

    public let channel = NotifyChannel.email
    public let canConfirm = false
    public let settings: Settings
    private let threads: BlockingThreads<CurlHandle>

    /// `connections`: messages handed to the relay at once (the worker's `channel.inflight`).
    public init(settings: Settings, connections: Int = 8) {
        _ = LibCurl.ready
        self.settings = settings
        // Each thread keeps its handle, and with it its session with the relay (STARTTLS and AUTH once, not per message);
        // a thread idle for 30 s ends and its handle says QUIT.
        threads = BlockingThreads(count: connections, name: "smtp", make: CurlHandle.make, release: CurlHandle.release)
    }

    public func send(_ notice: Notice) async -> GatewayOutcome {
        guard let recipient = notice.to.first else { return .permanent(code: "no_address", message: "the notice has no e-mail address") }
        let message = MailMessage(from: settings.from, to: recipient, subject: notice.subject ?? "", body: notice.body,
                                  notificationId: notice.notificationId, domain: settings.domain)
        let settings = self.settings
        // libcurl blocks: off the cooperative pool.
        return await threads.run { handle in
            guard let curl = handle.pointer else { return .temporary(code: "curl_init", message: "libcurl could not start a transfer") }
            return Self.transfer(message, settings: settings, curl: curl)
        }
    }

    public func status(of notificationId: UUID) async -> GatewayOutcome? { nil }

    /// The bytes libcurl reads from, with the read position.
    private final class Upload {
        let bytes: [UInt8]
        var position = 0
        init(_ text: String) { bytes = Array(text.utf8) }
    }

    private static func transfer(_ message: MailMessage, settings: Settings, curl: UnsafeMutableRawPointer) -> GatewayOutcome {
        curl_easy_reset(curl)  // keeps the connection
        let upload = Upload(message.rendered)
        var recipients: UnsafeMutablePointer<curl_slist>? = nil
        recipients = curl_slist_append(recipients, "<\(message.to)>")
        defer { curl_slist_free_all(recipients) }
        _ = hub_curl_set_string(curl, CURLOPT_URL, settings.url)
        _ = hub_curl_set_string(curl, CURLOPT_MAIL_FROM, "<\(settings.from)>")
        _ = hub_curl_set_list(curl, CURLOPT_MAIL_RCPT, recipients)
        _ = hub_curl_set_long(curl, CURLOPT_UPLOAD, 1)
        _ = hub_curl_set_long(curl, CURLOPT_TIMEOUT, settings.timeoutSeconds)
        _ = hub_curl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        _ = hub_curl_set_long(curl, CURLOPT_USE_SSL, Int(settings.requireTLS ? CURLUSESSL_ALL.rawValue : CURLUSESSL_TRY.rawValue))
        if let caFile = settings.caFile { _ = hub_curl_set_string(curl, CURLOPT_CAINFO, caFile) }
        if let user = settings.user {
            _ = hub_curl_set_string(curl, CURLOPT_USERNAME, user)
            _ = hub_curl_set_string(curl, CURLOPT_PASSWORD, settings.password ?? "")
            // PLAIN in one exchange (only ever over TLS here): a refusal answers at once.
            _ = hub_curl_set_string(curl, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN")
        }
        let context = Unmanaged.passRetained(upload)
        defer { context.release() }
        _ = hub_curl_set_pointer(curl, CURLOPT_READDATA, context.toOpaque())
        _ = hub_curl_set_read_function(curl) { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            let upload = Unmanaged<Upload>.fromOpaque(userdata).takeUnretainedValue()
            let room = size * count
            let length = min(room, upload.bytes.count - upload.position)
            guard length > 0 else { return 0 }
            upload.bytes.withUnsafeBufferPointer { source in
                UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + upload.position, byteCount: length)
            }
            upload.position += length
            return length
        }
        let result = curl_easy_perform(curl)
        var code = 0
        _ = hub_curl_response_code(curl, &code)
        // A relay cannot say later what became of a message: its acceptance is the delivery the hub can know of.
        if result == CURLE_OK { return .delivered(reference: message.messageId, at: Date()) }
        let text = String(cString: curl_easy_strerror(result))
        // SMTP: 4xx is "try again later", 5xx is a refusal; no answer at all is temporary.
        switch code {
        case 500 ..< 600: return .permanent(code: "smtp_\(code)", message: "the relay refused the message: \(text)")
        case 400 ..< 500: return .temporary(code: "smtp_\(code)", message: "the relay deferred the message: \(text)")
        default:
            if result == CURLE_LOGIN_DENIED { return .permanent(code: "smtp_auth", message: "the relay refused the login") }
            if result == CURLE_USE_SSL_FAILED { return .permanent(code: "smtp_no_tls", message: "the relay does not offer STARTTLS, which is required") }
            return .temporary(code: "curl_\(result.rawValue)", message: text)
        }
    }
}
