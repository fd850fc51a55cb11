package org.mrine.sweep;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.mrine.data.Dataset;

/** Cells on a pool of threads of this process, the dataset read once. */
public final class LocalExecutor implements CellExecutor {
    private final int threads;
    private final ExecutorService pool;

    public LocalExecutor(int threads) {
        this.threads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        this.pool = Executors.newFixedThreadPool(this.threads, r -> {
            Thread t = new Thread(r, "mrine-cell");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String describe() {
        return "local threads: " + threads;
    }

    @Override
    public void run(Path datasetFile, List<CellSpec> cells, Consumer<CellResult> done) {
        Dataset raw = Dataset.load(datasetFile);
        String worker = host() + "/local";
        ExecutorCompletionService<CellResult> results = new ExecutorCompletionService<>(pool);
        for (CellSpec c : cells) results.submit(() -> CellTask.run(raw, c, worker));
        try {
            for (int i = 0; i < cells.size(); i++) done.accept(results.take().get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());  // CellTask turns every failure into a result
        }
    }

    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
