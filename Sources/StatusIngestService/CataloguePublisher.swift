import Foundation
import HubLogging
import HubRuntime
import Kafka
import StatusIngest
import Topics

/// Publishes a catalogue file to `catalogue.services`, one record per
/// service keyed by its id; the topic is compacted, so a reload replaces.
public enum CataloguePublisher {
    public static func publish(file: URL, client: KafkaClientProperties, logger: Logger) async throws -> Int {
        let catalogue = try ServiceCatalogue.load(contentsOf: file)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let records = try catalogue.services.values.sorted { $0.serviceId < $1.serviceId }.map { definition in
            KafkaProducerRecord(topic: HubTopics.catalogueServices.name, key: Array(definition.serviceId.utf8),
                                value: Array(try encoder.encode(definition)))
        }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        _ = try await producer.sendAll(records)
        await producer.close()
        return records.count
    }

    /// The catalogue shipped with the hub.
    public static func sampleFile(from start: String = FileManager.default.currentDirectoryPath) -> URL? {
        SampleFiles.find("catalogue.json", from: start)
    }
}
