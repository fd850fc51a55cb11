package org.mrine.serve;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.resps.StreamEntryBinary;

/**
 * An input from a Redis stream (a BRAND node's output): XREAD BLOCK from the entry after the last
 * one read, one sample per entry in field {@code field} (default {@code samples}) as
 * {@code dtype}, the time stamp in field {@code ts} when given (else the time of arrival). A lost
 * connection is retried every 100 ms; reading resumes after the last entry read (a restarted
 * server without persistence has lost the old entries, and the new ones have larger ids).
 */
final class RedisSource extends Source {
    private final byte[] key, field, tsField;
    private final SampleCodec codec;
    private final DefaultJedisClientConfig config = DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(1000).socketTimeoutMillis(2000).blockingSocketTimeoutMillis(2000).build();
    private Jedis jedis;
    private StreamEntryID last;

    RedisSource(ServeUri uri, String modality, int channels, Consumer<String> log) {
        super(uri, modality, channels, log);
        key = uri.stream().getBytes(StandardCharsets.UTF_8);
        field = uri.param("field", "samples").getBytes(StandardCharsets.UTF_8);
        String ts = uri.param("ts", null);
        tsField = ts == null ? null : ts.getBytes(StandardCharsets.UTF_8);
        codec = SampleCodec.of(uri.param("dtype", "float32"));
        // Connect now, so that a wrong address fails at start with one line, and take the stream's
        // last id now, so that every entry added once the node runs is read (XREAD $ would skip
        // those added before the reader's first call).
        try {
            jedis = new Jedis(uri.host(), uri.port(), config);
            last = lastId(jedis);
        } catch (JedisException e) {
            if (jedis != null) jedis.close();
            throw new IllegalArgumentException("--input " + modality + "=" + uri + ": cannot reach Redis at " + uri.host() + ":" + uri.port() + " (" + e.getMessage() + ")");
        }
    }

    private StreamEntryID lastId(Jedis j) {
        List<StreamEntry> tail = j.xrevrange(uri.stream(), "+", "-", 1);
        return tail.isEmpty() ? new StreamEntryID(0, 0) : tail.get(0).getID();
    }

    @Override
    protected void readLoop() {
        XReadParams params = XReadParams.xReadParams().block(100).count(256);
        boolean lostLogged = false;
        try {
            while (running) {
                try {
                    if (jedis == null) {
                        jedis = new Jedis(uri.host(), uri.port(), config);
                        jedis.ping();
                        reconnected();
                        log("input " + modality + ": reconnected to Redis at " + uri.host() + ":" + uri.port());
                        lostLogged = false;
                    }
                    List<Map.Entry<byte[], List<StreamEntryBinary>>> got = jedis.xreadBinary(params, Map.of(key, last));
                    if (got == null) continue;
                    long arrival = System.nanoTime();
                    for (Map.Entry<byte[], List<StreamEntryBinary>> stream : got) {
                        for (StreamEntryBinary e : stream.getValue()) {
                            last = e.getID();
                            take(e.getFields(), arrival);
                        }
                    }
                } catch (JedisException e) {
                    if (jedis != null) {
                        jedis.close();
                        jedis = null;
                    }
                    if (!running) break;
                    if (!lostLogged) log("input " + modality + ": Redis connection lost (" + e.getMessage() + "); reconnecting");
                    lostLogged = true;
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        } finally {
            if (jedis != null) jedis.close();
        }
    }

    private void take(Map<byte[], byte[]> fields, long arrival) {
        byte[] value = null, ts = null;
        for (Map.Entry<byte[], byte[]> f : fields.entrySet()) {
            if (Arrays.equals(f.getKey(), field)) value = f.getValue();
            else if (tsField != null && Arrays.equals(f.getKey(), tsField)) ts = f.getValue();
        }
        if (value == null) {
            reject("no field '" + new String(field, StandardCharsets.UTF_8) + "'");
            return;
        }
        float[] slot = ring.claim();
        if (slot == null) return;
        if (!codec.decode(value, slot)) {
            reject(codec == SampleCodec.TEXT ? "field is not " + channels + " numbers" :
                    "field has " + value.length + " bytes, " + channels + " channels of " + codec.name().toLowerCase() + " take " + channels * codec.size);
            return;
        }
        double t = Lsl.seconds(arrival);
        if (tsField != null) {
            if (ts == null) {
                reject("no time stamp field '" + new String(tsField, StandardCharsets.UTF_8) + "'");
                return;
            }
            t = SampleCodec.decodeTimestamp(ts);
            if (Double.isNaN(t)) {
                reject("time stamp is not a number");
                return;
            }
        }
        ring.publish(t, arrival);
    }
}
