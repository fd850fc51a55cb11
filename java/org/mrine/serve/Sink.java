package org.mrine.serve;

import java.util.function.Consumer;

/** Where outputs go: an LSL outlet or a Redis stream. Written by the node's thread only. */
public interface Sink extends AutoCloseable {

    /** Hands one output over; must not block on a dead peer (a lost output is counted instead). */
    void write(Output o);

    /** The node's state changed (BRAND: an entry in the node's state stream); a no-op where the transport has none. */
    default void state(String status, String detail) {
    }

    /** Outputs that could not be delivered (connection down). */
    default long dropped() {
        return 0;
    }

    /** Flushes and closes. */
    @Override
    void close();

    static Sink open(ServeUri uri, String node, int modalities, int latentDim, int behaviorDim, double binMs, Consumer<String> log) {
        return switch (uri.kind()) {
            case LSL -> new LslSink(uri, modalities, latentDim, behaviorDim, binMs);
            case REDIS -> new RedisSink(uri, node, modalities, latentDim, behaviorDim, log);
        };
    }
}
