package org.mrine.serve;

import java.util.function.Consumer;

/**
 * An input from an LSL stream, found by name, type or source id. The inlet recovers a lost
 * stream on its own when the stream has a source id; without one (or when the inlet reports the
 * stream lost) the stream is resolved again. A stream with another channel count than the
 * model's modality is not opened (logged once; resolution goes on).
 */
final class LslSource extends Source {
    private final float[] scratch;

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
                }
                float[] slot = ring.claim();
                float[] into = slot != null ? slot : scratch;
                double ts = inlet.pull(into, 0.1);
                if (ts == 0.0) {
                    if (inlet.lastError() == Lsl.LOST_ERROR) {
                        log("input " + modality + ": LSL stream lost; resolving it again");
                        inlet.close();
                        inlet = null;
                    }
                    continue;
                }
                long arrival = System.nanoTime();
                if (slot != null) ring.publish(ts, arrival);
            }
        } finally {
            if (inlet != null) inlet.close();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
