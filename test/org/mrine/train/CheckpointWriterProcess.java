package org.mrine.train;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mrine.io.SafeTensors;
import org.mrine.tensor.HostTensor;

/**
 * Run in a child JVM by {@link AtomicCheckpointTest}: overwrites one file with large checkpoints of
 * generation 1, 2, 3, ... (every value = the generation) until it is killed.
 */
public final class CheckpointWriterProcess {
    private CheckpointWriterProcess() {
    }

    static void writeGeneration(Path file, int generation, int floats) {
        float[] a = new float[floats];
        Arrays.fill(a, generation);
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("param.big", new HostTensor(new int[] {floats}, a));
        t.put("param.small", new HostTensor(new int[] {3}, new float[] {generation, generation, generation}));
        SafeTensors.write(file, t, Map.of("epoch", Integer.toString(generation)));
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int floats = Integer.parseInt(args[1]);
        for (int g = 1; ; g++) {
            System.out.println("writing " + g);
            System.out.flush();
            writeGeneration(file, g, floats);
        }
    }
}
