package org.mrine.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.mrine.io.SafeTensors;
import org.mrine.serve.Recording;
import org.mrine.serve.ServeModel;
import org.mrine.tensor.HostTensor;

/**
 * {@code mrine stream --input F} where F is a recording of {@code mrine serve --record}: the bins
 * are rebuilt from the recorded input samples and pushed through a fresh decoder, and every
 * output is compared bit for bit with the one the node emitted live. Exit status 0 when all are
 * equal, 1 otherwise.
 */
final class RecordingReplay {
    private RecordingReplay() {
    }

    static int run(Path checkpoint, Path recording, Path readout, String backend, boolean shortcut, Path out) {
        try (ServeModel model = ServeModels.load(checkpoint, readout, backend, shortcut)) {
            Recording.Replay r = Recording.replay(recording, model);
            if (out != null) {
                Map<String, HostTensor> t = new LinkedHashMap<>();
                t.put("latent", new HostTensor(new int[] {1, r.outputs(), r.latentDim()}, r.latents()));
                if (r.behaviorDim() > 0) t.put("behavior", new HostTensor(new int[] {1, r.outputs(), r.behaviorDim()}, r.behavior()));
                t.put("recorded_latent", new HostTensor(new int[] {1, r.outputs(), r.latentDim()}, r.recordedLatents()));
                SafeTensors.write(out, t, Map.of("source", recording.toString(), "checkpoint", checkpoint.toString()));
            }
            long[] lat = r.latencyNanos().clone();
            Arrays.sort(lat);
            int n = lat.length;
            System.out.printf(Locale.ROOT, "recording %s: %d input samples (%d late or dropped live), %d outputs%s%n", recording, r.inputs(),
                    r.lateOrDropped(), n, r.truncated() ? " (the last record was cut off: the node did not flush)" : "");
            if (n > 0) {
                System.out.printf(Locale.ROOT, "live node latency: p50 %.1f us, p99 %.1f us, max %.1f us%n",
                        lat[n / 2] / 1e3, lat[Math.min(n - 1, (int) (n * 0.99))] / 1e3, lat[n - 1] / 1e3);
            }
            if (r.mismatches() == 0) {
                System.out.println("replayed offline: all " + n + " outputs reproduced bit for bit");
                return 0;
            }
            System.out.println("replayed offline: " + r.mismatches() + " of " + n + " outputs differ (first: " + r.firstMismatch() + ")");
            return 1;
        }
    }
}
