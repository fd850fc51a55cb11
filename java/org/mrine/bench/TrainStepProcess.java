package org.mrine.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.mrine.backend.cpu.CpuTuning;
import org.mrine.io.Json;
import org.mrine.model.ModelConfig;

/**
 * A training-step measurement in a fresh JVM, so that its peak resident memory is that set-up's
 * alone (the JVM included): {@code mrine bench} runs the high-channel set-ups this way. The child
 * gets the parent's JVM flags and class path and prints one JSON object on stdout.
 */
public final class TrainStepProcess {
    private TrainStepProcess() {
    }

    /** The set-ups by name: their model and the calcium/field sampling period. */
    static ModelConfig config(String setup) {
        return switch (setup) {
            case "paper" -> BenchSetups.paper();
            case "high_channel" -> BenchSetups.highChannel();
            case "calcium_10k" -> BenchSetups.calcium10k();
            default -> throw new IllegalArgumentException("unknown set-up '" + setup + "', expected paper, high_channel or calcium_10k");
        };
    }

    static int fieldEvery(String setup) {
        return switch (setup) {
            case "high_channel" -> BenchSetups.HIGH_CHANNEL_CALCIUM_EVERY;
            case "calcium_10k" -> BenchSetups.CALCIUM_EVERY;
            default -> BenchSetups.FIELD_EVERY;
        };
    }

    /** args: setup trials steps warmupSeconds repeats peakGflopsOneCore threads */
    public static void main(String[] args) {
        String setup = args[0];
        int trials = Integer.parseInt(args[1]), steps = Integer.parseInt(args[2]);
        double warmupSeconds = Double.parseDouble(args[3]);
        int repeats = Integer.parseInt(args[4]);
        double peak = Double.parseDouble(args[5]);
        int threads = Integer.parseInt(args[6]);
        ModelConfig cfg = config(setup);
        TrainStep.Result r = TrainStep.measure("cpu", cfg, trials, steps, fieldEvery(setup), 1, warmupSeconds, repeats);
        Map<String, Object> out = r.toJson(trials, steps, peak, threads);
        out.put("channels", cfg.modalities().stream().mapToInt(m -> m.channels()).sum());
        out.put("peak_memory_mb", Stats.round(MachineInfo.peakResidentMb(), 1));
        out.put("peak_memory_of", "resident set (VmHWM) of a fresh JVM that built this model and ran its training steps, JVM included");
        System.out.println(Json.write(out));
    }

    /** Runs {@link #main} in a child JVM with this JVM's flags and class path and the given CPU choices; its JSON object. */
    public static Map<String, Object> run(String setup, int trials, int steps, double warmupSeconds, int repeats,
                                          double peakGflopsOneCore, CpuTuning tuning) {
        int threads = tuning.threads();
        List<String> cmd = ChildJvm.javaAndFlags();
        // this run's CPU choices, whatever the child would load itself
        tuning.toJson().forEach((k, v) -> cmd.add("-Dmrine." + k + "=" + v));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(TrainStepProcess.class.getName());
        for (Object a : new Object[] {setup, trials, steps, warmupSeconds, repeats, peakGflopsOneCore, threads}) cmd.add(String.valueOf(a));
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(1, TimeUnit.HOURS) || p.exitValue() != 0) {
                throw new IllegalStateException("the " + setup + " training-step measurement failed (exit " + p.exitValue() + "): " + stdout);
            }
            String last = stdout.substring(stdout.lastIndexOf('\n') + 1);
            return Json.object(Json.parse(last), setup + " measurement");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the " + setup + " measurement: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
