package org.mrine.serve;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Where a stream lives: {@code lsl:NAME}, {@code lsl:type=TYPE} (or {@code name=}, {@code source_id=}),
 * or {@code redis://HOST:PORT/STREAM}, each with optional {@code ?key=value&...} parameters.
 *
 * <p>Parameters: {@code rate} (Hz, the source's nominal rate: a bin is complete for that source
 * as soon as its next sample cannot fall into it; LSL takes it from the stream's description),
 * and for Redis inputs {@code field} (default {@code samples}), {@code dtype} (float32, float64,
 * int8, uint8, int16, int32, int64 little-endian, or text: decimals separated by spaces or
 * commas), {@code ts} (the field holding the sample's time stamp, seconds of CLOCK_MONOTONIC as
 * float64 or text; default: the time of arrival); for Redis outputs {@code maxlen} (approximate
 * trimming).
 */
public record ServeUri(String text, Kind kind, String host, int port, String stream, String lslProp, Map<String, String> params) {

    public enum Kind { LSL, REDIS }

    private static final Set<String> LSL_PROPS = Set.of("name", "type", "source_id");
    private static final Set<String> KEYS = Set.of("rate", "field", "dtype", "ts", "maxlen");

    /** Parses a URI; an IllegalArgumentException naming the option, the URI and what is expected. */
    public static ServeUri parse(String option, String text) {
        String bad = option + " " + text + ": ";
        int q = text.indexOf('?');
        String base = q < 0 ? text : text.substring(0, q);
        Map<String, String> params = new LinkedHashMap<>();
        if (q >= 0) {
            for (String kv : text.substring(q + 1).split("&")) {
                if (kv.isEmpty()) continue;
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException(bad + "parameter '" + kv + "' is not key=value");
                String k = kv.substring(0, eq), v = URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                if (!KEYS.contains(k)) throw new IllegalArgumentException(bad + "unknown parameter '" + k + "' (known: rate, field, dtype, ts, maxlen)");
                params.put(k, v);
            }
        }
        if (params.containsKey("rate")) {
            double r;
            try {
                r = Double.parseDouble(params.get("rate"));
            } catch (NumberFormatException e) {
                r = -1;
            }
            if (!(r > 0) || Double.isInfinite(r)) throw new IllegalArgumentException(bad + "rate must be a positive number of Hz, got " + params.get("rate"));
        }
        if (base.startsWith("lsl:")) {
            String rest = base.substring(4);
            String prop = "name", value = rest;
            int eq = rest.indexOf('=');
            if (eq > 0) {
                prop = rest.substring(0, eq);
                value = rest.substring(eq + 1);
                if (!LSL_PROPS.contains(prop)) throw new IllegalArgumentException(bad + "an LSL stream is found by name=, type= or source_id=, not " + prop + "=");
            }
            if (value.isEmpty()) throw new IllegalArgumentException(bad + "expected lsl:NAME or lsl:type=TYPE");
            return new ServeUri(text, Kind.LSL, null, 0, value, prop, Map.copyOf(params));
        }
        if (base.startsWith("redis://")) {
            String rest = base.substring("redis://".length());
            int slash = rest.indexOf('/');
            if (slash < 0 || slash == rest.length() - 1) throw new IllegalArgumentException(bad + "expected redis://HOST:PORT/STREAM (the stream's key is missing)");
            String hostPort = rest.substring(0, slash), stream = rest.substring(slash + 1);
            String host = hostPort;
            int port = 6379;
            int colon = hostPort.lastIndexOf(':');
            if (colon >= 0) {
                host = hostPort.substring(0, colon);
                try {
                    port = Integer.parseInt(hostPort.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
                if (port <= 0 || port > 65535) throw new IllegalArgumentException(bad + "port must be 1 to 65535, got " + hostPort.substring(colon + 1));
            }
            if (host.isEmpty()) host = "127.0.0.1";
            String dtype = params.getOrDefault("dtype", "float32");
            if (SampleCodec.of(dtype) == null) {
                throw new IllegalArgumentException(bad + "dtype must be one of float32, float64, int8, uint8, int16, int32, int64, text; got " + dtype);
            }
            if (params.containsKey("maxlen")) {
                try {
                    if (Long.parseLong(params.get("maxlen")) <= 0) throw new NumberFormatException();
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(bad + "maxlen must be a positive integer, got " + params.get("maxlen"));
                }
            }
            return new ServeUri(text, Kind.REDIS, host, port, stream, null, Map.copyOf(params));
        }
        throw new IllegalArgumentException(bad + "expected lsl:NAME, lsl:type=TYPE or redis://HOST:PORT/STREAM[?field=...]");
    }

    /** The declared rate in Hz, or 0 when none was given. */
    public double rate() {
        String r = params.get("rate");
        return r == null ? 0 : Double.parseDouble(r);
    }

    public String param(String key, String fallback) {
        return params.getOrDefault(key, fallback);
    }

    @Override
    public String toString() {
        return text;
    }
}
