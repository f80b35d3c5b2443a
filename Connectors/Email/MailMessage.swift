import Foundation

/// An RFC 5322 message with a UTF-8 subject (an RFC 2047 encoded word) and a
/// UTF-8 plain-text body (base64), as the e-mail connector sends it. The
/// `Message-ID` derives from the notification id, so a resent notice is
/// recognisably the same message.
public struct MailMessage: Sendable, Hashable {
    public var from: String
    public var to: String
    public var subject: String
    public var body: String
    public var messageId: String
    public var date: Date

    public init(from: String, to: String, subject: String, body: String, notificationId: UUID, domain: String, date: Date = Date()) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
        self.messageId = "<\(notificationId.uuidString.lowercased())@\(domain)>"
        self.date = date
    }

    /// The message as sent: CRLF line ends, base64 body in 76-character lines.
    public var rendered: String {
        let lines = [
            "From: \(from)",
            "To: \(to)",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: \(messageId)",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: base64",
            "",
        ] + Self.wrapped(Data(body.utf8).base64EncodedString(), width: 76)
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// ASCII text as it is; anything else as `=?UTF-8?B?…?=` words short enough for a header line.
    public static func encodedWord(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F }) && !text.contains("=?") { return text }
        // Split on characters so no word cuts a UTF-8 sequence; 39 bytes make 52 base64 characters,
        // which keeps "Subject: " and the first word within 78 characters.
        var words: [String] = []
        var chunk = ""
        for character in text {
            if chunk.utf8.count + String(character).utf8.count > 39 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func wrapped(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(width)))
            rest = rest.dropFirst(width)
        }
        return lines
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
