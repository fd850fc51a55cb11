package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link CpuBackend#sectionsOnCallerOnly}: a real-time decoding thread's parallel sections run on
 * it alone (mrine serve --pin-cpu), and the helpers take part again once the handle has run.
 */
class SectionsOnCallerTest {

    @Test
    void sectionsRunOnTheCallerAloneUntilPutBack() throws InterruptedException {
        try (var two = CpuTuning.use(CpuTuning.defaults().withThreads(2))) {
            Thread caller = Thread.currentThread();
            Runnable back = CpuBackend.sectionsOnCallerOnly();
            ConcurrentHashMap<Thread, Integer> ran = new ConcurrentHashMap<>();
            CpuThreads.forEach(64, (w, i) -> {
                assertEquals(0, w);
                ran.merge(Thread.currentThread(), 1, Integer::sum);
            });
            assertEquals(java.util.Map.of(caller, 64), ran);
            back.run();
            // put back: a section whose first item waits for a second thread finishes only if a helper joins
            CountDownLatch both = new CountDownLatch(2);
            ConcurrentHashMap<Thread, Integer> after = new ConcurrentHashMap<>();
            CpuThreads.forEach(2, (w, i) -> {
                after.merge(Thread.currentThread(), 1, Integer::sum);
                both.countDown();
                try {
                    both.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertEquals(0, both.getCount(), "a helper took the second item");
            assertTrue(after.size() == 2 && after.containsKey(caller), after.toString());
        }
    }
}
