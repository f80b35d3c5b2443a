import Foundation
import HubLogging
import Testing

@Suite("JSON-lines logging and masking")
struct LoggingTests {
    @Test("each line is one JSON object with level, component, message and fields")
    func jsonLines() throws {
        let capture = LogCapture()
        let logger = Logger(component: "ingest", threshold: .info, sink: capture.sink).with(["instance": "a"])
        logger.debug("hidden")
        logger.warning("quote \" and\nnewline", ["agency": "VID"])
        #expect(capture.lines.count == 1)
        let object = try JSONSerialization.jsonObject(with: Data(capture.lines[0].utf8)) as! [String: String]
        #expect(object["level"] == "warning")
        #expect(object["component"] == "ingest")
        #expect(object["msg"] == "quote \" and\nnewline")
        #expect(object["agency"] == "VID")
        #expect(object["instance"] == "a")
        #expect(object["ts"]?.hasSuffix("Z") == true)
    }

    @Test("a stricter view of a logger drops its routine lines and keeps its sink and fields; it never loosens")
    func atLeast() throws {
        let capture = LogCapture()
        let logger = Logger(component: "consume", threshold: .info, sink: capture.sink).with(["instance": "a"])
        let quiet = logger.atLeast(.warning)
        quiet.info("partitions assigned")
        quiet.warning("consumer error")
        #expect(capture.lines.count == 1 && capture.lines[0].contains("consumer error") && capture.lines[0].contains("\"instance\":\"a\""))
        #expect(Logger(component: "x", threshold: .error).atLeast(.warning).threshold == .error)
    }

    @Test("person codes are masked, alone or inside text")
    func masking() {
        #expect(Mask.personCode("010190-12345") == "01****-*****")
        #expect(Mask.identifiers(in: "client 010190-12345 asked, company 40003000000") == "client 01****-***** asked, company 40*********")
        #expect(Mask.identifiers(in: "case 12345 step 2") == "case 12345 step 2")
        // The new person code form, codes without their hyphen and phone numbers go; dates and times stay.
        #expect(Mask.identifiers(in: "320000-00001 01019010000 +37120000000") == "32****-***** 01********* +37*********")
        #expect(Mask.identifiers(in: #""occurredAt":"2026-11-20T10:00:00+02:00""#) == #""occurredAt":"2026-11-20T10:00:00+02:00""#)
        #expect(Mask.identifiers(in: "from 2025-03-01 to 20250301") == "from 2025-03-01 to 20******")
    }
}
