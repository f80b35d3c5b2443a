import Foundation
import Testing
@testable import Topics

/// Shared fixtures for the Topics tests.
enum TestSupport {
    /// Package root: this file lives at Tests/TopicsTests/TestSupport.swift.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    static let schemasDirectory = packageRoot.appendingPathComponent("Topics/schemas", isDirectory: true)

    static func jsonObject(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func data(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    static func exampleJSON() throws -> [String: Any] {
        try jsonObject(TopicValueCodec.encode(StatusEvent.example))
    }

    /// Returns `object` with the value at `path` replaced (or removed when `value` is nil).
    static func replacing(_ path: [String], in object: [String: Any], with value: Any?) -> [String: Any] {
        var copy = object
        guard let head = path.first else { return copy }
        if path.count == 1 {
            copy[head] = value
        } else {
            copy[head] = replacing(Array(path.dropFirst()), in: copy[head] as? [String: Any] ?? [:], with: value)
        }
        return copy
    }

    /// Parses a JSON fragment such as `"text"`, `42` or `null`.
    static func fragment(_ json: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
    }

    static func jsonPath(_ path: [String]) -> String {
        "$" + path.map { "." + $0 }.joined()
    }

    /// Decodes and returns the violation, or nil when decoding succeeded.
    static func decodeViolation(_ object: [String: Any], version: Int = 1) throws -> SchemaViolation? {
        let bytes = try data(object)
        do {
            _ = try TopicValueCodec.decode(StatusEvent.self, from: bytes, version: version)
            return nil
        } catch {
            return error
        }
    }
}
