package org.mrine.serve;

import java.util.function.Consumer;

/**
 * An input from an LSL stream, found by name, type or source id. A source that goes silent is
 * looked for again (after one second, or three of its periods, and then every as long): when a
 * stream answers with another uid (a restarted acquisition program, source id or not), the
 * reader moves to it; an inlet that reports its stream lost is dropped and the stream resolved
 * anew. (liblsl notices a vanished outlet only late, and its own recovery needs a source id.) A
 * stream with another channel count than the model's modality is not opened (logged once;
 * resolution goes on).
 */
final class LslSource extends Source {
    private final float[] scratch;
    private long lastSample = System.nanoTime(), lastProbe;

    LslSource(ServeUri uri, String modality, int channels, Consumer<String> log) {
        super(uri, modality, channels, log);
        scratch = new float[channels];
        Lsl.library();  // fail at start, with the message saying where to get liblsl, not in the reader thread
    }

    @Override
    protected void readLoop() {
        Lsl.Inlet inlet = null;
        boolean waitingLogged = false, everConnected = false;
        try {
            while (running) {
                if (inlet == null) {
                    inlet = Lsl.resolve(uri.lslProp(), uri.stream(), 0.5);
                    if (inlet == null) {
                        if (!waitingLogged) log("input " + modality + ": waiting for LSL stream " + uri.lslProp() + "=" + uri.stream());
                        waitingLogged = true;
                        continue;
                    }
                    Lsl.StreamInfo info = inlet.info();
                    if (info.channels() != channels) {
                        reject("LSL stream " + info.name() + " has " + info.channels() + " channels, modality " + modality + " takes " + channels);
                        inlet.close();
                        inlet = null;
                        sleep(1000);
                        continue;
                    }
                    if (!inlet.open(5.0)) {
                        inlet.close();
                        inlet = null;
                        continue;
                    }
                    discoveredRate(info.rateHz());
                    if (everConnected) reconnected();
                    log("input " + modality + ": " + (everConnected ? "reconnected to" : "connected to") + " LSL stream " + info.name()
                            + " (" + info.channels() + " channels, " + (info.rateHz() > 0 ? info.rateHz() + " Hz" : "irregular rate") + ")");
                    everConnected = true;
                    waitingLogged = false;
                    lastSample = System.nanoTime();
                }
                float[] slot = ring.claim();
                float[] into = slot != null ? slot : scratch;
                double ts = inlet.pull(into, 0.1);
                long now = System.nanoTime();
                if (ts == 0.0) {
                    if (inlet.lastError() == Lsl.LOST_ERROR) {
                        log("input " + modality + ": LSL stream lost; resolving it again");
                        inlet.close();
                        inlet = null;
                    } else if (now - lastSample > silence() && now - lastProbe > silence()) {
                        lastProbe = now;
                        Lsl.Inlet other = Lsl.resolve(uri.lslProp(), uri.stream(), 0.2);
                        if (other != null && !other.info().uid().equals(inlet.info().uid())) {
                            log("input " + modality + ": LSL stream " + other.info().name() + " is back as a new outlet; switching to it");
                            inlet.close();
                            inlet = null;
                        }
                        if (other != null) other.close();
                    }
                    continue;
                }
                lastSample = now;
                if (slot != null) ring.publish(ts, now);
            }
        } finally {
            if (inlet != null) inlet.close();
        }
    }

    /** Silence after which the stream is looked for again: one second, or three periods. */
    private long silence() {
        double hz = rateHz();
        return Math.max(1_000_000_000L, hz > 0 ? Math.round(3e9 / hz) : 0);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
