package org.mrine.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The CPU backend's worker pool: independent items (covariance tracks, row blocks) are dealt
 * round-robin to at most {@link #WORKERS} tasks, each with its own scratch (indexed by worker), so
 * no two threads ever write the same memory. {@code -Dmrine.threads=1} runs everything on the
 * calling thread.
 */
final class CpuThreads {
    static final int WORKERS = Math.max(1, Integer.getInteger("mrine.threads", Runtime.getRuntime().availableProcessors()));
    static final ForkJoinPool POOL = WORKERS > 1 ? new ForkJoinPool(WORKERS) : null;

    interface Body {
        void run(int worker, int index);
    }

    private CpuThreads() {
    }

    /** How many workers {@link #forEach} will use for count items. */
    static int workers(int count) {
        return POOL == null || ForkJoinTask.inForkJoinPool() ? 1 : Math.min(WORKERS, count);
    }

    static void forEach(int count, Body body) {
        int w = workers(count);
        if (w <= 1) {
            for (int i = 0; i < count; i++) body.run(0, i);
            return;
        }
        RecursiveAction[] tasks = new RecursiveAction[w];
        for (int j = 0; j < w; j++) {
            final int worker = j;
            tasks[j] = new RecursiveAction() {
                @Override
                protected void compute() {
                    for (int i = worker; i < count; i += w) body.run(worker, i);
                }
            };
        }
        POOL.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                invokeAll(tasks);
            }
        });
    }
}
