import Foundation
import HubRuntime
import Testing

@Suite("Operations endpoints over real HTTP (curl)")
struct OpsHTTPServiceTests {
    @Test("curl gets /metrics, /healthz and /readyz; readiness follows the stages")
    func endpoints() async throws {
        let metrics = MetricsRegistry()
        metrics.increment("hub_records_in_total", labels: ["stage": "relay"], help: "Records in.")
        let readiness = Readiness()
        readiness.register("relay")
        let service = OpsHTTPService(host: "127.0.0.1", port: 0, metrics: metrics, readiness: readiness)
        try service.bind()
        let shutdown = ShutdownSignal()
        let running = Task { try await service.run(shutdown: shutdown) }
        let base = "http://127.0.0.1:\(service.port)"

        let scrape = try await curl(base + "/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.body.contains("hub_records_in_total{stage=\"relay\"} 1"))
        #expect(try await curl(base + "/healthz").status == 200)
        let notReady = try await curl(base + "/readyz")
        #expect(notReady.status == 503)
        #expect(notReady.body.contains("relay"))
        readiness.markReady("relay")
        #expect(try await curl(base + "/readyz").status == 200)
        #expect(try await curl(base + "/nope").status == 404)

        shutdown.trigger()
        try await running.value
    }
}

/// Runs the real curl on a thread of its own: blocking a cooperative thread
/// would starve the server's handler tasks on a 2-core machine.
func curl(_ url: String) async throws -> (status: Int, body: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try curlBlocking(url) }) }.start()
    }
}

func curlBlocking(_ url: String) throws -> (status: Int, body: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10", url]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    let split = text.range(of: "\n", options: .backwards)!
    return (Int(text[split.upperBound...]) ?? -1, String(text[..<split.lowerBound]))
}
