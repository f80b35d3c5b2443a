import Foundation
import HTTPServer
import Testing

/// Feeds `text` in one piece and returns every outcome until the parser needs more or fails.
private func parseAll(_ text: String, maxHeaderBytes: Int = 8192, maxBodyBytes: Int = 1 << 20) -> [HTTPRequestParser.Outcome] {
    var parser = HTTPRequestParser(maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
    parser.append(Array(text.utf8))
    var outcomes: [HTTPRequestParser.Outcome] = []
    while true {
        let outcome = parser.next()
        outcomes.append(outcome)
        if case .request = outcome { continue }
        return outcomes
    }
}

private func singleRequest(_ text: String, maxBodyBytes: Int = 1 << 20) throws -> HTTPRequest {
    let outcomes = parseAll(text, maxBodyBytes: maxBodyBytes)
    guard outcomes.count == 2, case .request(let request) = outcomes[0], outcomes[1] == .needMore else {
        throw TestFailure("expected one request, got \(outcomes)")
    }
    return request
}

private func failureStatus(_ text: String, maxHeaderBytes: Int = 8192, maxBodyBytes: Int = 1 << 20) -> Int? {
    guard case .failure(let status, _) = parseAll(text, maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes).last else {
        return nil
    }
    return status
}

@Suite("HTTPRequestParser")
struct HTTPRequestParserTests {
    @Test func parsesSimpleGet() throws {
        let request = try singleRequest("GET /metrics?format=text&a=1+2&b=%2F HTTP/1.1\r\nHost: hub\r\nX-Id: 1\r\nx-id: 2\r\n\r\n")
        #expect(request.method == "GET")
        #expect(request.target == "/metrics?format=text&a=1+2&b=%2F")
        #expect(request.path == "/metrics")
        #expect(request.query == "format=text&a=1+2&b=%2F")
        #expect(request.queryValue("format") == "text")
        #expect(request.queryValue("a") == "1 2")
        #expect(request.queryValue("b") == "/")
        #expect(request.version == "HTTP/1.1")
        #expect(request.headers["host"] == "hub")
        #expect(request.headers.values(for: "X-ID") == ["1", "2"])
        #expect(request.headers.map(\.name) == ["Host", "X-Id", "x-id"])
        #expect(request.body.isEmpty)
    }

    @Test func parsesContentLengthBodyAndTrimsFieldWhitespace() throws {
        let request = try singleRequest("POST /ingest HTTP/1.1\r\nHost: hub\r\nContent-Length:  5 \r\n\r\nhello")
        #expect(request.body == Data("hello".utf8))
        #expect(request.headers["Content-Length"] == "5")
    }

    @Test func acceptsRepeatedIdenticalContentLength() throws {
        let request = try singleRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
        #expect(request.body == Data("abc".utf8))
    }

    @Test func decodesChunkedBodyIgnoringExtensionsAndTrailers() throws {
        let raw = "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n" + "7 \r\n, world\r\n" + "0\r\nX-Checksum: abc\r\n\r\n"
        let request = try singleRequest(raw)
        #expect(request.body == Data("hello, world".utf8))
    }

    @Test func handlesPipelinedRequestsInOrder() {
        let raw = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok"
            + "GET /c HTTP/1.1\r\nHost: h\r\n\r\nGET /partial HTT"
        let outcomes = parseAll(raw)
        let paths = outcomes.compactMap { outcome -> String? in
            if case .request(let request) = outcome { return request.path }
            return nil
        }
        #expect(paths == ["/a", "/b", "/c"])
        #expect(outcomes.last == .needMore)
    }

    @Test func byteByByteFeedingGivesTheSameRequestAndPhases() throws {
        let raw = Array("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".utf8)
        var parser = HTTPRequestParser()
        #expect(parser.phase == .idle)
        var result: HTTPRequest?
        var phases: [HTTPRequestParser.Phase] = []
        for byte in raw {
            parser.append([byte])
            switch parser.next() {
            case .needMore: phases.append(parser.phase)
            case .request(let request): result = request
            case .failure(let status, let reason): throw TestFailure("unexpected \(status) \(reason)")
            }
        }
        #expect(result?.body == Data("abc".utf8))
        #expect(phases.first == .head)
        #expect(phases.last == .body)
        #expect(parser.phase == .idle)
    }

    @Test func ignoresLeadingEmptyLinesAndAcceptsHTTP10WithoutHost() throws {
        let request = try singleRequest("\r\n\r\nGET / HTTP/1.0\r\n\r\n")
        #expect(request.version == "HTTP/1.0")
        #expect(request.path == "/")
    }

    @Test func acceptsAbsoluteFormTarget() throws {
        let request = try singleRequest("GET http://hub:8080/health?x=1 HTTP/1.1\r\nHost: hub:8080\r\n\r\n")
        #expect(request.path == "/health")
        #expect(request.query == "x=1")
    }

    @Test func reportsExpectContinueUntilTheBodyArrives() {
        var parser = HTTPRequestParser()
        parser.append(Array("PUT /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n".utf8))
        #expect(parser.next() == .needMore)
        #expect(parser.phase == .body)
        #expect(parser.expectsContinue)
        parser.append(Array("data".utf8))
        guard case .request(let request) = parser.next() else {
            Issue.record("expected request")
            return
        }
        #expect(request.body == Data("data".utf8))
        #expect(!parser.expectsContinue)
    }

    @Test func staysFailedAfterAnError() {
        var parser = HTTPRequestParser()
        parser.append(Array("BAD\r\n\r\n".utf8))
        #expect(parser.next() == .failure(status: 400, reason: "malformed request line"))
        parser.append(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        #expect(parser.next() == .failure(status: 400, reason: "malformed request line"))
    }

    @Test func rejectsOversizedHeadBeforeItCompletes() {
        var parser = HTTPRequestParser(maxHeaderBytes: 64)
        parser.append(Array("GET / HTTP/1.1\r\nHost: h\r\nX-Big: \(String(repeating: "a", count: 100))".utf8))
        guard case .failure(let status, _) = parser.next() else {
            Issue.record("expected failure")
            return
        }
        #expect(status == 431)
    }

    @Test func headOfExactlyTheLimitIsAccepted() throws {
        let head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
        var parser = HTTPRequestParser(maxHeaderBytes: head.utf8.count)
        parser.append(Array(head.utf8))
        guard case .request = parser.next() else { throw TestFailure("expected request") }
        var tight = HTTPRequestParser(maxHeaderBytes: head.utf8.count - 1)
        tight.append(Array(head.utf8))
        #expect(tight.next() == .failure(status: 431, reason: "request head exceeds \(head.utf8.count - 1) bytes"))
    }

    @Test func announcedBodyTooLargeFailsWithoutTheBody() {
        var parser = HTTPRequestParser(maxBodyBytes: 10)
        parser.append(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n".utf8))
        guard case .failure(let status, _) = parser.next() else {
            Issue.record("expected failure")
            return
        }
        #expect(status == 413)
    }

    static let malformed: [(String, String, Int)] = [
        ("missing version", "GET /\r\n\r\n", 400),
        ("double space", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("trailing space in request line", "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400),
        ("invalid method char", "G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("target without slash", "GET index.html HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("fragment in target", "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("non-ascii target", "GET /\u{e9} HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("asterisk without OPTIONS", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("lower-case version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400),
        ("malformed version", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400),
        ("bare LF line endings", "GET / HTTP/1.1\nHost: h\n\n", 400),
        ("bare LF after header", "GET / HTTP/1.1\r\nHost: h\n\r\n", 400),
        ("bare CR in header value", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n", 400),
        ("space in header name", "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400),
        ("space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),
        ("missing colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400),
        ("empty header name", "GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n", 400),
        ("invalid name char", "GET / HTTP/1.1\r\nHost: h\r\nX(y): z\r\n\r\n", 400),
        ("control char in value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{01}b\r\n\r\n", 400),
        ("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
        ("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("HTTP/0.9 style version", "GET / HTTP/0.9\r\n\r\n", 505),
        ("HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505),
        ("non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400),
        ("negative Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400),
        ("empty Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400),
        ("conflicting Content-Length fields", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        ("conflicting Content-Length list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\nab", 400),
        ("Content-Length and Transfer-Encoding",
         "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("huge Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
        ("gzip transfer coding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("gzip, chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("chunked twice", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        ("empty Transfer-Encoding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \r\n\r\n", 400),
        ("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("bad chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("chunk size with junk", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n", 400),
        ("missing CRLF after chunk", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400),
        ("bare LF in chunk line", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n", 400),
        ("unsupported expectation", "PUT / HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx", 417),
    ]

    @Test("malformed requests get the right status", arguments: malformed)
    func rejectsMalformed(_ name: String, _ raw: String, _ expected: Int) {
        #expect(failureStatus(raw) == expected, "\(name)")
    }

    @Test func chunkedBodyOverTheLimitIs413() {
        let raw = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n"
        #expect(failureStatus(raw, maxBodyBytes: 10) == 413)
    }

    @Test func trailersCountAgainstTheHeaderLimit() {
        let head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        let raw = head + "1\r\na\r\n0\r\nX-Trailer: \(String(repeating: "t", count: 40))\r\n\r\n"
        #expect(failureStatus(raw, maxHeaderBytes: head.utf8.count + 20) == 431)
        // The same message with room for the trailer parses fine.
        #expect(failureStatus(raw, maxHeaderBytes: head.utf8.count + 60) == nil)
    }
}
