import HubRuntime
import Testing

@Suite("Configuration: file plus environment")
struct HubConfigurationTests {
    @Test("file values, environment overrides and Kafka pass-through")
    func layering() throws {
        let file = try temporaryFile("""
        # the local hub
        log.level = debug
        kafka.bootstrap.servers = broker:9092
        kafka.security.protocol = SASL_SSL
        http.port = 9100
        """)
        let configuration = try HubConfiguration.load(file: file, environment: [
            "HUB_HTTP_PORT": "9200", "HUB_KAFKA_SASL_MECHANISMS": "SCRAM-SHA-512", "PATH": "/bin",
            "HUB_TEST_BOOTSTRAP": "ignored",
        ])
        #expect(try configuration.logLevel() == .debug)
        #expect(try configuration.integer("http.port") == 9200)
        #expect(configuration.kafka.values == ["bootstrap.servers": "broker:9092", "security.protocol": "SASL_SSL",
                                               "sasl.mechanisms": "SCRAM-SHA-512"])
        #expect(configuration["http.host"] == "127.0.0.1", "defaults fill what is not set")
    }

    @Test("HUB_BOOTSTRAP_SERVERS is the short form of kafka.bootstrap.servers")
    func bootstrapAlias() throws {
        let configuration = try HubConfiguration.load(file: nil, environment: ["HUB_BOOTSTRAP_SERVERS": "h:1"])
        #expect(configuration.bootstrapServers == "h:1")
    }

    @Test("an unknown key is an error that names it, from the file or the environment")
    func unknownKeys() throws {
        let file = try temporaryFile("log.levle = debug\n")
        #expect { try HubConfiguration.load(file: file, environment: [:]) } throws: { error in
            (error as? ConfigurationError)?.key == "log.levle"
        }
        #expect { try HubConfiguration.load(file: nil, environment: ["HUB_HTTP_PROT": "1"]) } throws: { error in
            (error as? ConfigurationError)?.key == "http.prot"
        }
        let broken = try temporaryFile("just words\n")
        #expect(throws: ConfigurationError.self) { try HubConfiguration.load(file: broken, environment: [:]) }
    }

    @Test("bad values are reported with their key")
    func badValues() throws {
        let configuration = try HubConfiguration(values: ["log.level": "loud", "http.port": "eighty"])
        #expect { try configuration.logLevel() } throws: { ($0 as? ConfigurationError)?.key == "log.level" }
        #expect { try configuration.integer("http.port") } throws: { ($0 as? ConfigurationError)?.key == "http.port" }
    }
}

func temporaryFile(_ text: String) throws -> String {
    let path = NSTemporaryDirectory() + "hub-test-\(UUID().uuidString).conf"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

import Foundation
