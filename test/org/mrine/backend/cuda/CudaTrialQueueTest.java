package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mrine.backend.cuda.TrialQueue.GroupKey;
import org.mrine.backend.cuda.TrialQueue.Kind;
import org.mrine.backend.cuda.TrialQueue.Op;

/** The batching of per-trial mean passes: what may share a launch and in which order groups go. */
class CudaTrialQueueTest {
    static final GroupKey KMF = new GroupKey(Kind.KALMAN_MEAN_FORWARD, 10, 4, 3, 1, 2, 3, 0, 0);
    static final GroupKey RMF = new GroupKey(Kind.RTS_MEAN_FORWARD, 10, 4, 0, 0, 0, 0, 0, 0);
    static final GroupKey RMB = new GroupKey(Kind.RTS_MEAN_BACKWARD, 10, 4, 0, 0, 0, 0, 0, 0);
    static final GroupKey KMB = new GroupKey(Kind.KALMAN_MEAN_BACKWARD, 10, 4, 3, 1, 2, 3, 4, 5);

    /** Trial b's tensors at 1000 b + 100 k, 100 bytes each. */
    static long[] r(int b, int... k) {
        long[] out = new long[2 * k.length];
        for (int i = 0; i < k.length; i++) {
            out[2 * i] = 1000L * (b + 1) + 100L * k[i];
            out[2 * i + 1] = out[2 * i] + 100;
        }
        return out;
    }

    static final int OBS = 0, MASK = 1, FILT = 2, PRED = 3, SMOOTH = 4, D_SMOOTH = 5, D_FILT = 6, D_PRED = 7, D_OBS = 8;

    static Op kmf(int b) {
        return new Op(KMF, new long[] {b}, r(b, OBS, MASK), r(b, FILT, PRED), 0);
    }

    static Op rmf(int b) {
        return new Op(RMF, new long[] {b}, r(b, FILT, PRED), r(b, SMOOTH), 0);
    }

    static Op rmb(int b, long track) {
        return new Op(RMB, new long[] {b}, r(b, FILT, PRED, SMOOTH, D_SMOOTH, D_FILT, D_PRED), r(b, D_SMOOTH, D_FILT, D_PRED), track);
    }

    static Op kmb(int b, long track) {
        return new Op(KMB, new long[] {b}, r(b, OBS, MASK, FILT, PRED, D_FILT, D_PRED), r(b, D_FILT, D_PRED, D_OBS), track);
    }

    static List<String> flush(TrialQueue q) {
        List<String> launches = new ArrayList<>();
        q.flush((key, ops) -> {
            StringBuilder s = new StringBuilder(key.kind().name()).append(':');
            for (Op op : ops) s.append(op.fields[0]);
            launches.add(s.toString());
        });
        return launches;
    }

    @Test
    void theForwardPassOfABatchBecomesTwoLaunches() {
        TrialQueue q = new TrialQueue();
        for (int b = 0; b < 4; b++) {
            q.add(kmf(b));
            q.add(rmf(b));
        }
        assertEquals(List.of("KALMAN_MEAN_FORWARD:0123", "RTS_MEAN_FORWARD:0123"), flush(q));
        assertTrue(q.isEmpty());
    }

    @Test
    void theBackwardPassOfABatchBecomesTwoLaunchesWhateverTheTracks() {
        TrialQueue q = new TrialQueue();
        for (int b = 0; b < 4; b++) {
            q.add(rmb(b, 7 + b % 2));
            q.add(kmb(b, 9 + b % 2));
        }
        assertEquals(List.of("RTS_MEAN_BACKWARD:0123", "KALMAN_MEAN_BACKWARD:0123"), flush(q));
    }

    @Test
    void dependentOpsOfOneTrialStayInOrder() {
        TrialQueue q = new TrialQueue();
        q.add(kmf(0));
        q.add(kmf(0));   // rewrites what the first wrote: must not share its launch
        q.add(kmf(1));
        assertEquals(List.of("KALMAN_MEAN_FORWARD:01", "KALMAN_MEAN_FORWARD:0"), flush(q));
    }

    @Test
    void differentParametersDoNotShareALaunch() {
        TrialQueue q = new TrialQueue();
        q.add(kmf(0));
        GroupKey other = new GroupKey(Kind.KALMAN_MEAN_FORWARD, 10, 4, 3, 11, 12, 13, 0, 0);
        q.add(new Op(other, new long[] {1}, r(1, OBS, MASK), r(1, FILT, PRED), 0));
        q.add(kmf(2));
        assertEquals(List.of("KALMAN_MEAN_FORWARD:02", "KALMAN_MEAN_FORWARD:1"), flush(q));
    }

    @Test
    void rangesOverlapOnlyWhenTheyShareBytes() {
        assertTrue(TrialQueue.overlaps(new long[] {0, 10}, new long[] {9, 20}));
        assertFalse(TrialQueue.overlaps(new long[] {0, 10}, new long[] {10, 20}));
        assertFalse(TrialQueue.overlaps(new long[] {}, new long[] {0, 100}));
        assertTrue(TrialQueue.overlaps(new long[] {50, 60, 0, 1}, new long[] {0, 100}));
    }

    @Test
    void anEmptyQueueLaunchesNothing() {
        TrialQueue q = new TrialQueue();
        assertEquals(List.of(), flush(q));
        assertEquals(0, q.launchedGroups());
    }
}
