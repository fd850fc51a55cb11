package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.io.SafeTensors;
import org.mrine.tensor.HostTensor;

/** The stable contract: {@code mrine loss --fixture IN --out OUT}. */
class LossCommandTest {
    @TempDir
    Path dir;

    private static Path fixture(String name) {
        return Path.of(System.getProperty("mrine.shared", "../shared"), "fixtures", name + ".safetensors");
    }


    private static CliRun mrine(String... args) {
        return CliRun.of(args);
    }

    @Test
    void writesEveryExpectedTensorUnderTheFixtureNames() {
        Path out = dir.resolve("out.safetensors");
        CliRun r = mrine("loss", "--fixture", fixture("reference-small").toString(), "--out", out.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("64 compared, 0 failed"), r.out());
        SafeTensors.Contents ref = SafeTensors.read(fixture("reference-small"));
        SafeTensors.Contents ours = SafeTensors.read(out);
        Set<String> expected = new TreeSet<>(), written = new TreeSet<>();
        for (String k : ref.tensors().keySet()) if (k.startsWith("out.") || k.startsWith("loss.") || k.startsWith("grad.")) expected.add(k);
        written.addAll(ours.tensors().keySet());
        assertEquals(expected, written);
        for (String k : expected) assertArrayEquals(ref.get(k).shape(), ours.get(k).shape(), k);
        assertEquals(ref.metadata().get("config"), ours.metadata().get("config"));
    }

    /** A fixture of sizes never seen, with no expected values: computed, written, exit 0. */
    @Test
    void handlesNewSizesWithoutExpectedValues() {
        SafeTensors.Contents ref = SafeTensors.read(fixture("reference-small"));
        Map<String, HostTensor> in = new LinkedHashMap<>();
        ref.tensors().forEach((k, v) -> {
            if (k.startsWith("param.") || k.startsWith("input.")) in.put(k, v);
        });
        // keep the parameters, cut the batch to 2 trials of 9 steps
        for (String k : new String[] {"input.s", "input.y", "input.m_s", "input.m_y"}) {
            HostTensor t = in.get(k);
            int[] shape = t.shape().clone();
            int per = t.data().length / (shape[0] * shape[1]);
            float[] cut = new float[2 * 9 * per];
            for (int b = 0; b < 2; b++) System.arraycopy(t.data(), b * shape[1] * per, cut, b * 9 * per, 9 * per);
            shape[0] = 2;
            shape[1] = 9;
            in.put(k, new HostTensor(shape, cut));
        }
        Path file = dir.resolve("new.safetensors");
        SafeTensors.write(file, in, Map.of("config", ref.metadata().get("config")));
        Path out = dir.resolve("new-out.safetensors");
        CliRun r = mrine("loss", "--fixture", file.toString(), "--out", out.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        SafeTensors.Contents ours = SafeTensors.read(out);
        assertArrayEquals(new int[] {2, 9, 3, 3}, ours.get("out.Sigma_smooth").shape());
        assertTrue(Float.isFinite(ours.get("loss.total_loss").data()[0]));
        assertTrue(ours.has("grad.encoder.ldm_y.R_log_diag"));
    }

    @Test
    void wrongShapeIsAClearError() {
        SafeTensors.Contents ref = SafeTensors.read(fixture("reference-small"));
        Map<String, HostTensor> in = new LinkedHashMap<>(ref.tensors());
        in.put("param.ldm.C", HostTensor.zeros(3, 4));
        Path file = dir.resolve("bad.safetensors");
        SafeTensors.write(file, in, ref.metadata());
        Path out = dir.resolve("bad-out.safetensors");
        CliRun r = mrine("loss", "--fixture", file.toString(), "--out", out.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("param.ldm.C") && r.err().contains("[3, 4]") && r.err().contains("[4, 3]")
                && r.err().contains("bad.safetensors"), r.err());
        assertTrue(!out.toFile().exists(), "nothing is written for a bad input");
    }

    @Test
    void missingConfigIsAClearError() {
        SafeTensors.Contents ref = SafeTensors.read(fixture("reference-small"));
        Path file = dir.resolve("noconfig.safetensors");
        SafeTensors.write(file, ref.tensors(), Map.of());
        CliRun r = mrine("loss", "--fixture", file.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("config") && r.err().contains("noconfig.safetensors"), r.err());
    }
}
