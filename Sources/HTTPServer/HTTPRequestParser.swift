import Foundation

/// Incremental HTTP/1.1 request parser with no I/O, so every strictness rule can be unit-tested
/// without sockets. Feed bytes with `append`, then call `next()` until it says `.needMore`.
/// After a `.failure` the parser stays failed: the connection must answer and close, because the
/// framing of anything that follows can no longer be trusted.
public struct HTTPRequestParser: Sendable {
    /// Where the parser is, so the connection can pick the right deadline (idle, head or body timeout).
    public enum Phase: Sendable, Equatable {
        /// Nothing of the next request has arrived yet.
        case idle
        /// Part of a request head is buffered.
        case head
        /// The head is complete and its body is still arriving.
        case body
    }

    /// Result of one `next()` call.
    public enum Outcome: Sendable, Equatable {
        /// The buffer does not yet hold a complete request.
        case needMore
        /// One complete request; call `next()` again for pipelined followers.
        case request(HTTPRequest)
        /// The request is unacceptable; answer with `status` and close the connection.
        case failure(status: Int, reason: String)
    }

    /// Limit for request line plus header section (and chunked trailers), answered with 431.
    public let maxHeaderBytes: Int
    /// Limit for the decoded body, answered with 413 before the body is read when Content-Length says so.
    public let maxBodyBytes: Int

    /// True while waiting for the body of a request that sent `Expect: 100-continue`; the
    /// connection should send `100 Continue` once so the client starts sending.
    public private(set) var expectsContinue = false

    private enum Stage: Sendable {
        case head
        case fixedBody(length: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
    }

    private struct Failure: Error {
        let status: Int
        let reason: String
        init(_ status: Int, _ reason: String) {
            self.status = status
            self.reason = reason
        }
    }

    /// A chunk-size line longer than this is an attack, not a chunk extension anybody uses.
    private static let maxChunkLineBytes = 1024

    private var buffer: [UInt8] = []
    private var start = 0          // first byte not yet consumed
    private var stage = Stage.head
    private var failed: Outcome?

    // Head scanning state; indices into `buffer`, which is only compacted between requests.
    private var scan = 0
    private var lineStart = 0
    private var lines: [Range<Int>] = []

    // Body state.
    private var pending: HTTPRequest?
    private var chunkedBody: [UInt8] = []
    private var trailerBudget = 0

    /// Limits default to the server configuration defaults (8 KiB head, 1 MiB body).
    public init(maxHeaderBytes: Int = 8 * 1024, maxBodyBytes: Int = 1024 * 1024) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// Which deadline applies now; see `Phase`.
    public var phase: Phase {
        if case .head = stage { return buffer.count > start ? .head : .idle }
        return .body
    }

    /// Adds received bytes. Consumed body bytes are dropped first so a chunked upload does not keep
    /// its framing overhead in memory (head ranges stay valid because nothing is dropped mid-head).
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if case .head = stage {} else if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Parses as far as the buffered bytes allow.
    public mutating func next() -> Outcome {
        if let failed { return failed }
        do throws(Failure) {
            return try advance()
        } catch {
            let outcome = Outcome.failure(status: error.status, reason: error.reason)
            failed = outcome
            return outcome
        }
    }

    // MARK: - State machine

    private mutating func advance() throws(Failure) -> Outcome {
        while true {
            switch stage {
            case .head:
                guard let headEnd = try scanHead() else { return .needMore }
                if let request = try beginRequest(headEnd: headEnd) { return request }

            case .fixedBody(let length):
                guard buffer.count - start >= length else { return .needMore }
                var request = pending!
                request.body = Data(buffer[start..<(start + length)])
                start += length
                return finish(request)

            case .chunkSize:
                guard let line = try takeLine(limit: Self.maxChunkLineBytes, overLimit: Failure(400, "chunk size line too long")) else {
                    return .needMore
                }
                let size = try parseChunkSize(line)
                if size == 0 {
                    stage = .trailers
                } else {
                    guard size <= maxBodyBytes - chunkedBody.count else {
                        throw Failure(413, "chunked body exceeds \(maxBodyBytes) bytes")
                    }
                    stage = .chunkData(remaining: size)
                }

            case .chunkData(let remaining):
                let available = min(buffer.count - start, remaining)
                guard available > 0 else { return .needMore }
                chunkedBody.append(contentsOf: buffer[start..<(start + available)])
                start += available
                stage = available == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - available)

            case .chunkDataEnd:
                guard buffer.count - start >= 2 else { return .needMore }
                guard buffer[start] == ASCII.cr, buffer[start + 1] == ASCII.lf else {
                    throw Failure(400, "chunk data not followed by CRLF")
                }
                start += 2
                stage = .chunkSize

            case .trailers:
                // Trailer fields are skipped (nothing here needs them) but share the head's byte budget.
                let overLimit = Failure(431, "request head and trailers exceed \(maxHeaderBytes) bytes")
                guard let line = try takeLine(limit: trailerBudget, overLimit: overLimit) else { return .needMore }
                trailerBudget -= line.count + 2
                if line.isEmpty {
                    var request = pending!
                    request.body = Data(chunkedBody)
                    return finish(request)
                }
                if ASCII.isWhitespace(buffer[line.lowerBound]) { throw Failure(400, "obsolete line folding in trailer") }
            }
        }
    }

