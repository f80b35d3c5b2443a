import Foundation

extension HTTPResponse {
    /// Fields the server derives from the connection state; a handler's copy would lie about framing.
    private static let serverOwnedFields = ["Content-Length", "Transfer-Encoding", "Connection"]

    /// True if the handler asked for the connection to end after this response.
    var requestsClose: Bool { headers.containsToken("close", inField: "Connection") }

    /// Serialises head and (unless `headOnly`) body into one buffer so it goes out in as few segments as possible.
    /// - Parameters:
    ///   - headOnly: HEAD request: announce the length but send no body.
    ///   - close: the server will close after this response.
    ///   - keepAlive: an HTTP/1.0 client asked for keep-alive and needs it confirmed explicitly.
    func wireBytes(headOnly: Bool, close: Bool, keepAlive: Bool = false) -> [UInt8] {
        // A handler returning 1xx or a nonsense code would break the exchange; turn it into a server error.
        guard (200...599).contains(status) else {
            return HTTPResponse.text("Handler returned invalid status \(status)\n", status: 500)
                .wireBytes(headOnly: headOnly, close: close, keepAlive: keepAlive)
        }
        // 204 and 304 never carry content (RFC 9110 §8.6), so neither a body nor a Content-Length is sent.
        let hasContent = status != 204 && status != 304
        let safeReason = reason.utf8.allSatisfy { ASCII.isFieldValueChar($0) } ? reason : Self.reasonPhrase(for: status)

        var head = "HTTP/1.1 \(status) \(safeReason)\r\n"
        var hasDate = false
        for (name, value) in headers {
            // Invalid names or values (CR/LF...) are dropped rather than sent: they would allow response splitting.
            guard !name.isEmpty, name.utf8.allSatisfy(ASCII.isTokenChar),
                  value.utf8.allSatisfy(ASCII.isFieldValueChar),
                  !Self.serverOwnedFields.contains(where: { name.equalsIgnoringASCIICase($0) }) else { continue }
            head += "\(name): \(value)\r\n"
            hasDate = hasDate || name.equalsIgnoringASCIICase("Date")
        }
        if hasContent { head += "Content-Length: \(body.count)\r\n" }
        if !hasDate { head += "Date: \(HTTPDate.now())\r\n" }
        if close {
            head += "Connection: close\r\n"
        } else if keepAlive {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"

        var bytes = Array(head.utf8)
        if hasContent && !headOnly { bytes.append(contentsOf: body) }
        return bytes
    }
}
