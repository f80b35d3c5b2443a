#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Cryptographically secure random bytes for ids and trace contexts, drawn
/// from the kernel 4 KiB at a time. Swift's `SystemRandomNumberGenerator`
/// makes one system call per 8 bytes, which showed as several per cent
/// of the ingest hot path (an event id, a state id and a trace id per event).
/// Bytes are handed out once and then overwritten, never reused.
public final class RandomPool: @unchecked Sendable {
    public static let shared = RandomPool()

    private let lock = NSLock()
    private var block = [UInt8](repeating: 0, count: 4096)
    private var next: Int

    init() { next = block.count }

    /// `count` fresh bytes.
    public func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        lock.lock()
        defer { lock.unlock() }
        while out.count < count {
            if next == block.count { refill() }
            let take = min(count - out.count, block.count - next)
            out.append(contentsOf: block[next ..< next + take])
            // Scrub what was handed out, so the pool never holds a copy of an issued id.
            for index in next ..< next + take { block[index] = 0 }
            next += take
        }
        return out
    }

    /// The kernel's generator, opened once (Glibc's module does not export `getrandom`).
    private let urandom: Int32 = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    private func refill() {
        block.withUnsafeMutableBytes { buffer in
            var filled = 0
            while urandom >= 0 && filled < buffer.count {
                let got = read(urandom, buffer.baseAddress! + filled, buffer.count - filled)
                if got > 0 { filled += got } else if got < 0 && errno == EINTR { continue } else { break }
            }
            // No /dev/urandom (a sandbox without it): the standard library's generator, 8 bytes a call.
            var generator = SystemRandomNumberGenerator()
            while filled < buffer.count {
                withUnsafeBytes(of: generator.next() as UInt64) { word in
                    let take = min(word.count, buffer.count - filled)
                    buffer.baseAddress!.advanced(by: filled).copyMemory(from: word.baseAddress!, byteCount: take)
                    filled += take
                }
            }
        }
        next = 0
    }
}