    private mutating func finish(_ request: HTTPRequest) -> Outcome {
        buffer.removeSubrange(0..<start)
        start = 0
        scan = 0
        lineStart = 0
        lines.removeAll(keepingCapacity: true)
        stage = .head
        pending = nil
        chunkedBody = []
        expectsContinue = false
        return .request(request)
    }

    // MARK: - Head

    /// Finds the end of the head, enforcing CRLF line endings and the size limit as bytes arrive.
    private mutating func scanHead() throws(Failure) -> Int? {
        while scan < buffer.count {
            guard scan - start < maxHeaderBytes else {
                throw Failure(431, "request head exceeds \(maxHeaderBytes) bytes")
            }
            defer { scan += 1 }
            guard buffer[scan] == ASCII.lf else { continue }
            // A bare LF is read differently by different parsers, the raw material of request smuggling.
            guard scan > lineStart, buffer[scan - 1] == ASCII.cr else { throw Failure(400, "bare LF in request head") }
            let line = lineStart..<(scan - 1)
            lineStart = scan + 1
            if line.isEmpty {
                // RFC 9112 §2.2: empty lines before the request line are ignored (some clients add CRLF after a body).
                if lines.isEmpty { continue }
                return scan + 1
            }
            lines.append(line)
        }
        return nil
    }

    /// Validates the head, decides the body framing, and returns the request if it has no body.
    private mutating func beginRequest(headEnd: Int) throws(Failure) -> Outcome? {
        let (method, target, version) = try parseRequestLine(lines[0])
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            let (name, value) = try parseFieldLine(line)
            headers.add(name: name, value: value)
        }

        let hosts = headers.values(for: "Host")
        if hosts.count > 1 { throw Failure(400, "multiple Host fields") }
        if version == "HTTP/1.1" && hosts.isEmpty { throw Failure(400, "missing Host field") }

        let request = HTTPRequest(method: method, target: target, version: version, headers: headers)
        let chunked: Bool
        var length = 0
        let transferEncodings = headers.values(for: "Transfer-Encoding")
        let contentLengths = headers.values(for: "Content-Length")
        if !transferEncodings.isEmpty {
            // Both framings at once is the classic smuggling vector (RFC 9112 §6.3).
            if !contentLengths.isEmpty { throw Failure(400, "both Content-Length and Transfer-Encoding") }
            if version == "HTTP/1.0" { throw Failure(400, "Transfer-Encoding in an HTTP/1.0 request") }
            let codings = transferEncodings.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .map { $0.trimmingOWS().lowercased() }
            if codings.contains(where: { !$0.isEmpty && $0 != "chunked" }) {
                throw Failure(501, "unsupported transfer coding")
            }
            guard codings == ["chunked"] else { throw Failure(400, "invalid Transfer-Encoding") }
            chunked = true
        } else {
            chunked = false
            if !contentLengths.isEmpty { length = try parseContentLength(contentLengths) }
        }
        if length > maxBodyBytes { throw Failure(413, "body of \(length) bytes exceeds \(maxBodyBytes)") }

        var wantsContinue = false
        let expectations = headers.values(for: "Expect")
        // HTTP/1.0 peers cannot know about Expect, so RFC 9110 §10.1.1 says to ignore it there.
        if !expectations.isEmpty && version == "HTTP/1.1" {
            guard expectations.count == 1, expectations[0].trimmingOWS().equalsIgnoringASCIICase("100-continue") else {
                throw Failure(417, "unsupported expectation")
            }
            wantsContinue = true
        }

