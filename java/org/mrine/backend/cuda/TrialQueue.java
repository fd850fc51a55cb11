package org.mrine.backend.cuda;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-trial mean recursions, deferred and batched. The model calls the Kalman and RTS mean passes
 * one trial at a time; a lone trial's recursion is a single block of sequential small products, so
 * launching each on its own would leave the device idle. The backend queues them here instead and
 * issues them as one launch per group (one block per trial) before any other work is enqueued.
 *
 * <p>An op's level is one more than the highest level of the earlier queued ops it depends on (it
 * reads what they write, or writes what they read or write, by device address range); ops of one
 * level are independent. Flushing launches level by level, one launch per (level, kind, parameters)
 * group, in the order the groups first appeared. Accumulations into tensors shared by trials (a
 * track's gain gradients, the LDM's parameter gradients) are sums the group's reduction kernels add,
 * so they do not order ops.
 */
final class TrialQueue {

    enum Kind { KALMAN_MEAN_FORWARD, KALMAN_MEAN_BACKWARD, RTS_MEAN_FORWARD, RTS_MEAN_BACKWARD }

    /** What a group's ops share: kind, sizes, and the parameter and gradient addresses they use. */
    record GroupKey(Kind kind, int steps, int latent, int embedding, long a, long c, long x0, long gradA, long gradC) {
    }

    /** One queued trial: its kernel descriptor, the ranges it reads and writes, its track's accumulator. */
    static final class Op {
        final GroupKey key;
        final long[] fields;
        final long[] reads;
        final long[] writes;
        /** Address of the track tensor the group's reduction accumulates into (dGain or dSmootherGain). */
        final long accumulator;
        int level;

        Op(GroupKey key, long[] fields, long[] reads, long[] writes, long accumulator) {
            this.key = key;
            this.fields = fields;
            this.reads = reads;
            this.writes = writes;
            this.accumulator = accumulator;
        }
    }

    /** Issues one group (all of one level, kind and key) as launches. */
    interface Launcher {
        void launch(GroupKey key, List<Op> ops);
    }

    private final List<Op> pending = new ArrayList<>();
    private int launches;

    boolean isEmpty() {
        return pending.isEmpty();
    }

    int size() {
        return pending.size();
    }

    /** Groups launched so far (for tests and statistics). */
    int launchedGroups() {
        return launches;
    }

    void add(Op op) {
        int level = 0;
        for (Op earlier : pending) {
            if (earlier.level >= level && dependsOn(op, earlier)) level = earlier.level + 1;
        }
        op.level = level;
        pending.add(op);
    }

    static boolean dependsOn(Op later, Op earlier) {
        return overlaps(later.reads, earlier.writes) || overlaps(later.writes, earlier.writes) || overlaps(later.writes, earlier.reads);
    }

    /** Whether any [start, end) range of a meets any of b (ranges as consecutive pairs). */
    static boolean overlaps(long[] a, long[] b) {
        for (int i = 0; i < a.length; i += 2) {
            for (int j = 0; j < b.length; j += 2) {
                if (a[i] < b[j + 1] && b[j] < a[i + 1]) return true;
            }
        }
        return false;
    }

    /** The queued ops grouped for launching: by level, then by key in order of first appearance. */
    static List<List<Op>> schedule(List<Op> ops) {
        int maxLevel = 0;
        for (Op op : ops) maxLevel = Math.max(maxLevel, op.level);
        List<List<Op>> groups = new ArrayList<>();
        for (int level = 0; level <= maxLevel; level++) {
            Map<GroupKey, List<Op>> byKey = new LinkedHashMap<>();
            for (Op op : ops) {
                if (op.level == level) byKey.computeIfAbsent(op.key, k -> new ArrayList<>()).add(op);
            }
            groups.addAll(byKey.values());
        }
        return groups;
    }

    /** Launches everything queued (the queue is empty afterwards, also when a launch fails). */
    void flush(Launcher launcher) {
        if (pending.isEmpty()) return;
        List<Op> ops = new ArrayList<>(pending);
        pending.clear();
        for (List<Op> group : schedule(ops)) {
            launcher.launch(group.get(0).key, group);
            launches++;
        }
    }
}
