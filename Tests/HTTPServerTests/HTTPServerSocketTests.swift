import Foundation
import Synchronization
import HTTPServer
import Testing

/// Starts a server, runs `body`, and always shuts the server down (off the cooperative pool).
private func withServer<T>(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
                           _ body: (HTTPServer) async throws -> T) async throws -> T {
    let server = try startServer(configuration)
    do {
        let result = try await body(server)
        _ = try? await onThread { server.shutdown() }
        return result
    } catch {
        _ = try? await onThread { server.shutdown() }
        throw error
    }
}

/// Error responses must be complete and must announce the close (RFC 9112 §9.6).
private func expectClosing(_ response: RawResponse, status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status == status, sourceLocation: sourceLocation)
    #expect(response.headers["connection"] == "close", sourceLocation: sourceLocation)
    #expect(response.headers["content-length"] == String(response.body.count), sourceLocation: sourceLocation)
    #expect(response.headers["date"]?.hasSuffix(" GMT") == true, sourceLocation: sourceLocation)
}

private let get = "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n"

@Suite("HTTPServer over sockets")
struct HTTPServerSocketTests {
    @Test func startBindsAnEphemeralPortOnlyOnce() throws {
        let server = try startServer()
        defer { server.shutdown() }  // idle server: returns at once, safe on the pool
        #expect(server.port > 0)
        #expect(throws: HTTPServerError.alreadyStarted) { try server.start() }
    }