        start = headEnd
        if !chunked && length == 0 { return finish(request) }
        pending = request
        expectsContinue = wantsContinue
        if chunked {
            stage = .chunkSize
            // The head starts at index 0 (the buffer is compacted between requests), so headEnd is its size.
            trailerBudget = maxHeaderBytes - headEnd
        } else {
            stage = .fixedBody(length: length)
        }
        return nil
    }

    private func parseRequestLine(_ line: Range<Int>) throws(Failure) -> (String, String, String) {
        let bytes = buffer[line]
        guard let firstSpace = bytes.firstIndex(of: ASCII.space),
              let secondSpace = bytes[(firstSpace + 1)...].firstIndex(of: ASCII.space) else {
            throw Failure(400, "malformed request line")
        }
        let method = bytes[..<firstSpace]
        let target = bytes[(firstSpace + 1)..<secondSpace]
        let version = bytes[(secondSpace + 1)...]

        guard !method.isEmpty, method.allSatisfy(ASCII.isTokenChar) else { throw Failure(400, "invalid method") }
        // Visible ASCII only; '#' starts a fragment, which never belongs in a request-target.
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") }) else {
            throw Failure(400, "invalid request target")
        }
        let versionBytes = Array(version)
        guard versionBytes.count == 8, versionBytes.starts(with: Array("HTTP/".utf8)),
              ASCII.isDigit(versionBytes[5]), versionBytes[6] == UInt8(ascii: "."), ASCII.isDigit(versionBytes[7]) else {
            throw Failure(400, "malformed HTTP version")
        }
        let versionString = String(decoding: versionBytes, as: UTF8.self)
        guard versionString == "HTTP/1.1" || versionString == "HTTP/1.0" else {
            throw Failure(505, "unsupported HTTP version \(versionString)")
        }

        let methodString = String(decoding: method, as: UTF8.self)
        let targetString = String(decoding: target, as: UTF8.self)
        let isOriginForm = targetString.hasPrefix("/")
        let isAsterisk = targetString == "*" && methodString == "OPTIONS"
        let lower = targetString.lowercased()
        let isAbsolute = lower.hasPrefix("http://") || lower.hasPrefix("https://")
        guard isOriginForm || isAsterisk || isAbsolute else { throw Failure(400, "invalid request target") }
        return (methodString, targetString, versionString)
    }

    private func parseFieldLine(_ line: Range<Int>) throws(Failure) -> (String, String) {
        let bytes = buffer[line]
        // obs-fold (a continuation line) must be rejected or replaced; rejecting is the strict choice.
        if ASCII.isWhitespace(bytes[bytes.startIndex]) { throw Failure(400, "obsolete line folding") }
        guard let colon = bytes.firstIndex(of: ASCII.colon) else { throw Failure(400, "header line without colon") }
        let name = bytes[..<colon]
        // This also rejects whitespace before the colon, which RFC 9112 §5.1 requires.
        guard !name.isEmpty, name.allSatisfy(ASCII.isTokenChar) else { throw Failure(400, "invalid header name") }
        var value = bytes[(colon + 1)...]
        while let first = value.first, ASCII.isWhitespace(first) { value = value.dropFirst() }
        while let last = value.last, ASCII.isWhitespace(last) { value = value.dropLast() }
        guard value.allSatisfy(ASCII.isFieldValueChar) else { throw Failure(400, "invalid header value") }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// Accepts repeated or list-form Content-Length only when all values agree (RFC 9112 §6.3 item 5).
    private func parseContentLength(_ fields: [String]) throws(Failure) -> Int {
        var result: Int?
        for element in fields.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let digits = element.trimmingOWS()
            guard !digits.isEmpty, digits.utf8.allSatisfy(ASCII.isDigit) else { throw Failure(400, "invalid Content-Length") }
            // Saturate instead of overflowing: a huge but well-formed length is simply too large (413).
            var value = 0
            for digit in digits.utf8 {
                let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = shifted.addingReportingOverflow(Int(digit - UInt8(ascii: "0")))
                value = overflow1 || overflow2 ? Int.max : sum
            }
            if let result, result != value { throw Failure(400, "conflicting Content-Length values") }
            result = value
        }
        return result ?? 0
    }

    // MARK: - Chunked

    /// Takes one CRLF-terminated line (at most `limit` bytes including CRLF) from the unconsumed input.
    private mutating func takeLine(limit: Int, overLimit: Failure) throws(Failure) -> Range<Int>? {
        let searchEnd = min(buffer.count, start + max(limit, 0))
        guard let lf = buffer[start..<searchEnd].firstIndex(of: ASCII.lf) else {
            // Even the shortest line (a bare CRLF) needs bytes, so an empty buffer is never over the limit.
            if buffer.count > start && buffer.count - start >= limit { throw overLimit }
            return nil
        }
        guard lf > start, buffer[lf - 1] == ASCII.cr else { throw Failure(400, "bare LF in chunked framing") }
        let line = start..<(lf - 1)
        start = lf + 1
        return line
    }

    /// chunk-size [ BWS ";" extensions ]; extensions are ignored but must not hide control bytes.
    private func parseChunkSize(_ line: Range<Int>) throws(Failure) -> Int {
        var index = line.lowerBound
        var size = 0
        while index < line.upperBound, let digit = ASCII.hexValue(buffer[index]) {
            guard size <= (Int.max - 15) / 16 else { throw Failure(413, "chunk size too large") }
            size = size * 16 + digit
            index += 1
        }
        guard index > line.lowerBound else { throw Failure(400, "invalid chunk size") }
        while index < line.upperBound, ASCII.isWhitespace(buffer[index]) { index += 1 }
        guard index == line.upperBound || buffer[index] == ASCII.semicolon,
              buffer[index..<line.upperBound].allSatisfy(ASCII.isFieldValueChar) else {
            throw Failure(400, "invalid chunk size line")
        }
        return size
    }
}
