import Foundation
import Testing
@testable import Topics

@Suite("Committed schema files match the Swift definitions")
struct SchemaDriftTests {
    static let regenerateHint =
        "Regenerate with `REGENERATE_SCHEMAS=1 swift test --filter SchemaDriftTests` and commit Topics/schemas/."

    /// With REGENERATE_SCHEMAS=1, rewrites Topics/schemas/ once (removing stale files) before any check runs.
    static let regeneration: Void = {
        guard ProcessInfo.processInfo.environment["REGENERATE_SCHEMAS"] == "1" else { return }
        let directory = TestSupport.schemasDirectory
        let existing = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for file in existing where file.hasSuffix(".json") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(file))
        }
        try? SchemaCatalog.write(to: directory)
    }()

    @Test("Schema file equals rendered() byte for byte", arguments: SchemaCatalog.all.map(\.0))
    func fileMatchesRendering(reference: SchemaReference) throws {
        Self.regeneration
        let schema = try #require(SchemaCatalog.all.first { $0.0 == reference }?.1)
        let file = TestSupport.schemasDirectory.appendingPathComponent(reference.fileName)
        let committed = FileManager.default.contents(atPath: file.path)
        #expect(committed != nil, "Missing \(file.path). \(Self.regenerateHint)")
        #expect(committed == schema.rendered(), "\(reference.fileName) is out of date. \(Self.regenerateHint)")
    }

    @Test("No stale schema files without a catalog entry")
    func noStaleFiles() throws {
        Self.regeneration
        let files = try FileManager.default.contentsOfDirectory(atPath: TestSupport.schemasDirectory.path)
            .filter { $0.hasSuffix(".json") }
        #expect(Set(files) == Set(SchemaCatalog.all.map(\.0.fileName)),
                "Topics/schemas/ must hold exactly the catalog's files. \(Self.regenerateHint)")
    }

    @Test("Catalog has unique references, each matching its schema's $id")
    func catalogIsConsistent() {
        let references = SchemaCatalog.all.map(\.0)
        #expect(Set(references).count == references.count)
        for (reference, schema) in SchemaCatalog.all {
            #expect(schema.reference == reference)
        }
    }

    @Test("write(to:) produces the rendered files")
    func writeProducesFiles() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("hub-topics-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try SchemaCatalog.write(to: directory)
        for (reference, schema) in SchemaCatalog.all {
            let written = FileManager.default.contents(atPath: directory.appendingPathComponent(reference.fileName).path)
            #expect(written == schema.rendered())
        }
    }
}
