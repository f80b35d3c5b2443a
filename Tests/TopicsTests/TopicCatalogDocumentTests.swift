import Foundation
import Testing
@testable import Topics

@Suite("Generated topic contracts and manifests")
struct TopicCatalogDocumentTests {
    static let agencies = ["VID", "VSAA", "PMLP", "CSDD", "RIGA"]

    /// `hub topics render` writes both files; they must match the declarations.
    @Test("docs/topics.md and the Strimzi manifests match the declarations")
    func renderedFilesAreCurrent() throws {
        let root = TestSupport.packageRoot
        if ProcessInfo.processInfo.environment["REGENERATE_TOPIC_DOCS"] == "1" {
            try TopicCatalogDocument.markdown().write(to: root.appendingPathComponent(TopicCatalogDocument.markdownPath), atomically: true, encoding: .utf8)
            try TopicCatalogDocument.strimziManifests(agencies: Self.agencies)
                .write(to: root.appendingPathComponent(TopicCatalogDocument.manifestPath), atomically: true, encoding: .utf8)
        }
        let markdown = try String(contentsOf: root.appendingPathComponent(TopicCatalogDocument.markdownPath), encoding: .utf8)
        #expect(markdown == TopicCatalogDocument.markdown(), "run `hub topics render` (or REGENERATE_TOPIC_DOCS=1 swift test) and commit")
        let manifests = try String(contentsOf: root.appendingPathComponent(TopicCatalogDocument.manifestPath), encoding: .utf8)
        #expect(manifests == (try TopicCatalogDocument.strimziManifests(agencies: Self.agencies)))
    }

    @Test("every declared topic appears in the page and in the manifests")
    func completeness() throws {
        let markdown = TopicCatalogDocument.markdown()
        let manifests = try TopicCatalogDocument.strimziManifests(agencies: ["VID"])
        for topic in HubTopics.all {
            #expect(markdown.contains("| `\(topic.name)` |"))
            let concrete = topic.isFamily ? try topic.instantiate(agency: "VID").name : topic.name
            #expect(manifests.contains("topicName: \(concrete)\n"))
        }
        #expect(manifests.contains("min.insync.replicas: \"2\""))
        #expect(manifests.contains("cleanup.policy: \"compact\""))
    }
}
