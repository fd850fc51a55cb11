package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The kernels load on the GPUs labs own: each module's fat binary holds cubins for sm_80, sm_86,
 * sm_89, sm_90 and every newer GPU the installed nvcc can target, plus PTX for the JIT; it was built
 * from the current sources (fatbin.manifest: source hash and file hash); a driver too old for it
 * is told so in one line. On a device, both the fat binary and the PTX alone load.
 */
class CudaKernelImagesTest {
    /** The generations the issue names; newer ones come from nvcc's own list. */
    static final Set<String> REQUIRED = Set.of("sm_80", "sm_86", "sm_89", "sm_90", "compute_80");

    /** The targets in a fat binary: sm_NN for a cubin, compute_NN for PTX (the container format nvcc writes). */
    static Set<String> targets(byte[] fatbin) {
        ByteBuffer b = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xBA55ED50, b.getInt(0), "fat binary magic");
        int header = Short.toUnsignedInt(b.getShort(6));
        long size = b.getLong(8);
        assertEquals(fatbin.length, header + size, "fat binary size");
        Set<String> out = new TreeSet<>();
        long at = header;
        while (at < header + size) {
            int kind = Short.toUnsignedInt(b.getShort((int) at));
            long entryHeader = Integer.toUnsignedLong(b.getInt((int) at + 4));
            long payload = b.getLong((int) at + 8);
            int arch = b.getInt((int) at + 28);
            out.add((kind == 1 ? "compute_" : kind == 2 ? "sm_" : "kind" + kind + "_") + arch);
            at += entryHeader + payload;
        }
        return out;
    }

    record Line(String source, String sha256, String nvcc, Set<String> targets) {
    }

    static Map<String, Line> manifest() throws Exception {
        Map<String, Line> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(CudaPtxFreshnessTest.dir().resolve("fatbin.manifest"))) {
            String[] f = line.split(" ");
            m.put(f[0], new Line(f[1], f[2], f[3].substring("nvcc=".length()), new TreeSet<>(Set.of(f[4].substring("targets=".length()).split(",")))));
        }
        return m;
    }

    @Test
    void everyModuleHasCubinsForTheNamedGenerationsAndPtx() throws Exception {
        long total = 0;
        for (String module : Kernel.modules()) {
            Path fatbin = CudaPtxFreshnessTest.dir().resolve(module + ".fatbin");
            assertTrue(Files.exists(fatbin), fatbin + " is missing: run kernels/build.sh and commit it");
            byte[] bytes = Files.readAllBytes(fatbin);
            total += bytes.length;
            Set<String> t = targets(bytes);
            assertTrue(t.containsAll(REQUIRED), module + ": " + t);
            assertEquals(manifest().get(module + ".fatbin").targets(), t, module + ": the manifest's targets vs the file's");
            System.out.println(module + ".fatbin: " + bytes.length + " bytes, " + t);
        }
        assertTrue(total < 4L << 20, "fat binaries take " + total + " bytes: keep them compressed (--compress-mode=size)");
    }

    /** Where the nvcc that built the kernels is installed: every generation from sm_90 on that it can target. */
    @Test
    void everyNewerGenerationTheInstalledNvccTargetsHasACubin() throws Exception {
        String nvcc = CudaPtxFreshnessTest.nvccVersion();
        CudaTargets.need(nvcc != null, "nvcc", "nvcc is not on the PATH");
        String built = manifest().values().iterator().next().nvcc();
        CudaTargets.need(nvcc.equals(built), "nvcc", "nvcc " + nvcc + " here, the kernels were built with " + built);
        Process p = new ProcessBuilder("nvcc", "--list-gpu-code").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        Set<String> newer = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^sm_(\\d+)$").matcher(out);
        while (m.find()) if (Integer.parseInt(m.group(1)) >= 90) newer.add("sm_" + m.group(1));
        assertFalse(newer.isEmpty(), out);
        for (String module : Kernel.modules()) {
            Set<String> t = targets(Files.readAllBytes(CudaPtxFreshnessTest.dir().resolve(module + ".fatbin")));
            assertTrue(t.containsAll(newer), module + ".fatbin lacks some of " + newer + " that nvcc " + nvcc + " targets: " + t);
        }
    }

    @Test
    void theManifestNamesTheCurrentSourcesAndTheCommittedFiles() throws Exception {
        Map<String, Line> manifest = manifest();
        assertEquals(new TreeSet<>(Kernel.modules().stream().map(x -> x + ".fatbin").toList()), new TreeSet<>(manifest.keySet()));
        for (var e : manifest.entrySet()) {
            String module = e.getKey().replace(".fatbin", "");
            Path cu = CudaPtxFreshnessTest.dir().resolve(module + ".cu");
            assertEquals(CudaPtxFreshnessTest.sourceHash(cu), e.getValue().source(),
                    module + ".cu (or a header it includes) changed since its fat binary was built: run kernels/build.sh and commit");
            byte[] bytes = Files.readAllBytes(CudaPtxFreshnessTest.dir().resolve(e.getKey()));
            assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), e.getValue().sha256(),
                    e.getKey() + " is not the file kernels/build.sh built");
            String ptx = Files.readString(CudaPtxFreshnessTest.dir().resolve(module + ".ptx"));
            assertTrue(ptx.contains("// mrine-nvcc: " + e.getValue().nvcc()), module + ".ptx and .fatbin come from one nvcc");
            assertTrue(ptx.contains(".target sm_80"), module + ".ptx is the compute_80 PTX the fat binary carries");
        }
    }

    @Test
    void aDriverTooOldForTheKernelsIsToldWhichItNeeds() {
        String line = KernelImages.driverTooOld(12040, 222, "13.0.88");
        assertEquals("the NVIDIA driver here supports CUDA 12.4, but mrine's GPU kernels were built with CUDA 13.0 and need a driver for"
                + " CUDA 13.0 or newer (NVIDIA Linux driver 580 or newer): update the driver, or run with --backend cpu", line);
        assertTrue(KernelImages.driverTooOld(12080, 209, "13.0.88").contains("supports CUDA 12.8"));
        assertNull(KernelImages.driverTooOld(13000, 222, "13.0.88"), "a new enough driver: another reason");
        assertNull(KernelImages.driverTooOld(12040, 700, "13.0.88"), "an illegal address is no version problem");
        assertEquals("13.0.88", KernelImages.nvccRelease(), "the manifest on the classpath names the nvcc that built the kernels");
    }

    /** On a device: the fat binary (its cubin for this GPU) and the PTX alone (the JIT path of GPUs without one) both load. */
    @Test
    void theFatBinaryAndThePtxBothLoadOnTheDevice() {
        CudaTargets.needDevice();
        try (JCudaApi api = JCudaApi.open(0)) {
            System.out.println("fat binaries loaded on " + api.deviceName());
        }
        System.setProperty("mrine.cuda.kernels", "ptx");
        try (JCudaApi api = JCudaApi.open(0)) {
            System.out.println("PTX (JIT-compiled by the driver) loaded on " + api.deviceName());
        } finally {
            System.clearProperty("mrine.cuda.kernels");
        }
    }
}
