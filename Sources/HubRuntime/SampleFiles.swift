import Foundation

/// Files shipped with the hub (`Topics/samples/...`), found from the working directory up.
public enum SampleFiles {
    public static func find(_ name: String, from start: String = FileManager.default.currentDirectoryPath) -> URL? {
        var directory = URL(fileURLWithPath: start)
        while true {
            let candidate = directory.appendingPathComponent("Topics/samples/\(name)")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { return nil }
            directory = parent
        }
    }
}
