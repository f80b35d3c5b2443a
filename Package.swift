// swift-tools-version:6.0
import PackageDescription

// No package dependencies by design: Foundation, Dispatch, the standard
// library and C libraries through system library targets (librdkafka).
let package = Package(
    name: "hub",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hub", targets: ["hub"]),
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "Topics", targets: ["Topics"]),
        .library(name: "LookupClient", targets: ["LookupClient"]),
    ],
    targets: [
        .systemLibrary(
            name: "CRdKafka",
            path: "Sources/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // libcurl, for the e-mail connector's SMTP (STARTTLS, AUTH).
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "HubLogging", dependencies: ["Locking"], path: "Sources/HubLogging"),
        .target(name: "Locking", path: "Sources/Locking"),
        // The connectors' HTTP client: libcurl on threads of its own, connections kept alive.
        .target(name: "GatewayHTTP", dependencies: ["CCurl", "Locking"], path: "Sources/GatewayHTTP"),
        .target(name: "Kafka", dependencies: ["Locking", "CRdKafka", "HubLogging"], path: "Sources/Kafka"),
        .target(name: "HTTPServer", dependencies: ["Locking"], path: "Sources/HTTPServer"),
        .target(name: "LocalBroker", dependencies: ["HubLogging"], path: "Sources/LocalBroker"),
        .target(name: "Topics", path: "Topics/Sources"),
        .target(name: "StatusIngest", dependencies: ["Topics", "HubLogging"], path: "Sources/StatusIngest"),
        .target(name: "StatusIngestService", dependencies: ["StatusIngest", "HubRuntime", "Kafka", "Topics", "HubLogging", "DeadLetters"], path: "Sources/StatusIngestService"),
        .target(name: "HubRuntime", dependencies: ["Locking", "Kafka", "Topics", "HTTPServer", "HubLogging", "DeadLetters"], path: "Sources/HubRuntime"),
        .target(name: "DeadLetters", dependencies: ["Kafka", "Topics", "HubLogging"], path: "Sources/DeadLetters"),
        .target(name: "Notifications", dependencies: ["Topics"], path: "Sources/Notifications"),
        .target(name: "NotificationService", dependencies: ["Locking", "Notifications", "DeadLetters", "HubRuntime", "Kafka", "Topics", "HubLogging"], path: "Sources/NotificationService"),
        .target(name: "Lookups", dependencies: ["Locking", "ChannelDelivery", "Topics"], path: "Sources/Lookups"),
        .target(name: "LookupService", dependencies: ["Locking", "Lookups", "DeadLetters", "HubRuntime", "Kafka", "Topics", "HubLogging"], path: "Sources/LookupService"),
        // The integrators' Swift client for lookups over the bus.
        .target(name: "LookupClient", dependencies: ["Locking", "Kafka", "Topics", "HubLogging"], path: "Sources/LookupClient"),
        .target(name: "DAGRConnector", dependencies: ["GatewayHTTP", "Lookups", "Topics"], path: "Connectors/DAGR"),
        .target(name: "ChannelDelivery", dependencies: ["Locking", "Topics"], path: "Sources/ChannelDelivery"),
        .target(name: "Sandboxes", dependencies: ["Locking", "GatewayHTTP", "HTTPServer", "LocalBroker", "Topics"], path: "Sources/Sandboxes"),
        .target(name: "EmailConnector", dependencies: ["CCurl", "ChannelDelivery", "GatewayHTTP", "Topics"], path: "Connectors/Email"),
        .target(name: "EAddressConnector", dependencies: ["ChannelDelivery", "GatewayHTTP", "Topics"], path: "Connectors/EAddress"),
        .target(name: "PushConnector", dependencies: ["ChannelDelivery", "GatewayHTTP", "Topics"], path: "Connectors/Push"),
        .target(name: "SMSConnector", dependencies: ["ChannelDelivery", "GatewayHTTP", "HTTPServer", "Notifications", "Topics"], path: "Connectors/SMS"),
        .target(name: "ChannelWorker", dependencies: ["Locking", "ChannelDelivery", "DeadLetters", "HubRuntime", "Kafka", "Topics", "HubLogging"], path: "Sources/ChannelWorker"),
        .target(name: "DeadLetterService", dependencies: ["DeadLetters", "HubRuntime", "Kafka", "Topics", "HubLogging"], path: "Sources/DeadLetterService"),
        .executableTarget(name: "hub", dependencies: ["Locking", "HubRuntime", "Kafka", "Topics", "HubLogging", "LocalBroker", "StatusIngestService", "StatusIngest", "DeadLetters", "DeadLetterService", "Notifications", "NotificationService", "ChannelDelivery", "ChannelWorker", "EAddressConnector", "EmailConnector", "SMSConnector", "PushConnector", "Sandboxes", "Lookups", "LookupService", "LookupClient", "DAGRConnector"], path: "Sources/hub"),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "Topics", "HubLogging", "HubRuntime", "LocalBroker"], path: "Tests/KafkaTests"),
        .testTarget(name: "TopicsTests", dependencies: ["Topics"], path: "Tests/TopicsTests"),
        .testTarget(name: "HubRuntimeTests", dependencies: ["HubRuntime", "HubLogging", "Kafka", "Topics", "LocalBroker"], path: "Tests/HubRuntimeTests"),
        .testTarget(name: "StatusIngestTests", dependencies: ["BrokerTestSupport", "StatusIngest", "Topics", "StatusIngestService", "HubRuntime", "Kafka", "LocalBroker", "HubLogging"], path: "Tests/StatusIngestTests"),
        .testTarget(name: "DeadLetterTests", dependencies: ["BrokerTestSupport", "DeadLetters", "DeadLetterService", "HubRuntime", "Kafka", "Topics", "HubLogging", "LocalBroker", "StatusIngestService", "StatusIngest"], path: "Tests/DeadLetterTests"),
        // A tiny service that crashes on purpose, for the poison-record test; not shipped.
        .executableTarget(name: "failure-drill", dependencies: ["DeadLetters", "HubRuntime", "Kafka", "HubLogging"], path: "Tests/FailureDrill"),
        .testTarget(name: "NotificationTests", dependencies: ["Notifications", "Topics"], path: "Tests/NotificationTests"),
        // Shared by the broker tests: reading topics until a condition holds, waiting, kcat.
        .target(name: "BrokerTestSupport", dependencies: ["HubRuntime", "Kafka", "HubLogging", "LocalBroker", "Topics"], path: "Tests/BrokerTestSupport"),
        .testTarget(name: "NotificationServiceTests", dependencies: ["BrokerTestSupport", "NotificationService", "Notifications", "StatusIngestService", "StatusIngest", "DeadLetterService", "DeadLetters", "HubRuntime", "Kafka", "Topics", "HubLogging", "LocalBroker"], path: "Tests/NotificationServiceTests"),
        // The e-address worker as a process that dies between send and commit, for the exactly-once test; not shipped.
        .executableTarget(name: "channel-drill", dependencies: ["ChannelWorker", "ChannelDelivery", "EAddressConnector", "EmailConnector", "SMSConnector", "HTTPServer", "DeadLetters", "HubRuntime", "Kafka", "Topics", "HubLogging"], path: "Tests/ChannelDrill"),
        .testTarget(name: "ChannelWorkerTests", dependencies: ["GatewayHTTP", "BrokerTestSupport", "ChannelWorker", "ChannelDelivery", "EAddressConnector", "Sandboxes", "NotificationService", "Notifications", "DeadLetters", "HubRuntime", "Kafka", "Topics", "HubLogging", "LocalBroker"], path: "Tests/ChannelWorkerTests"),
        .testTarget(name: "EmailTests", dependencies: ["BrokerTestSupport", "EmailConnector", "Sandboxes", "ChannelDelivery", "ChannelWorker", "DeadLetters", "HubRuntime", "Kafka", "Topics", "HubLogging", "LocalBroker"], path: "Tests/EmailTests", exclude: ["smtp_relay.py"]),
        .testTarget(name: "SMSTests", dependencies: ["BrokerTestSupport", "SMSConnector", "Notifications", "Sandboxes", "HTTPServer", "ChannelDelivery", "ChannelWorker", "DeadLetters", "HubRuntime", "Kafka", "Topics", "HubLogging", "LocalBroker"], path: "Tests/SMSTests"),
        .testTarget(name: "PushTests", dependencies: ["BrokerTestSupport", "GatewayHTTP", "PushConnector", "Sandboxes", "ChannelDelivery", "ChannelWorker", "DeadLetters", "HubRuntime", "Kafka", "Topics", "HubLogging", "LocalBroker"], path: "Tests/PushTests"),
        .testTarget(name: "LookupTests", dependencies: ["BrokerTestSupport", "Lookups", "LookupService", "LookupClient", "DAGRConnector", "GatewayHTTP", "Sandboxes", "DeadLetters", "HubRuntime", "Kafka", "Topics", "HubLogging", "LocalBroker"], path: "Tests/LookupTests"),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"], path: "Tests/HTTPServerTests"),
        .testTarget(name: "LockingTests", dependencies: ["Locking"], path: "Tests/LockingTests"),
        // The hub command's own pure parts (reading wrk's report for the channel bench).
        .testTarget(name: "HubCommandTests", dependencies: ["hub"], path: "Tests/HubCommandTests"),
    ],
    swiftLanguageModes: [.v6]
)
