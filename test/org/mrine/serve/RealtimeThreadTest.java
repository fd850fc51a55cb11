package org.mrine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The decoding thread's placement through libc, read back from the kernel: each check runs on a
 * thread of its own, so the test runner's thread keeps its scheduling whatever happens.
 */
class RealtimeThreadTest {

    /** Whether this process may use SCHED_FIFO: CAP_SYS_NICE (bit 23) in /proc/self/status's CapEff. */
    static boolean maySchedFifo() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 23)) != 0;
        }
        return false;
    }

    private static void onOwnThread(Runnable check) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("placement-under-test").start(() -> {
            try {
                check.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
    }

    @Test
    void pinnedToEachCpuAndBackToAll() throws InterruptedException {
        assertNull(RealtimeThread.problem());
        onOwnThread(() -> {
            List<Integer> all = RealtimeThread.affinity();
            assertTrue(!all.isEmpty() && all.size() <= Runtime.getRuntime().availableProcessors(), all.toString());
            for (int cpu : all) {
                try (RealtimeThread.Placement before = RealtimeThread.place(cpu, 0)) {
                    assertEquals(all, before.cpus());
                    assertEquals(List.of(cpu), RealtimeThread.affinity());
                    assertEquals(0, RealtimeThread.policy());
                }
                assertEquals(all, RealtimeThread.affinity());
            }
        });
    }

    @Test
    void schedFifoAtAPriorityAndBack() throws Exception {
        boolean may = maySchedFifo();
        onOwnThread(() -> {
            assertEquals(99, RealtimeThread.maxFifoPriority());
            assertEquals(0, RealtimeThread.policy());
            if (may) {
                try (RealtimeThread.Placement before = RealtimeThread.place(-1, 10)) {
                    assertEquals(0, before.policy());
                    assertEquals(RealtimeThread.SCHED_FIFO, RealtimeThread.policy());
                    assertEquals(10, RealtimeThread.priority());
                }
                assertEquals(0, RealtimeThread.policy());
                assertEquals(0, RealtimeThread.priority());
            } else {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> RealtimeThread.place(-1, 10));
                assertTrue(e.getMessage().contains("not permitted: real-time scheduling needs root, CAP_SYS_NICE"), e.getMessage());
                assertEquals(0, RealtimeThread.policy());
            }
        });
    }

    @Test
    void aCpuOrPriorityOutOfRangeChangesNothing() throws InterruptedException {
        onOwnThread(() -> {
            List<Integer> all = RealtimeThread.affinity();
            int notAllowed = all.get(all.size() - 1) + 1;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RealtimeThread.place(notAllowed, 0));
            assertEquals("CPU " + notAllowed + " is not one this process may run on (it may run on " + all + ")", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> RealtimeThread.place(all.get(0), 100));
            assertEquals("real-time priority 100: expected 1 to 99", e.getMessage());
            assertEquals(all, RealtimeThread.affinity(), "the pin undone when the priority is refused");
            assertEquals(0, RealtimeThread.policy());
        });
    }
}
