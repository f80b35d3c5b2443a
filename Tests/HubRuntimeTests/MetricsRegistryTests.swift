import HubRuntime
import Testing

@Suite("Prometheus text rendering")
struct MetricsRegistryTests {
    @Test("counters and gauges render with HELP, TYPE and sorted, escaped labels")
    func rendering() {
        let metrics = MetricsRegistry()
        metrics.increment("hub_records_in_total", labels: ["stage": "ingest", "agency": "VID"], help: "Records in.")
        metrics.increment("hub_records_in_total", by: 2, labels: ["agency": "VID", "stage": "ingest"])
        metrics.set("hub_consumer_lag", 7, labels: ["topic": "a\"b"])
        let text = metrics.render()
        #expect(text.contains("# HELP hub_records_in_total Records in.\n# TYPE hub_records_in_total counter\n"))
        #expect(text.contains("hub_records_in_total{agency=\"VID\",stage=\"ingest\"} 3\n"))
        #expect(text.contains("# TYPE hub_consumer_lag gauge\nhub_consumer_lag{topic=\"a\\\"b\"} 7\n"))
    }

    @Test("collectors refresh gauges at scrape time")
    func collectors() {
        let metrics = MetricsRegistry()
        metrics.addCollector { $0.set("hub_up", 1) }
        #expect(metrics.render().contains("hub_up 1\n"))
    }
}
