package org.mrine.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.mrine.model.ModalitySpec;
import org.mrine.serve.Lsl;
import org.mrine.serve.RealtimeThread;
import org.mrine.serve.ServeModel;
import org.mrine.serve.ServeNode;
import org.mrine.serve.ServeUri;
import org.mrine.serve.Sink;
import org.mrine.serve.Source;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mrine serve}: a real-time decoding node between live streams (LSL, Redis) and its outputs. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Decodes live streams in real time: one input per modality (an LSL stream or a Redis stream),",
                "samples placed on the model's bin grid by their time stamps, outputs (latent, covariance diagonal,",
                "behavior, bin time stamp, latency) to LSL outlets or Redis streams. SIGTERM flushes and exits 0."})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", required = true, description = "a training checkpoint (mrine train)")
    Path checkpoint;

    @Option(names = "--input", required = true, paramLabel = "MOD=URI",
            description = {"one per modality: lsl:NAME, lsl:type=TYPE, or redis://HOST:PORT/STREAM[?field=samples&dtype=float32&ts=FIELD&rate=HZ]"})
    List<String> inputs;

    @Option(names = "--output", paramLabel = "URI", description = "lsl:NAME (an outlet) or redis://HOST:PORT/STREAM[?maxlen=N]; repeatable")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--readout", description = "behavior readout (default: readout.safetensors beside the checkpoint, if any)")
    Path readout;

    @Option(names = "--bin-ms", defaultValue = "10", description = "the model's bin width in ms (default: ${DEFAULT-VALUE})")
    double binMs;

    @Option(names = "--lateness-ms", defaultValue = "20", description = "how long past its end a bin waits for a late sample (default: ${DEFAULT-VALUE})")
    double latenessMs;

    @Option(names = "--stall-ms", defaultValue = "500", description = "an input silent this long (and at least 3 periods) is decoded around (default: ${DEFAULT-VALUE})")
    double stallMs;

    @Option(names = "--origin", description = "the bin grid's origin in seconds of the inputs' clock (default: half a bin before the first sample)")
    Double origin;

    @Option(names = "--record", paramLabel = "F", description = "write every input sample and output to F (replay: mrine stream --input F)")
    Path record;

    @Option(names = "--name", defaultValue = "mrine", description = "node name: its state goes to the Redis stream NAME_state (default: ${DEFAULT-VALUE})")
    String name;

    @Option(names = "--bins", defaultValue = "0", description = "stop after this many bins (0: run until SIGTERM)")
    long maxBins;

    @Option(names = "--duration-s", defaultValue = "0", description = "stop after this many seconds (0: run until SIGTERM)")
    double durationS;

    @Option(names = "--warmup-steps", defaultValue = "20000", description = "decoder steps on synthetic samples before going live (JIT warm-up; default: ${DEFAULT-VALUE})")
    int warmupSteps;

    @Option(names = "--full-update", description = "run the full covariance update every step (no steady-state shortcut)")
    boolean fullUpdate;

    @Option(names = "--backend", defaultValue = "cpu", description = "backend (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--pin-cpu", paramLabel = "N", defaultValue = "-1",
            description = "pin the decoding thread to CPU N (Linux sched_setaffinity; the input readers stay unpinned)")
    int pinCpu;

    @Option(names = "--realtime", paramLabel = "PRIORITY", arity = "0..1", fallbackValue = "50", defaultValue = "0",
            description = {"run the decoding thread under SCHED_FIFO (default priority 50 of 1-99) so that other programs",
                    "on the machine do not delay a bin by a time slice; needs root, CAP_SYS_NICE or ulimit -r"})
    int realtime;

    @Override
    public Integer call() {
        try {
            return serve();
        } catch (Lsl.Unavailable e) {
            System.err.println("mrine: " + e.getMessage());
            return 2;
        }
    }

    private int serve() {
        if (!(binMs > 0) || latenessMs < 0 || !(stallMs > 0)) throw new IllegalArgumentException("--bin-ms and --stall-ms must be positive, --lateness-ms not negative");
        RealtimeThread.checkGranted(pinCpu, realtime, "--pin-cpu", "--realtime");
        if (outputs.isEmpty() && record == null) throw new IllegalArgumentException("--output URI (or --record F) is required: decoded outputs must go somewhere");
        Map<String, ServeUri> in = new LinkedHashMap<>();
        for (String s : inputs) {
            int eq = s.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--input " + s + ": expected MOD=URI (e.g. s=lsl:Spikes)");
            String mod = s.substring(0, eq);
            if (in.containsKey(mod)) throw new IllegalArgumentException("--input " + s + ": modality " + mod + " has two inputs");
            in.put(mod, ServeUri.parse("--input " + mod + "=", s.substring(eq + 1)));
        }
        List<ServeUri> outs = new ArrayList<>();
        for (String s : outputs) outs.add(ServeUri.parse("--output", s));
        Consumer<String> log = line -> System.err.println("mrine serve: " + line);

        try (ServeModel model = ServeModels.load(checkpoint, readout, backend, !fullUpdate)) {
            List<ModalitySpec> mods = model.modalities();
            List<String> names = new ArrayList<>();
            for (ModalitySpec m : mods) names.add(m.name());
            for (String mod : in.keySet()) {
                if (!names.contains(mod)) throw new IllegalArgumentException("--input " + mod + "=...: the checkpoint's model has no modality " + mod + " (it has " + String.join(", ", names) + ")");
            }
            Source[] sources = new Source[mods.size()];
            List<Sink> sinks = new ArrayList<>();
            ServeNode node = null;
            try {
                for (int m = 0; m < mods.size(); m++) {
                    ServeUri u = in.get(mods.get(m).name());
                    if (u != null) sources[m] = Source.open(u, mods.get(m).name(), mods.get(m).channels(), log);
                    else log.accept("modality " + mods.get(m).name() + " has no --input: it is missing in every bin");
                }
                for (ServeUri u : outs) sinks.add(Sink.open(u, name, mods.size(), model.config().latentDim(), model.behaviorDim(), binMs, log));
                node = new ServeNode(model, sources, sinks, record,
                        new ServeNode.Options(binMs, latenessMs, stallMs, origin == null ? Double.NaN : origin, maxBins, durationS, name, warmupSteps,
                                pinCpu, realtime), log);
                ServeNode running = node;
                Runnable stop = () -> {
                    log.accept("stopping (signal): flushing outputs");
                    running.stop();
                };
                try (AutoCloseable handlers = Signals.onTermination(stop)) {
                    log.accept("serving " + String.join(", ", inputs) + " -> " + (outs.isEmpty() ? "(recording only)" : String.join(", ", outputs))
                            + (record != null ? ", recording to " + record : ""));
                    node.run();
                } catch (Exception e) {
                    if (e instanceof RuntimeException r) throw r;
                    throw new IllegalStateException(e);
                }
            } finally {
                if (node != null) {
                    node.close();
                    for (String line : node.summary()) System.out.println(line);
                } else {
                    for (Source s : sources) if (s != null) s.close();
                    for (Sink s : sinks) s.close();
                }
            }
        }
        return 0;
    }
}