    @Test func startReportsBadConfigurationAndBindFailures() throws {
        #expect(throws: HTTPServerError.invalidConfiguration("port 70000 out of range")) {
            try HTTPServer(configuration: HTTPServerConfiguration(port: 70000)) { _ in .text("") }.start()
        }
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(configuration: HTTPServerConfiguration(maxConnections: 0)) { _ in .text("") }.start()
        }
        let first = try startServer()
        defer { first.shutdown() }
        #expect(throws: HTTPServerError.socket(operation: "bind", errno: EADDRINUSE)) {
            try HTTPServer(configuration: HTTPServerConfiguration(port: first.port)) { _ in .text("") }.start()
        }
    }

    @Test func curlGetsBodyAndStatus() async throws {
        try await withServer { server in
            let base = "http://127.0.0.1:\(server.port)"
            let (hello, query, missing) = try await onThread {
                (try curl(["\(base)/hello"]), try curl(["\(base)/query?name=kafka%20hub"]), try curl(["\(base)/missing"]))
            }
            #expect(hello.status == 200)
            #expect(hello.body == "hello")
            #expect(query.body == "kafka hub")
            #expect(missing.status == 404)
        }
    }

    @Test func curlPostsBodies() async throws {
        try await withServer { server in
            let url = "http://127.0.0.1:\(server.port)/echo"
            let large = String(repeating: "0123456789", count: 500)  // curl sends Expect: 100-continue above 1 KiB
            let (small, big, chunked, wrongMethod) = try await onThread {
                (try curl(["--data-binary", "payload", url]),
                 try curl(["--data-binary", large, url]),
                 try curl(["-H", "Transfer-Encoding: chunked", "--data-binary", "chunked payload", url]),
                 try curl(["-X", "PUT", "--data-binary", "x", url]))
            }
            #expect(small.status == 200)
            #expect(small.body == "payload")
            #expect(big.status == 200)
            #expect(big.body == large)
            #expect(chunked.status == 200)
            #expect(chunked.body == "chunked payload")
            #expect(wrongMethod.status == 405)
        }
    }

    @Test func keepAliveServesTwoRequestsOnOneConnection() async throws {
        try await withServer { server in
            let (first, second) = try await onThread {
                let client = try RawClient(port: server.port)
                try client.send(get)
                let first = try client.readResponse()
                try client.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\n\r\nping")
                return (first, try client.readResponse())
            }
            #expect(first.status == 200)
            #expect(first.text == "hello")
            #expect(first.headers["connection"] == nil)
            #expect(first.headers["content-length"] == "5")
            #expect(first.headers["date"] != nil)
            #expect(second.status == 200)
            #expect(second.text == "ping")
        }
    }

    @Test func blockingRoutesAnswerOnTheConnectionThreadBesideAsyncOnes() async throws {
        var router = makeTestRouter()
        // Outside any task, on the connection's own (named) thread: no hop onto the cooperative pool.
        router.registerBlocking("GET", "/thread") { _ in .text((Thread.current.name ?? "?") + (withUnsafeCurrentTask { $0 == nil } ? " no task" : " in a task")) }
        let server = try startServer(router: router)
        defer { server.shutdown() }
        let (blocking, async) = try await onThread {
            let client = try RawClient(port: server.port)
            try client.send("GET /thread HTTP/1.1\r\nHost: t\r\n\r\n")
            let blocking = try client.readResponse()
            try client.send(get)
            return (blocking, try client.readResponse())
        }
        #expect(blocking.status == 200)
        #expect(blocking.text == "http-connection no task")
        #expect(async.text == "hello")
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer { server in
            let responses = try await onThread {
                let client = try RawClient(port: server.port)
                try client.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n" + get
                                + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nConnection: close\r\n\r\nend")
                let responses = try (0..<3).map { _ in try client.readResponse() }
                return (responses.map(\.text), responses.last?.headers["connection"], client.isClosedByPeer())
            }
            #expect(responses.0 == ["slow done", "hello", "end"])
            #expect(responses.1 == "close")
            #expect(responses.2)
        }
    }

    @Test func headSendsLengthWithoutBody() async throws {
        try await withServer { server in
            let (head, next) = try await onThread {
                let client = try RawClient(port: server.port)
                try client.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                let head = try client.readResponse(headOnly: true)
                // If body bytes had been sent, they would corrupt this second response.
                try client.send(get)
                return (head, try client.readResponse())
            }
            #expect(head.status == 200)
            #expect(head.headers["content-length"] == "5")
            #expect(next.status == 200)
            #expect(next.text == "hello")
        }
    }

    @Test func expectContinueGetsAnInterimResponse() async throws {
        try await withServer { server in
            let (interim, final) = try await onThread {
                let client = try RawClient(port: server.port)
                try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
                let interim = try client.readResponse()
                try client.send("body")
                return (interim, try client.readResponse())
            }
            #expect(interim.status == 100)
            #expect(final.status == 200)
            #expect(final.text == "body")
        }
    }

    @Test func connectionCloseAndHTTP10Semantics() async throws {
        try await withServer { server in
            let result = try await onThread {
                let closing = try RawClient(port: server.port)
                try closing.send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                let closeResponse = try closing.readResponse()
                let closedAfterClose = closing.isClosedByPeer()

                let legacy = try RawClient(port: server.port)
                try legacy.send("GET /hello HTTP/1.0\r\n\r\n")
                let legacyResponse = try legacy.readResponse()
                let closedAfterLegacy = legacy.isClosedByPeer()

                let legacyKeepAlive = try RawClient(port: server.port)
                try legacyKeepAlive.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let keptResponse = try legacyKeepAlive.readResponse()
                try legacyKeepAlive.send("GET /hello HTTP/1.0\r\n\r\n")
                let secondResponse = try legacyKeepAlive.readResponse()
                return (closeResponse, closedAfterClose, legacyResponse, closedAfterLegacy,
                        keptResponse, secondResponse, legacyKeepAlive.isClosedByPeer())
            }
            expectClosing(result.0, status: 200)
            #expect(result.1)
            expectClosing(result.2, status: 200)
            #expect(result.3)
            #expect(result.4.headers["connection"] == "keep-alive")
            expectClosing(result.5, status: 200)
            #expect(result.6)
        }
    }

    @Test func maxRequestsPerConnectionClosesTheConnection() async throws {
        try await withServer(HTTPServerConfiguration(maxRequestsPerConnection: 2)) { server in
            let (first, second, closed) = try await onThread {
                let client = try RawClient(port: server.port)
                try client.send(get + get)
                return (try client.readResponse(), try client.readResponse(), client.isClosedByPeer())
            }
            #expect(first.headers["connection"] == nil)
            expectClosing(second, status: 200)
            #expect(closed)
        }
    }

    @Test func malformedRequestGets400AndServerKeepsServing() async throws {
        try await withServer { server in
            let (bad, closed, good) = try await onThread {
                let broken = try RawClient(port: server.port)
                try broken.send("GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n")
                let bad = try broken.readResponse()
                let closed = broken.isClosedByPeer()
                let fine = try RawClient(port: server.port)
                try fine.send(get)
                return (bad, closed, try fine.readResponse())
            }
            expectClosing(bad, status: 400)
            #expect(bad.text.contains("invalid header name"))
            #expect(closed)
            #expect(good.status == 200)
            #expect(good.text == "hello")
        }
    }

    @Test func unsupportedVersionAndCodingGetTheirStatus() async throws {
        try await withServer { server in
            let (version, coding) = try await onThread {
                let first = try RawClient(port: server.port)
                try first.send("GET /hello HTTP/2.0\r\nHost: t\r\n\r\n")
                let second = try RawClient(port: server.port)
                try second.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: br\r\n\r\n")
                return (try first.readResponse(), try second.readResponse())
            }
            expectClosing(version, status: 505)
            expectClosing(coding, status: 501)
        }
    }

    @Test func oversizedHeadIs431() async throws {
        try await withServer(HTTPServerConfiguration(maxHeaderBytes: 1024)) { server in
            let (response, closed) = try await onThread {
                let client = try RawClient(port: server.port)
                try client.send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Filler: \(String(repeating: "f", count: 4000))\r\n\r\n")
                return (try client.readResponse(), client.isClosedByPeer())
            }
            expectClosing(response, status: 431)
            #expect(closed)
        }
    }

    @Test func oversizedBodyIs413WithoutReadingIt() async throws {
        try await withServer(HTTPServerConfiguration(maxBodyBytes: 1000)) { server in
            let (response, closed) = try await onThread {
                let client = try RawClient(port: server.port)
                // Only the head is sent: the 413 must come without waiting for the announced body.
                try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000\r\n\r\n")
                return (try client.readResponse(timeout: 3), client.isClosedByPeer())
            }
            expectClosing(response, status: 413)
            #expect(closed)
        }
    }

    @Test func slowHeadIsCutWith408WhileOthersAreServed() async throws {
        let configuration = HTTPServerConfiguration(headerTimeout: .milliseconds(500))
        try await withServer(configuration) { server in
            let result = try await onThread {
                let start = Date()
                let slow = try RawClient(port: server.port)
                try slow.send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Incompl")
                let other = try RawClient(port: server.port)
                try other.send(get)
                let otherResponse = try other.readResponse()
                let otherElapsed = Date().timeIntervalSince(start)
                let slowResponse = try slow.readResponse(timeout: 10)
                let slowElapsed = Date().timeIntervalSince(start)
                return (otherResponse, otherElapsed, slowResponse, slowElapsed, slow.isClosedByPeer())
            }
            #expect(result.0.status == 200)
            expectClosing(result.2, status: 408)
            #expect(result.1 < result.3, "the other client must not wait for the slow one")
            #expect(result.3 >= 0.45)
            #expect(result.3 < 5)
            #expect(result.4)
        }
    }

    @Test func slowBodyIsCutWith408() async throws {
        try await withServer(HTTPServerConfiguration(bodyTimeout: .milliseconds(500))) { server in
            let (response, elapsed) = try await onThread {
                let client = try RawClient(port: server.port)
                let start = Date()
                try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
                let response = try client.readResponse(timeout: 10)
                return (response, Date().timeIntervalSince(start))
            }
            expectClosing(response, status: 408)
            #expect(elapsed >= 0.45)
            #expect(elapsed < 5)
        }
    }

    @Test func idleKeepAliveConnectionIsClosedSilently() async throws {
        try await withServer(HTTPServerConfiguration(idleTimeout: .milliseconds(300))) { server in
            let (response, closed) = try await onThread {
                let client = try RawClient(port: server.port)
                try client.send(get)
                return (try client.readResponse(), client.isClosedByPeer(timeout: 5))
            }
            #expect(response.status == 200)
            #expect(closed)
        }
    }

    @Test func connectionsOverTheLimitAreRefusedAndTheServerRecovers() async throws {
        try await withServer(HTTPServerConfiguration(maxConnections: 2)) { server in
            let result = try await onThread {
                // Completing a request proves each holder is registered before the third connects.
                let holders = try (0..<2).map { _ in
                    let client = try RawClient(port: server.port)
                    try client.send(get)
                    _ = try client.readResponse()
                    return client
                }
                let extra = try RawClient(port: server.port)
                let extraStatus = try? extra.readResponse(timeout: 5)
                let extraClosed = extra.isClosedByPeer()
                for holder in holders { holder.shutdownNow() }

                var recovered = false
                for _ in 0..<50 where !recovered {
                    if let client = try? RawClient(port: server.port), (try? client.send(get)) != nil,
                       let response = try? client.readResponse(timeout: 2), response.status == 200 {
                        recovered = true
                    } else {
                        Thread.sleep(forTimeInterval: 0.1)
                    }
                }
                return (extraStatus, extraClosed, recovered)
            }
            // The extra client sent nothing, so nothing can provoke an RST: the 503 must arrive intact.
            let refusal = try #require(result.0)
            expectClosing(refusal, status: 503)
            #expect(refusal.headers["retry-after"] == "1")
            #expect(result.1)
            #expect(result.2)
        }
    }

    @Test func shutdownIsPromptWithAnIdleKeepAliveConnection() async throws {
        let server = try startServer()
        let (elapsed, closed, refused) = try await onThread {
            let client = try RawClient(port: server.port)
            try client.send(get)
            _ = try client.readResponse()
            let start = Date()
            server.shutdown()
            let elapsed = Date().timeIntervalSince(start)
            return (elapsed, client.isClosedByPeer(timeout: 2), (try? RawClient(port: server.port)) == nil)
        }
        #expect(elapsed < 1.5)
        #expect(closed)
        #expect(refused)
    }

    @Test func shutdownLetsAnInFlightRequestFinish() async throws {
        // A long grace period: shutdown must return when the handler is done, far sooner.
        let server = try startServer(HTTPServerConfiguration(shutdownTimeout: .seconds(30)))
        // One thread does the whole sequence, so a busy cooperative pool cannot delay
        // the shutdown until after the handler has finished.
        let (response, stoppedAfter) = try await onThread {
            let client = try RawClient(port: server.port)
            try client.send("GET /slower HTTP/1.1\r\nHost: t\r\n\r\n")
            Thread.sleep(forTimeInterval: 0.2)  // the handler is now sleeping
            let stopped = DispatchSemaphore(value: 0)
            let elapsed = Mutex(0.0)
            Thread {
                let start = Date()
                server.shutdown()
                elapsed.withLock { $0 = Date().timeIntervalSince(start) }
                stopped.signal()
            }.start()
            let response = try client.readResponse()
            stopped.wait()
            return (response, elapsed.withLock { $0 })
        }
        expectClosing(response, status: 200)
        #expect(response.text == "slow done")
        #expect(stoppedAfter < 20, "returned when the handler finished, not at the 30 s grace period")
    }

    @Test func shutdownCutsAHandlerThatNeverFinishes() async throws {
        var router = HTTPRouter()
        router.register("GET", "/hang") { _ in
            try? await Task.sleep(for: .seconds(60))
            return .text("too late")
        }
        let server = try startServer(HTTPServerConfiguration(shutdownTimeout: .milliseconds(300)), router: router)
        let (elapsed, closed) = try await onThread {
            let client = try RawClient(port: server.port)
            try client.send("GET /hang HTTP/1.1\r\nHost: t\r\n\r\n")
            Thread.sleep(forTimeInterval: 0.1)
            let start = Date()
            server.shutdown()
            return (Date().timeIntervalSince(start), client.isClosedByPeer(timeout: 2))
        }
        #expect(elapsed >= 0.25)
        #expect(elapsed < 3)
        #expect(closed)
    }
}
