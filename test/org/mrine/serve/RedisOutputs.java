package org.mrine.serve;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.resps.StreamEntryBinary;

/** The entries a node XADDed to its output stream, decoded as a subscriber would. */
record RedisOutputs(long bin, double ts, float[] values, byte[] present, double latencyUs) {

    /** Every entry of the stream: values = latent ++ cov_diag ++ behavior. */
    static List<RedisOutputs> read(int port, String stream, int latentDim, int behaviorDim) {
        List<RedisOutputs> out = new ArrayList<>();
        try (Jedis j = new Jedis("127.0.0.1", port)) {
            var got = j.xreadBinary(XReadParams.xReadParams().count(1_000_000), Map.of(stream.getBytes(StandardCharsets.UTF_8), new StreamEntryID(0, 0)));
            if (got == null) return out;
            for (var s : got) {
                for (StreamEntryBinary e : s.getValue()) out.add(decode(e.getFields(), latentDim, behaviorDim));
            }
        }
        return out;
    }

    static RedisOutputs decode(Map<byte[], byte[]> fields, int X, int D) {
        long bin = -1;
        double ts = Double.NaN, latency = Double.NaN;
        float[] v = new float[2 * X + D];
        byte[] present = null;
        for (var f : fields.entrySet()) {
            String k = new String(f.getKey(), StandardCharsets.UTF_8);
            byte[] b = f.getValue();
            switch (k) {
                case "bin" -> bin = SampleCodec.getInt64(b, 0);
                case "ts" -> ts = SampleCodec.getFloat64(b, 0);
                case "latent" -> floats(b, v, 0, X);
                case "cov_diag" -> floats(b, v, X, X);
                case "behavior" -> floats(b, v, 2 * X, D);
                case "present" -> present = b;
                case "latency_us" -> latency = SampleCodec.getFloat64(b, 0);
                default -> throw new AssertionError("unexpected output field " + k);
            }
        }
        return new RedisOutputs(bin, ts, v, present, latency);
    }

    private static void floats(byte[] b, float[] out, int at, int n) {
        if (b.length != 4 * n) throw new AssertionError("field of " + b.length + " bytes, expected " + 4 * n);
        for (int i = 0; i < n; i++) out[at + i] = SampleCodec.getFloat32(b, 4 * i);
    }
}
