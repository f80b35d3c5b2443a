import Foundation
import LocalBroker
import Testing

@Suite("Free ports for local servers")
struct FreePortTests {
    @Test("below the kernel's ephemeral range, where outgoing connections cannot take them, and free")
    func belowEphemeralRange() throws {
        let range = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
        let start = try #require(range.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) })
        let ports = try (0 ..< 20).map { _ in try LocalBroker.freePort() }
        #expect(ports.allSatisfy { $0 >= 10_000 && $0 < start }, "\(ports)")
        #expect(ports.allSatisfy(LocalBroker.portIsFree))
    }
}
