package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mrine.data.Dataset;
import org.mrine.train.TrainConfig;
import org.mrine.train.Trainer;
import org.mrine.train.TrainingListener;

/**
 * One host round trip per training step: everything a step computes stays on the device but its
 * loss terms and gradient norm, which come back in one transfer; the batch and its noise go up as
 * the model copies them in, and nothing else crosses. Counted on the emulated device, at the layer
 * a real device implements ({@link DeviceApi}): every download and synchronize is a wait.
 */
class CudaHostSyncTest {

    /** What one step uploads: per modality its data, mask, time-dropped mask and dropout factors, and the fused embedding's factors. */
    static int uploadsPerStep(int modalities) {
        return 4 * modalities + 1;
    }

    /**
     * Trains and counts: on the emulation the waits the API layer sees ({@link EmulatedApi#hostSyncs}),
     * on a device the backend's own count of its waits.
     */
    static void countOneWaitPerStep(CudaBackend gpu, EmulatedApi api, CudaTrainingTest.Case c) {
        Dataset data = CudaTrainingTest.data(c);
        TrainConfig cfg = CudaTrainingTest.config(c);
        int[] train = new int[c.trials()];
        for (int i = 0; i < c.trials(); i++) train[i] = i;
        Trainer t = new Trainer(Trainer.Run.prepare(cfg, data, train, new int[0], List.of("s", "y"), null), gpu);
        long syncs = api != null ? api.hostSyncs() : gpu.hostWaits(), own = gpu.hostWaits();
        long uploads = gpu.tensorUploads(), downloads = gpu.tensorDownloads();
        t.fit(null, TrainingListener.SILENT);
        long waits = (api != null ? api.hostSyncs() : gpu.hostWaits()) - syncs;
        // the backend's own count (what the device test relies on) agrees with the API layer's
        assertEquals(waits, gpu.hostWaits() - own, "the backend's count of its waits");
        long steps = c.trainingSteps();
        System.out.printf("[%s] %d training steps (%d channels): %d waits for the device, %d tensor uploads, %d tensor downloads%n",
                gpu.deviceName(), steps, c.channels(), waits, gpu.tensorUploads() - uploads, gpu.tensorDownloads() - downloads);
        assertEquals(steps, waits, "waits for the device: one per training step");
        assertEquals(0, gpu.tensorDownloads() - downloads, "tensors brought back to the host during training");
        assertEquals(steps * uploadsPerStep(2), gpu.tensorUploads() - uploads, "tensors sent to the device during training");
    }

    static void countOneWaitPerStep(CudaTrainingTest.Case c) {
        CudaTargets.assumeEmulation();
        EmulatedApi api = new EmulatedApi();
        try (CudaBackend gpu = new CudaBackend(api, CudaTargets.EMULATION)) {
            countOneWaitPerStep(gpu, api, c);
        }
    }

    @Test
    void aTrainingStepOnTheDeviceWaitsForItOnce() {
        try (CudaBackend gpu = CudaTargets.device()) {
            countOneWaitPerStep(gpu, null, new CudaTrainingTest.Case(20, 16, 8, 50, 3));
        }
    }

    /** Six epochs of three batches: enough steps for the argument tables to go round their ring several times. */
    @Test
    void aTrainingStepWaitsForTheDeviceOnce() {
        countOneWaitPerStep(new CudaTrainingTest.Case(6, 12, 4, 12, 6));
    }

    @Test
    void aTrainingStepAtThePapersSizeWaitsForTheDeviceOnce() {
        countOneWaitPerStep(new CudaTrainingTest.Case(20, 4, 2, 10, 1));
    }

    /** The argument ring reuses its space without a wait of its own when the host waits often enough, and waits when it must. */
    @Test
    void theDescriptorRingWaitsOnlyWhenItWouldOverwriteTablesInFlight() {
        CudaTargets.assumeEmulation();
        EmulatedApi api = new EmulatedApi();
        CudaMemory memory = new CudaMemory(api, () -> { });
        DescriptorRing ring = new DescriptorRing(api, memory, 1024);
        long[] table = new long[16];   // 128 bytes: 8 to a lap
        for (int step = 0; step < 20; step++) {
            for (int i = 0; i < 3; i++) ring.put(table, table.length);
            memory.synchronize();   // the step's one wait
        }
        assertEquals(20, api.hostSyncs(), "a ring that holds a step's tables adds no wait of its own");
        long before = api.hostSyncs();
        for (int i = 0; i < 8 * 3; i++) ring.put(table, table.length);
        assertEquals(2, api.hostSyncs() - before, "24 tables with no wait between them go round a lap of 8 twice: two waits");
    }
}
