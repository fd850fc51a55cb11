package org.mrine.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's threads: the calling thread and up to {@code threads - 1} helpers
 * ({@link CpuTuning#threads()}) share the items of a parallel section, each taking the next
 * unclaimed item until none is left. Each item is run with the index of the thread that runs it
 * (0 for the caller), for per-thread scratch, so no two threads ever write the same memory.
 *
 * <p>Why not a fork/join pool with the items dealt out in advance: on a machine shared with other
 * processes a thread is often not running when its share is due. With the items dealt out, the
 * whole section then waits for it (a time slice, milliseconds, at every one of the hundreds of
 * sections of a step); here the caller works from the start, a helper joins only while it runs,
 * and whoever runs takes what is left, so a descheduled helper costs at most the one item it holds.
 * Helpers poll for the next section for {@link CpuTuning#spinMicros()} before they sleep (a
 * wake-up from sleep costs a system call and a scheduler decision). Results never depend on which
 * thread ran an item: callers reduce per-item results in item order.
 *
 * <p>Sections do not nest: a section started from inside an item, or while another thread's
 * section holds the helpers, runs on its calling thread alone.
 */
final class CpuThreads {
    /** Threads that per-thread scratch is sized for: at least every core (and -Dmrine.threads when larger). */
    static final int MAX_WORKERS = Math.max(CpuTuning.cores(), Math.max(1, Integer.getInteger("mrine.threads", 1)));

    interface Body {
        void run(int worker, int index);
    }

    private CpuThreads() {
    }

    /** One parallel section. */
    private static final class Job {
        final Body body;
        final int count;
        final int threads;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger pending;
        volatile Throwable failure;

        Job(Body body, int count, int threads, Thread caller) {
            this.body = body;
            this.count = count;
            this.threads = threads;
            this.caller = caller;
            this.pending = new AtomicInteger(count);
        }

        /** Runs unclaimed items until none is left. */
        void work(int worker) {
            for (int i; (i = next.getAndIncrement()) < count; ) {
                try {
                    body.run(worker, i);
                } catch (Throwable t) {
                    failure = t;
                }
                if (pending.decrementAndGet() == 0 && worker != 0) LockSupport.unpark(caller);
            }
        }
    }

    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static volatile Job job;
    private static Helper[] helpers = new Helper[0];
    /** Set on a thread while it runs items of a section: sections started there run inline. */
    private static final ThreadLocal<boolean[]> INSIDE = ThreadLocal.withInitial(() -> new boolean[1]);

    /** Sections started on the calling thread run inline until the returned handle runs (it puts back what was there). */
    static Runnable onCallerOnly() {
        boolean[] inside = INSIDE.get();
        boolean was = inside[0];
        inside[0] = true;
        return () -> inside[0] = was;
    }

    /** How many threads {@link #forEach} would use for count items now. */
    static int workers(int count) {
        return Math.max(1, Math.min(Math.min(CpuTuning.current().threads(), MAX_WORKERS), count));
    }

    /** Runs body for every index in [0, count), items shared by up to {@link CpuTuning#threads()} threads. */
    static void forEach(int count, Body body) {
        int threads = workers(count);
        boolean[] inside = INSIDE.get();
        if (threads <= 1 || inside[0] || !BUSY.compareAndSet(false, true)) {
            for (int i = 0; i < count; i++) body.run(0, i);
            return;
        }
        inside[0] = true;
        try {
            Job j = new Job(body, count, threads, Thread.currentThread());
            ensureHelpers(threads - 1);
            job = j;
            for (int h = 0; h < threads - 1; h++) helpers[h].wake();
            j.work(0);
            awaitDone(j);
            if (j.failure instanceof RuntimeException e) throw e;
            if (j.failure instanceof Error e) throw e;
            if (j.failure != null) throw new IllegalStateException(j.failure);
        } finally {
            job = null;
            inside[0] = false;
            BUSY.set(false);
        }
    }

    /** Elements per range of an elementwise pass: some microseconds each, well above what a section costs. */
    static final long ELEMENTWISE_RANGE = 16384;

    interface RangeBody {
        void run(int worker, long from, long to);
    }

    /**
     * Runs body over [0, n) in consecutive ranges of at least {@code minRange} (a few per thread):
     * for elementwise passes, whose results do not depend on where the ranges fall.
     */
    static void forRanges(long n, long minRange, RangeBody body) {
        int ranges = (int) Math.max(1, Math.min(4L * MAX_WORKERS, n / Math.max(1, minRange)));
        if (ranges == 1) {
            if (n > 0) body.run(0, 0, n);
            return;
        }
        forEach(ranges, (w, r) -> body.run(w, n * r / ranges, n * (r + 1) / ranges));
    }

    /** Waits for the items that helpers still hold: polls for the spin time, then sleeps until woken. */
    private static void awaitDone(Job j) {
        long spinUntil = System.nanoTime() + CpuTuning.current().spinMicros() * 1000L;
        while (j.pending.get() != 0) {
            if (System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(j, 50_000);
            }
        }
    }

    private static synchronized void ensureHelpers(int n) {
        if (helpers.length >= n) return;
        Helper[] grown = java.util.Arrays.copyOf(helpers, n);
        for (int h = helpers.length; h < n; h++) {
            grown[h] = new Helper(h + 1);
            grown[h].start();
        }
        helpers = grown;
    }

    /** A helper thread: worker index {@code id}, joining every section that asks for more than id threads. */
    private static final class Helper extends Thread {
        private final int id;
        private volatile boolean sleeping;
        private Job last;

        Helper(int id) {
            super("mrine-cpu-" + id);
            this.id = id;
            setDaemon(true);
        }

        void wake() {
            if (sleeping) LockSupport.unpark(this);
        }

        @Override
        public void run() {
            INSIDE.get()[0] = true;
            while (true) {
                Job j = awaitJob();
                last = j;
                if (id < j.threads) j.work(id);
            }
        }

        /** The next section: polled for the spin time, then slept for (the caller wakes sleepers). */
        private Job awaitJob() {
            long spinUntil = System.nanoTime() + CpuTuning.current().spinMicros() * 1000L;
            while (true) {
                Job j = job;
                if (j != null && j != last) return j;
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                    continue;
                }
                sleeping = true;
                j = job;
                if (j == null || j == last) LockSupport.park(this);
                sleeping = false;
                spinUntil = System.nanoTime() + CpuTuning.current().spinMicros() * 1000L;
            }
        }
    }
}
