package org.mrine.serve;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XAddParams;

/**
 * Outputs as entries of one Redis stream, BRAND's way: one XADD per bin with binary fields
 * (little-endian) {@code bin} int64, {@code ts} float64 (the bin's centre), {@code latent} float32
 * [X], {@code cov_diag} float32 [X], {@code behavior} float32 [D] (when a readout is loaded),
 * {@code present} uint8 [M], {@code latency_us} float64. The node's state goes to its own stream
 * {@code NAME_state} (fields {@code code}, {@code status}, and a detail), as BRAND nodes do.
 *
 * <p>A lost connection does not stall the node: outputs are dropped and counted while a
 * background thread reconnects (every 100 ms); the node goes on writing once it is back.
 */
final class RedisSink implements Sink {
    private static final byte[] BIN = b("bin"), TS = b("ts"), LATENT = b("latent"), COV = b("cov_diag"),
            BEHAVIOR = b("behavior"), PRESENT = b("present"), LATENCY = b("latency_us");
    private final ServeUri uri;
    private final byte[] key;
    private final String stateKey;
    private final Consumer<String> log;
    private final DefaultJedisClientConfig config = DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(1000).socketTimeoutMillis(1000).build();
    private final XAddParams params;
    private final Map<byte[], byte[]> fields = new LinkedHashMap<>();
    private final byte[] bin = new byte[8], ts = new byte[8], latent, cov, behavior, present, latency = new byte[8];
    private volatile Jedis jedis;
    private volatile boolean closed;
    private Thread reconnector;
    private long dropped;

    RedisSink(ServeUri uri, String node, int modalities, int latentDim, int behaviorDim, Consumer<String> log) {
        this.uri = uri;
        this.log = log;
        key = uri.stream().getBytes(StandardCharsets.UTF_8);
        stateKey = node + "_state";
        XAddParams p = XAddParams.xAddParams();
        if (uri.params().containsKey("maxlen")) p = p.maxLen(Long.parseLong(uri.params().get("maxlen"))).approximateTrimming();
        params = p;
        latent = new byte[4 * latentDim];
        cov = new byte[4 * latentDim];
        behavior = new byte[4 * behaviorDim];
        present = new byte[modalities];
        fields.put(BIN, bin);
        fields.put(TS, ts);
        fields.put(LATENT, latent);
        fields.put(COV, cov);
        if (behaviorDim > 0) fields.put(BEHAVIOR, behavior);
        fields.put(PRESENT, present);
        fields.put(LATENCY, latency);
        try {
            jedis = new Jedis(uri.host(), uri.port(), config);
            jedis.ping();
        } catch (JedisException e) {
            throw new IllegalArgumentException("--output " + uri + ": cannot reach Redis at " + uri.host() + ":" + uri.port() + " (" + e.getMessage() + ")");
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void write(Output o) {
        Jedis j = jedis;
        if (j == null) {
            dropped++;
            return;
        }
        SampleCodec.putInt64(bin, 0, o.bin);
        SampleCodec.putFloat64(ts, 0, o.ts);
        SampleCodec.putFloat32(latent, 0, o.latent, 0, o.latent.length);
        SampleCodec.putFloat32(cov, 0, o.covDiag, 0, o.covDiag.length);
        SampleCodec.putFloat32(behavior, 0, o.behavior, 0, o.behavior.length);
        System.arraycopy(o.present, 0, present, 0, present.length);
        SampleCodec.putFloat64(latency, 0, o.latencyNanos / 1e3);
        try {
            j.xadd(key, params, fields);
        } catch (JedisException e) {
            dropped++;
            lost(j, e);
        }
    }

    @Override
    public void state(String status, String detail) {
        Jedis j = jedis;
        if (j == null) return;
        Map<String, String> f = new LinkedHashMap<>();
        f.put("code", "0");
        f.put("status", status);
        if (detail != null) f.put("detail", detail);
        try {
            j.xadd(stateKey, XAddParams.xAddParams(), f);
        } catch (JedisException e) {
            lost(j, e);
        }
    }

    /** The connection broke: drop it and reconnect in the background. */
    private synchronized void lost(Jedis j, JedisException e) {
        if (jedis != j) return;
        jedis = null;
        j.close();
        if (closed) return;
        log.accept("output " + uri + ": Redis connection lost (" + e.getMessage() + "); outputs are dropped and counted until it is back");
        reconnector = Thread.ofPlatform().daemon().name("mrine-serve-redis-reconnect").start(() -> {
            while (!closed) {
                try {
                    Jedis n = new Jedis(uri.host(), uri.port(), config);
                    n.ping();
                    jedis = n;
                    log.accept("output " + uri + ": reconnected to Redis");
                    return;
                } catch (JedisException again) {
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        });
    }

    @Override
    public long dropped() {
        return dropped;
    }

    @Override
    public void close() {
        closed = true;
        Thread r = reconnector;
        if (r != null) {
            try {
                r.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Jedis j = jedis;
        if (j != null) j.close();
    }
}
