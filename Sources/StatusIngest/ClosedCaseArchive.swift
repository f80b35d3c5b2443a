#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Topics

/// Where closed cases' full states wait, off the heap, for the rare event
/// that still concerns them (a late or repeated event, a reopening). Memory
/// keeps 12 bytes per closed case, besides its key; the states go to a file
/// that is unlinked as soon as it is opened, so it disappears with the
/// process however that ends. It is a cache: on start the service fills it
/// again from `status.current`.
public final class ClosedCaseArchive: @unchecked Sendable {
    /// Where one state lies in the file.
    public struct Slot: Sendable, Hashable {
        let offset: Int64
        let length: Int32
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let descriptor: Int32
    private var end: Int64 = 0
    /// States put since the last write to the file, the last of the `end` bytes: one `pwrite` per
    /// 64 KiB instead of one per closed case (a system call each, a third of all events).
    private var pending: [UInt8] = []
    private static let flushBytes = 64 * 1024
    /// The bytes already in the file.
    private var flushed: Int64 { end - Int64(pending.count) }
    /// Bytes written, superseded copies included.
    public var fileBytes: Int64 { end }

    /// Creates the archive's file in `directory` (the system's temporary directory by default).
    public init(directory: URL? = nil) throws(Failure) {
        let folder = directory ?? FileManager.default.temporaryDirectory
        let path = folder.appendingPathComponent("hub-closed-cases-\(UUID.random().lowercasedString)").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        unlink(path)
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    public func put(_ state: CaseState) throws(Failure) -> Slot {
        if pending.isEmpty { pending.reserveCapacity(Self.flushBytes + 4_096) }
        let bytes = JSONWriter.encode(state)
        pending.append(contentsOf: bytes)
        let slot = Slot(offset: end, length: Int32(bytes.count))
        end += Int64(slot.length)
        if pending.count >= Self.flushBytes { try flush() }
        return slot
    }

    /// Writes what was put since the last write.
    private func flush() throws(Failure) {
        guard !pending.isEmpty else { return }
        let written = pending.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(flushed)) }
        guard written == pending.count else { throw Failure(description: "closed-case archive write failed: \(String(cString: strerror(errno)))") }
        pending.removeAll(keepingCapacity: true)
    }

    public func get(_ slot: Slot) throws(Failure) -> CaseState {
        let bytes: [UInt8]
        if slot.offset >= flushed {
            // Still waiting to be written: a slot never straddles the boundary, since a write takes all that waits.
            let start = Int(slot.offset - flushed)
            bytes = Array(pending[start ..< start + Int(slot.length)])
        } else {
            var read = [UInt8](repeating: 0, count: Int(slot.length))
            let count = read.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(slot.offset)) }
            guard count == Int(slot.length) else { throw Failure(description: "closed-case archive read failed: \(String(cString: strerror(errno)))") }
            bytes = read
        }
        do {
            return try RecordJSON.decode(CaseState.self, from: Data(bytes))
        } catch {
            throw Failure(description: "closed-case archive holds an unreadable state: \(error)")
        }
    }
}
