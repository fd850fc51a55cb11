package org.mrine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.io.SafeTensors;
import org.mrine.tensor.HostTensor;

/** A checkpoint write that fails or is killed half-way leaves the previous checkpoint whole and readable. */
class AtomicCheckpointTest {
    @TempDir
    Path dir;

    @Test
    void aWriteFailingHalfWayLeavesTheOldCheckpoint() {
        Path file = dir.resolve("checkpoint.safetensors");
        Trainer.Run run = Trainer.Run.prepare(TinyRuns.config(1, ""), TinyRuns.data(10, 20), TinyRuns.range(0, 10), new int[0],
                TinyRuns.BOTH, null);
        Checkpoint good;
        try (Backend be = Backends.create("cpu")) {
            Trainer t = new Trainer(run, be);
            t.fit(file, TrainingListener.SILENT);
            good = Checkpoint.load(file);
        }
        // the tensors' data are iterated after the header is on disk: fail there
        Map<String, HostTensor> failing = new LinkedHashMap<>() {
            @Override
            public Collection<HostTensor> values() {
                Collection<HostTensor> real = super.values();
                return new java.util.AbstractCollection<>() {
                    @Override
                    public Iterator<HostTensor> iterator() {
                        Iterator<HostTensor> it = real.iterator();
                        return new Iterator<>() {
                            int n;

                            @Override
                            public boolean hasNext() {
                                return it.hasNext();
                            }

                            @Override
                            public HostTensor next() {
                                if (++n == 2) throw new IllegalStateException("disk full (simulated)");
                                return it.next();
                            }
                        };
                    }

                    @Override
                    public int size() {
                        return real.size();
                    }
                };
            }
        };
        good.params().forEach((k, v) -> failing.put("param." + k, new HostTensor(v.shape(), new float[v.data().length])));
        assertThrows(IllegalStateException.class, () -> SafeTensors.write(file, failing, Map.of("epoch", "99")));

        Checkpoint still = Checkpoint.load(file);
        assertEquals(1, still.epoch());
        for (String n : good.params().keySet()) {
            assertTrue(java.util.Arrays.equals(good.params().get(n).data(), still.params().get(n).data()), n);
        }
        assertEquals(List.of("checkpoint.safetensors"), listing(), "the temporary file is removed");
    }

    @Test
    void aWriterKilledMidWriteLeavesACompleteCheckpoint() throws Exception {
        Path file = dir.resolve("checkpoint.safetensors");
        int floats = 8 << 20; // 32 MiB per write: long enough to be killed inside one
        CheckpointWriterProcess.writeGeneration(file, 0, floats);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CheckpointWriterProcess.class.getName(), file.toString(), Integer.toString(floats))
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
            // let it complete a write or two, then kill it while a temporary file exists
            String line;
            while ((line = out.readLine()) != null && !line.equals("writing 2")) {
                assertTrue(line.startsWith("writing"), "child said: " + line);
            }
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (System.nanoTime() < deadline && listing().stream().noneMatch(n -> n.endsWith(".tmp"))) Thread.sleep(2);
            Thread.sleep(5);
            assertTrue(listing().stream().anyMatch(n -> n.endsWith(".tmp")), "caught the writer mid-write: " + listing());
            child.destroyForcibly();
            child.waitFor();
        } finally {
            child.destroyForcibly();
        }
        SafeTensors.Contents c = SafeTensors.read(file);
        int generation = Integer.parseInt(c.metadata().get("epoch"));
        assertTrue(generation >= 1, "the completed writes are visible, generation " + generation);
        float[] big = c.get("param.big").data();
        assertEquals(floats, big.length);
        for (int i = 0; i < big.length; i += 4099) assertEquals(generation, big[i], 0f, "value " + i + " of a whole generation");
        assertEquals(generation, big[big.length - 1], 0f);
        assertEquals(generation, c.get("param.small").data()[2], 0f);
    }

    private List<String> listing() {
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.map(p -> p.getFileName().toString()).sorted().toList());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
