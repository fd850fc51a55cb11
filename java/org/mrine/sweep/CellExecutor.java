package org.mrine.sweep;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs the cells of a sweep somewhere: threads of this process ({@link LocalExecutor}), or a
 * cluster (the {@code mrine-spark} module provides one through {@link Provider}). Results come
 * back one by one as cells finish, in any order.
 */
public interface CellExecutor extends AutoCloseable {

    /** One line for the console: where the cells run. */
    String describe();

    /**
     * Runs every cell on the dataset stored in {@code datasetFile} (a mrine dataset file: executors
     * without a shared file system receive its bytes), calling {@code done} for each result; it is
     * called from one thread at a time.
     */
    void run(Path datasetFile, List<CellSpec> cells, Consumer<CellResult> done);

    @Override
    void close();

    /** Found with {@link java.util.ServiceLoader}: an executor that a module on the class path adds. */
    interface Provider {
        /** The name {@code --executor} takes. */
        String name();

        /**
         * @param master where to run (the provider's own syntax, e.g. {@code local[*]} or {@code spark://host:port}); null = its default
         * @param threads cells at once on this machine when {@code master} is null (0 = all cores)
         */
        CellExecutor create(String master, int threads);
    }
}
