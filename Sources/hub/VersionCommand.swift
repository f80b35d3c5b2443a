import Kafka

/// `hub version`: what is running, and whether librdkafka is new enough.
enum VersionCommand {
    static let hubVersion = "0.1.0"

    static func run() {
        print("hub \(hubVersion)")
        let supported = KafkaLibrary.version >= KafkaLibrary.minimumVersion
        print("librdkafka \(KafkaLibrary.versionString)" + (supported ? "" : " (too old: \(KafkaLibrary.minimumVersionString) or newer needed)"))
    }
}
