#ifndef HUB_CRDKAFKA_SHIM_H
#define HUB_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>

// rd_kafka_producev is variadic and cannot be called from Swift; this fixed-
// signature wrapper is the only producing entry point the Swift layer uses.
// Ownership of `headers` passes to librdkafka on success only.
static inline rd_kafka_resp_err_t hub_rd_kafka_produce(
    rd_kafka_t *rk, const char *topic, int32_t partition,
    const void *payload, size_t payload_len,
    const void *key, size_t key_len,
    int64_t timestamp_ms, rd_kafka_headers_t *headers, void *opaque) {
    return rd_kafka_producev(
        rk,
        RD_KAFKA_V_TOPIC(topic),
        RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE((void *)payload, payload_len),
        RD_KAFKA_V_KEY(key, key_len),
        RD_KAFKA_V_TIMESTAMP(timestamp_ms),
        RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_OPAQUE(opaque),
        RD_KAFKA_V_END);
}
#endif
