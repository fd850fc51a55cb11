package org.mrine.backend;

import org.mrine.tensor.Tensor;

/** Views of one trial of a batch tensor: [B,T,N] gives [T,N], a mask [B,T] gives [T]. */
public final class Trials {
    private Trials() {
    }

    /** Trial b of t [B,T,N] as [T,N]. */
    public static Tensor of(Tensor t, int b) {
        return t.slice(b, 1).view(t.dim(1), t.dim(2));
    }

    /** Row b of m [B,T] as [T]. */
    public static Tensor row(Tensor m, int b) {
        return m.slice(b, 1).view(m.dim(1));
    }

    /**
     * Trials grouped by the track they use (identity), groups in order of first use and the trials
     * of a group in increasing order: members[start[g] .. start[g + 1]) are group g's trials.
     * Returns the number of groups; start needs B + 1 entries, members B.
     */
    public static int groupByTrack(CovarianceTrack[] trackOf, int[] start, int[] members) {
        int trials = trackOf.length, groups = 0;
        int[] groupOf = new int[trials];
        CovarianceTrack[] firstOf = new CovarianceTrack[trials];
        int[] count = new int[trials];
        for (int b = 0; b < trials; b++) {
            int g = 0;
            while (g < groups && firstOf[g] != trackOf[b]) g++;
            if (g == groups) firstOf[groups++] = trackOf[b];
            groupOf[b] = g;
            count[g]++;
        }
        start[0] = 0;
        for (int g = 0; g < groups; g++) start[g + 1] = start[g] + count[g];
        int[] next = new int[groups];
        for (int b = 0; b < trials; b++) {
            int g = groupOf[b];
            members[start[g] + next[g]++] = b;
        }
        return groups;
    }
}
