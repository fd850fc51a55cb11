package org.mrine.serve;

import java.util.function.Consumer;

/**
 * One live input: a reader thread that takes samples off a stream (an LSL inlet, a Redis stream),
 * checks them and hands them to the node through a {@link SampleRing}. Reconnection and
 * malformed entries are handled here, off the node's thread: an entry with the wrong channel
 * count or a non-numeric value is rejected (the first one logged with its reason, the rest
 * counted), and a lost connection is retried until {@link #close}.
 */
public abstract class Source implements AutoCloseable {
    protected final ServeUri uri;
    protected final String modality;
    protected final int channels;
    protected final SampleRing ring;
    private final Consumer<String> log;
    protected volatile boolean running = true;
    private volatile double rateHz;
    private volatile long rejected, reconnects;
    private volatile String firstRejection;
    private Thread thread;

    protected Source(ServeUri uri, String modality, int channels, Consumer<String> log) {
        this.uri = uri;
        this.modality = modality;
        this.channels = channels;
        this.ring = new SampleRing(1024, channels);
        this.log = log;
        this.rateHz = uri.rate();
    }

    /** Opens the stream for {@link ServeUri}: LSL or Redis. */
    public static Source open(ServeUri uri, String modality, int channels, Consumer<String> log) {
        return switch (uri.kind()) {
            case LSL -> new LslSource(uri, modality, channels, log);
            case REDIS -> new RedisSource(uri, modality, channels, log);
        };
    }

    /** Starts the reader thread (after whatever set-up must happen before the node runs). */
    public void start() {
        thread = Thread.ofPlatform().daemon().name("mrine-serve-" + modality).start(this::readLoop);
    }

    protected abstract void readLoop();

    public SampleRing ring() {
        return ring;
    }

    public ServeUri uri() {
        return uri;
    }

    /** The source's nominal rate in Hz (from the URI, or the stream's description), 0 when unknown. */
    public double rateHz() {
        return rateHz;
    }

    protected void discoveredRate(double hz) {
        if (uri.rate() == 0 && hz > 0) rateHz = hz;
    }

    /** Malformed entries rejected so far. */
    public long rejected() {
        return rejected;
    }

    /** Connections re-established after a loss. */
    public long reconnects() {
        return reconnects;
    }

    protected void reject(String why) {
        if (firstRejection == null) {
            firstRejection = why;
            log("input " + modality + " (" + uri + "): rejected an entry: " + why + " (further rejections are only counted)");
        }
        rejected = rejected + 1;  // only the reader thread writes it
    }

    protected void reconnected() {
        reconnects = reconnects + 1;
    }

    protected void log(String line) {
        log.accept(line);
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            try {
                thread.join(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
