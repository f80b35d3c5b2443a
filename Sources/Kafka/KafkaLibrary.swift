import CRdKafka

/// Facts about the loaded librdkafka, and the hub's floor for it.
public enum KafkaLibrary {
    /// The version string of the library actually loaded (not the headers').
    public static var versionString: String { String(cString: rd_kafka_version_str()) }

    /// `0xMMmmrrxx` as librdkafka encodes it.
    public static var version: Int32 { rd_kafka_version() }

    /// 2.3.0: older releases mis-parse tagged fields and cannot talk to
    /// current brokers (see docs/kafka-layer.md).
    public static let minimumVersion: Int32 = 0x0203_0000

    public static let minimumVersionString = "2.3.0"

    public static func requireSupportedVersion() throws(KafkaError) {
        guard version >= minimumVersion else {
            throw KafkaError.unsupportedLibrary(
                "librdkafka \(versionString) is loaded, the hub needs \(minimumVersionString) or newer. "
                + "Run 'make setup' (or Deploy/local/bootstrap.sh) to build it into /usr/local/lib, "
                + "and make sure the loader finds it first (ldconfig).")
        }
    }
}
