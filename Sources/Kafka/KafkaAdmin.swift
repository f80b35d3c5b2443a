import CRdKafka
import Foundation
import HubLogging

/// Topic administration: create from declarations, list and describe. Each
/// call is one broker round trip run on a blocking thread.
public final class KafkaAdmin: Sendable {
    private let client: RDKafkaClient
    private let pollLoop: PollLoop

    public init(client properties: KafkaClientProperties, logger: Logger) throws(KafkaError) {
        // A producer handle does admin work without joining any group.
        let client = try RDKafkaClient(role: .producer, properties: properties.merging(["allow.auto.create.topics": "false"]).values,
                                       callbacks: RDKafkaCallbacks(logger: logger.named("kafka.admin")))
        self.client = client
        self.pollLoop = PollLoop(name: "kafka-admin-poll") { _ = rd_kafka_poll(client.handle, 100) }
    }

    deinit {
        pollLoop.stop()
        client.destroy()
    }

    public func close() async {
        let client = self.client, pollLoop = self.pollLoop
        await BlockingCall.runUnthrowing {
            pollLoop.stop()
            client.destroy()
        }
    }

    /// Creates the topics; one that exists already is reported, not an error.
    public func createTopics(_ specifications: [KafkaTopicSpecification],
                             timeoutMilliseconds: Int32 = 30_000) async throws(KafkaError) -> [String: KafkaTopicCreation] {
        if specifications.isEmpty { return [:] }
        let client = self.client
        return try await BlockingCall.run { () throws(KafkaError) -> [String: KafkaTopicCreation] in
            let handle = client.handle
            var errorText = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
            for specification in specifications {
                guard let topic = rd_kafka_NewTopic_new(specification.name, specification.partitions,
                                                        Int32(specification.replicationFactor), &errorText, errorText.count) else {
                    throw KafkaError.configuration("topic '\(specification.name)': " + String(errorBuffer: errorText))
                }
                newTopics.append(topic)
                for (key, value) in specification.configs.sorted(by: { $0.key < $1.key }) {
                    let err = rd_kafka_NewTopic_set_config(topic, key, value)
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "topic config \(key)") }
                }
            }
            let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
            let queue = rd_kafka_queue_new(handle)
            defer { rd_kafka_queue_destroy(queue) }
            newTopics.withUnsafeMutableBufferPointer { buffer in
                rd_kafka_CreateTopics(handle, buffer.baseAddress, buffer.count, options, queue)
            }
            let event = try Self.awaitEvent(queue, timeoutMilliseconds: timeoutMilliseconds + 5_000, operation: "create topics")
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            guard let result = rd_kafka_event_CreateTopics_result(event),
                  let topics = rd_kafka_CreateTopics_result_topics(result, &count) else {
                throw KafkaError(code: nil, name: "ADMIN_RESULT", message: "create topics returned no result")
            }
            var outcome: [String: KafkaTopicCreation] = [:]
            for index in 0..<count {
                let topicResult = topics[index]
                let name = String(cString: rd_kafka_topic_result_name(topicResult))
                let err = rd_kafka_topic_result_error(topicResult)
                switch err {
                case RD_KAFKA_RESP_ERR_NO_ERROR: outcome[name] = .created
                case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: outcome[name] = .alreadyExists
                default:
                    let text = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) }
                    outcome[name] = .failed(KafkaError(err, context: text ?? name))
                }
            }
            return outcome
        }
    }

    /// Topic names in the cluster, internal ones (`__consumer_offsets`) left out.
    public func listTopics(timeoutMilliseconds: Int32 = 10_000) async throws(KafkaError) -> [String] {
        try await metadata(timeoutMilliseconds: timeoutMilliseconds).map(\.name).filter { !$0.hasPrefix("__") }.sorted()
    }

    /// Partitions, leaders and replicas from metadata, plus configs where the broker describes them.
    public func describeTopic(_ name: String, timeoutMilliseconds: Int32 = 10_000) async throws(KafkaError) -> KafkaTopicDescription? {
        guard let topic = try await metadata(timeoutMilliseconds: timeoutMilliseconds).first(where: { $0.name == name }) else {
            return nil
        }
        let configs = (try? await describeConfigs(name, timeoutMilliseconds: timeoutMilliseconds)) ?? [:]
        return KafkaTopicDescription(name: topic.name, partitions: topic.partitions, configs: configs)
    }

    /// Every partition of `topics` (those that exist), from metadata alone.
    public func partitions(of topics: [String], timeoutMilliseconds: Int32 = 10_000) async throws(KafkaError) -> [KafkaTopicPartition] {
        let wanted = Set(topics)
        return try await metadata(timeoutMilliseconds: timeoutMilliseconds).filter { wanted.contains($0.name) }
            .flatMap { topic in topic.partitions.map { KafkaTopicPartition(topic: topic.name, partition: $0.id) } }
    }

    /// Per partition, the offset of its first record with a timestamp at or after `instant` (`ListOffsets` by
    /// time); nil for a partition with none (a reader starting there has nothing to read).
    public func offsets(at instant: Date, of partitions: [KafkaTopicPartition],
                        timeoutMilliseconds: Int32 = 10_000) async throws(KafkaError) -> [KafkaTopicPartition: Int64?] {
        if partitions.isEmpty { return [:] }
        let client = self.client
        let milliseconds = Int64((instant.timeIntervalSince1970 * 1000).rounded(.down))
        return try await BlockingCall.run { () throws(KafkaError) -> [KafkaTopicPartition: Int64?] in
            // The query takes each partition's timestamp in its offset field and answers there.
            let list = RDKafkaTopicPartitionList(partitions.map { KafkaTopicPartitionOffset(topicPartition: $0, offset: milliseconds) })
            let err = rd_kafka_offsets_for_times(client.handle, list.pointer, timeoutMilliseconds)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "offsets for times") }
            if let error = list.firstError { throw error }
            var result: [KafkaTopicPartition: Int64?] = [:]
            for entry in list.entries { result[entry.topicPartition] = entry.offset >= 0 ? entry.offset : nil }
            return result
        }
    }

    private struct TopicMetadata: Sendable {
        let name: String
        let partitions: [KafkaTopicDescription.Partition]
    }

    private func metadata(timeoutMilliseconds: Int32) async throws(KafkaError) -> [TopicMetadata] {
        let client = self.client
        return try await BlockingCall.run { () throws(KafkaError) -> [TopicMetadata] in
            var metadata: UnsafePointer<rd_kafka_metadata>? = nil
            let err = rd_kafka_metadata(client.handle, 1, nil, &metadata, timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(err, context: "metadata") }
            defer { rd_kafka_metadata_destroy(metadata) }
            return (0..<Int(metadata.pointee.topic_cnt)).map { index in
                let topic = metadata.pointee.topics[index]
                let partitions = (0..<Int(topic.partition_cnt)).map { p in
                    let partition = topic.partitions[p]
                    return KafkaTopicDescription.Partition(
                        id: partition.id, leader: partition.leader,
                        replicas: (0..<Int(partition.replica_cnt)).map { partition.replicas[$0] },
                        inSyncReplicas: (0..<Int(partition.isr_cnt)).map { partition.isrs[$0] })
                }
                return TopicMetadata(name: String(cString: topic.topic), partitions: partitions.sorted { $0.id < $1.id })
            }
        }
    }

    private func describeConfigs(_ name: String, timeoutMilliseconds: Int32) async throws(KafkaError) -> [String: String] {
        let client = self.client
        return try await BlockingCall.run { () throws(KafkaError) -> [String: String] in
            let handle = client.handle
            var resource: OpaquePointer? = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name)
            defer { rd_kafka_ConfigResource_destroy(resource) }
            let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            var errorText = [CChar](repeating: 0, count: 256)
            _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMilliseconds, &errorText, errorText.count)
            let queue = rd_kafka_queue_new(handle)
            defer { rd_kafka_queue_destroy(queue) }
            rd_kafka_DescribeConfigs(handle, &resource, 1, options, queue)
            let event = try Self.awaitEvent(queue, timeoutMilliseconds: timeoutMilliseconds + 5_000, operation: "describe configs")
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            guard let result = rd_kafka_event_DescribeConfigs_result(event),
                  let resources = rd_kafka_DescribeConfigs_result_resources(result, &count), count > 0 else { return [:] }
            let described = resources[0]
            if rd_kafka_ConfigResource_error(described) != RD_KAFKA_RESP_ERR_NO_ERROR { return [:] }
            var entryCount = 0
            guard let entries = rd_kafka_ConfigResource_configs(described, &entryCount) else { return [:] }
            var configs: [String: String] = [:]
            for index in 0..<entryCount {
                let entry = entries[index]
                guard let value = rd_kafka_ConfigEntry_value(entry) else { continue }
                configs[String(cString: rd_kafka_ConfigEntry_name(entry))] = String(cString: value)
            }
            return configs
        }
    }

    /// Waits for the admin result event; a request-level error is thrown.
    private static func awaitEvent(_ queue: OpaquePointer?, timeoutMilliseconds: Int32, operation: String) throws(KafkaError) -> OpaquePointer {
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: operation)
        }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? operation
            rd_kafka_event_destroy(event)
            throw KafkaError(err, context: text)
        }
        return event
    }
}
