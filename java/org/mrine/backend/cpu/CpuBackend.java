package org.mrine.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.IntToDoubleFunction;
import org.mrine.backend.Backend;
import org.mrine.backend.CounterStream;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.CovarianceWork;
import org.mrine.backend.LdmParams;
import org.mrine.backend.Sums;
import org.mrine.backend.Trials;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * The pure-Java backend: the readable specification of every layer operation, with Vector API
 * inner loops ({@link Blas}). One instance is used by one thread at a time (its scratch
 * matrices are shared between calls).
 */
public final class CpuBackend implements Backend {
    private final Workspace workspace = new Workspace();
    private final Arena scratch = Arena.ofShared();
    /** The covariance forward passes' shared first steps (one pass at a time: passes do not nest). */
    private final SharedPrefixes prefixes = new SharedPrefixes();
    /** The same for the backward passes: who shares with whom (from the tracks' masks), and the plan. */
    private final SharedPrefixes backwardPrefixes = new SharedPrefixes();
    private final SharedBackward sharedBackward = new SharedBackward();
    /** Per LDM of a pass: the jumps of its filter-only tracks over the steps without a sample (a backward reuses its forward's tables). */
    private SkipAhead[] skipPool = new SkipAhead[0];
    /** A^T and C^T for the batched mean passes. */
    private final MemorySegment[] meanTransposed = {MemorySegment.NULL, MemorySegment.NULL};
    /** Per-thread scratch: Kalman and RTS workspaces. */
    private final CpuKalman[] kalmanScratch = new CpuKalman[CpuThreads.MAX_WORKERS];
    private final CpuRts[] rtsScratch = new CpuRts[CpuThreads.MAX_WORKERS];
    /** Per-item gradient accumulators of the parallel passes, reduced in item order afterwards. */
    private LdmParams[] itemGrads = new LdmParams[0];
    private int scratchDim;
    private MemorySegment innovationScratch = MemorySegment.NULL;
    /** Per-trial adjoints of the latent smoothness' variances, [B][T-1, dims, 2]. */
    private float[][] varianceAdjoints = new float[0][];

    public CpuBackend() {
        CpuTuning.calibrateOnFirstUse();
    }

    /**
     * From now until the returned handle runs, the parallel sections the calling thread starts run
     * on it alone: for a real-time decoding thread pinned to one CPU, where a helper woken for a
     * section is often placed on that very CPU and waits there for the caller to yield (the full
     * covariance update took 3x as long, measured); its results are the same bits either way.
     */
    public static Runnable sectionsOnCallerOnly() {
        return CpuThreads.onCallerOnly();
    }

    /**
     * Scratch matrices for the Kalman and RTS steps, sized for the largest latent or embedding
     * size seen: allocated by the first call for a track of that size, reused afterwards.
     */
    private CpuKalman kalman(CovarianceTrack tr) {
        ensureScratch(Math.max(tr.latentDim, tr.embeddingDim));
        return kalmanScratch[0];
    }

    private CpuRts rts(CovarianceTrack tr) {
        ensureScratch(Math.max(tr.latentDim, tr.embeddingDim));
        return rtsScratch[0];
    }

    private void ensureScratch(int dim) {
        if (dim > scratchDim) {
            for (int w = 0; w < CpuThreads.MAX_WORKERS; w++) {
                kalmanScratch[w] = new CpuKalman(scratch, dim);
                rtsScratch[w] = new CpuRts(scratch, dim);
            }
            scratchDim = dim;
        }
    }

    /**
     * Gradient accumulators for the items of a parallel pass: grad itself when there is one item,
     * else one zeroed accumulator per item, which {@link #reduce} adds to grad in item order. The
     * sums then never depend on which thread ran which item, nor on how many threads there were.
     */
    private LdmParams[] gradAccumulators(LdmParams grad, int items) {
        return gradAccumulators(grad, items, 0);
    }

    /** {@link #gradAccumulators(LdmParams, int)} from pooled accumulator {@code firstSlot} on, for several sets alive at once. */
    private LdmParams[] gradAccumulators(LdmParams grad, int items, int firstSlot) {
        if (items == 1) return new LdmParams[] {grad};
        if (itemGrads.length < firstSlot + items) itemGrads = java.util.Arrays.copyOf(itemGrads, firstSlot + items);
        LdmParams[] acc = new LdmParams[items];
        for (int i = 0; i < items; i++) {
            LdmParams g = itemGrads[firstSlot + i];
            if (g == null || g.a().size() != grad.a().size() || g.c().size() != grad.c().size()) {
                g = new LdmParams(workspace.zeros(grad.a().shape()), workspace.zeros(grad.c().shape()),
                        workspace.zeros(grad.qLogDiag().shape()), workspace.zeros(grad.rLogDiag().shape()), null, null);
                itemGrads[firstSlot + i] = g;
            } else {
                g.a().fill(0f);
                g.c().fill(0f);
                g.qLogDiag().fill(0f);
                g.rLogDiag().fill(0f);
            }
            acc[i] = g;
        }
        return acc;
    }

    private static void reduce(LdmParams grad, LdmParams[] acc) {
        if (acc.length == 1 && acc[0] == grad) return;
        for (LdmParams g : acc) {
            Blas.axpy((int) grad.a().size(), 1f, g.a().segment(), 0, grad.a().segment(), 0);
            Blas.axpy((int) grad.c().size(), 1f, g.c().segment(), 0, grad.c().segment(), 0);
            Blas.axpy((int) grad.qLogDiag().size(), 1f, g.qLogDiag().segment(), 0, grad.qLogDiag().segment(), 0);
            Blas.axpy((int) grad.rLogDiag().size(), 1f, g.rLogDiag().segment(), 0, grad.rLogDiag().segment(), 0);
        }
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Workspace workspace() {
        return workspace;
    }

    /** The tensors as one run of elements, zeroed in ranges over the threads. */
    @Override
    public void zero(java.util.List<Tensor> tensors) {
        long[] start = new long[tensors.size() + 1];
        for (int i = 0; i < tensors.size(); i++) start[i + 1] = start[i] + tensors.get(i).size();
        CpuThreads.forRanges(start[tensors.size()], CpuThreads.ELEMENTWISE_RANGE, (w, from, to) -> {
            for (int i = 0; i < tensors.size(); i++) {
                long a = Math.max(from, start[i]), b = Math.min(to, start[i + 1]);
                if (a < b) Blas.zero((int) (b - a), tensors.get(i).segment(), a - start[i]);
            }
        });
    }

    @Override
    public void denseForward(Tensor in, Tensor weight, Tensor bias, boolean tanh, Tensor out) {
        CpuDense.forward(in, weight, bias, tanh, out);
    }

    @Override
    public Tensor frozenDenseWeight(Tensor weight) {
        Tensor frozen = workspace.zeros(weight.dim(1), weight.dim(0));
        CpuDense.freeze(weight, frozen);
        return frozen;
    }

    @Override
    public void denseForwardRow(Tensor in, Tensor frozenWeight, Tensor bias, boolean tanh, Tensor out) {
        CpuDense.forwardRow(in, frozenWeight, bias, tanh, out);
    }

    @Override
    public void denseBackward(Tensor in, Tensor weight, Tensor out, boolean tanh, Tensor dOut,
                              Tensor dIn, Tensor dWeight, Tensor dBias) {
        CpuDense.backward(in, weight, out, tanh, dOut, dIn, dWeight, dBias);
    }

    @Override
    public void kalmanCovarianceForward(LdmParams p, Tensor[] masks, CovarianceTrack[] tracks, int count) {
        if (count == 0) return;
        kalman(tracks[0]);
        prefixes.start(count, masks, tracks, new int[count], false);
        CpuThreads.forEach(count, (w, i) -> kalmanScratch[w].covarianceForward(p, masks[i], tracks[i], prefixes, i));
    }

    @Override
    public void kalmanCovarianceBackward(LdmParams p, CovarianceTrack[] tracks, int count, LdmParams grad) {
        if (count == 0) return;
        kalman(tracks[0]);
        LdmParams[] acc = gradAccumulators(grad, count);
        Tensor[] masks = new Tensor[count];
        for (int i = 0; i < count; i++) masks[i] = tracks[i].mask;
        backwardPrefixes.start(count, masks, tracks, new int[count], false);
        sharedBackward.plan(backwardPrefixes, tracks, count, false);
        // the last track first: a track's owner (one of its donors) comes before it
        CpuThreads.forEach(count, (w, k) -> {
            int i = count - 1 - k;
            kalmanScratch[w].covarianceBackward(p, tracks[i], acc[i], sharedBackward, i);
        });
        reduce(grad, acc);
    }

    @Override
    public void kalmanMeanForward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask,
                                  Tensor filtMean, Tensor predMean) {
        kalman(track).meanForward(p, track, obs, mask, filtMean, predMean);
    }

    @Override
    public void kalmanMeanBackward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask,
                                   Tensor filtMean, Tensor predMean, Tensor dFiltMean, Tensor dPredMean,
                                   Tensor dObs, LdmParams grad) {
        kalman(track).meanBackward(p, track, obs, mask, filtMean, predMean, dFiltMean, dPredMean, dObs,
                innovations((long) track.steps * track.embeddingDim), grad);
    }

    @Override
    public void rtsCovarianceForward(LdmParams p, CovarianceTrack[] tracks, int count) {
        if (count == 0) return;
        rts(tracks[0]);
        CpuThreads.forEach(count, (w, i) -> rtsScratch[w].covarianceForward(p, tracks[i]));
    }

    @Override
    public void kalmanMeanForward(LdmParams p, CovarianceTrack[] trackOf, Tensor obs, Tensor mask,
                                  Tensor filtMean, Tensor predMean) {
        if (trackOf.length == 0) return;
        kalman(trackOf[0]);
        MemorySegment[] t = meanTransposes(p);
        CpuThreads.forEach(trackOf.length, (w, b) -> kalmanScratch[w].meanForward(p, trackOf[b], Trials.of(obs, b),
                Trials.row(mask, b), Trials.of(filtMean, b), Trials.of(predMean, b), t[0], t[1]));
    }

    /**
     * Three parallel passes: the trials' recursions (which write nothing shared), then the sums that
     * set the tracks' dGain (per track, its trials in trial order, the first one's term replacing; the steps in chunks, so the
     * backbone's one track shared by every trial still spreads over the threads) beside each
     * track's dA and dC products, then the reduction in track order.
     */
    @Override
    public void kalmanMeanBackward(LdmParams p, CovarianceTrack[] trackOf, Tensor obs, Tensor mask,
                                   Tensor filtMean, Tensor predMean, Tensor dFiltMean, Tensor dPredMean,
                                   Tensor dObs, LdmParams grad) {
        if (trackOf.length == 0) return;
        kalman(trackOf[0]);
        final int trials = trackOf.length, steps = trackOf[0].steps, na = trackOf[0].embeddingDim;
        MemorySegment innov = innovations((long) trials * steps * na);
        long trialBytes = (long) steps * na * Float.BYTES;
        MemorySegment ct = meanTransposes(p)[1];
        CpuThreads.forEach(trials, (w, b) -> kalmanScratch[w].meanBackwardSteps(p, trackOf[b], Trials.of(obs, b),
                Trials.row(mask, b), Trials.of(predMean, b), Trials.of(dFiltMean, b), Trials.of(dPredMean, b),
                Trials.of(dObs, b), innov.asSlice(b * trialBytes, trialBytes), ct));
        TrackGroups tg = new TrackGroups(trackOf);
        LdmParams[] acc = gradAccumulators(grad, tg.count());
        int chunks = tg.chunks(steps), perGroup = chunks + 1;
        CpuThreads.forEach(tg.count() * perGroup, (w, item) -> {
            int g = item / perGroup, c = item % perGroup;
            for (int b : tg.trials[g]) {
                if (c == chunks) {
                    CpuKalman.meanOuterProducts(p, trackOf[b], Trials.of(filtMean, b), Trials.of(predMean, b),
                            Trials.of(dPredMean, b), Trials.of(dObs, b), acc[g]);
                } else {
                    CpuKalman.gainAdjoint(trackOf[b], Trials.row(mask, b), Trials.of(dFiltMean, b),
                            innov.asSlice(b * trialBytes, trialBytes), chunkStart(c, chunks, steps), chunkStart(c + 1, chunks, steps),
                            b == tg.trials[g][0]);
                }
            }
        });
        reduce(grad, acc);
    }

    @Override
    public void rtsCovarianceBackward(LdmParams p, CovarianceTrack[] tracks, int count, LdmParams grad) {
        if (count == 0) return;
        rts(tracks[0]);
        LdmParams[] acc = gradAccumulators(grad, count);
        CpuThreads.forEach(count, (w, i) -> rtsScratch[w].covarianceBackward(p, tracks[i], acc[i]));
        reduce(grad, acc);
    }

    /**
     * Every track of every LDM is one item of one parallel pass: the backbone's single track then
     * runs beside the modalities' tracks instead of alone on one core (callers put it first, the
     * longest item). The forward runs each track's Kalman then RTS part.
     */
    @Override
    public void covarianceForward(CovarianceWork[] work, boolean samplesOnly) {
        int[] firstItem = firstItems(work);
        PassItems pass = new PassItems(work, firstItem, false);
        int items = firstItem[work.length];
        prefixes.start(items, pass.masks, pass.tracks, pass.ldm, samplesOnly);
        SkipAhead[] skips = samplesOnly ? skipPool = skipsFor(work, pass, firstItem, skipPool) : null;
        CpuThreads.forEach(items, (w, item) -> {
            int l = pass.ldm[item];
            CovarianceWork cw = work[l];
            if (samplesOnly && !cw.smoothing()) {
                kalmanScratch[w].filterForward(cw.params(), pass.masks[item], pass.tracks[item], prefixes, item, skips[l]);
            } else {
                kalmanScratch[w].covarianceForward(cw.params(), pass.masks[item], pass.tracks[item], prefixes, item);
                if (cw.smoothing()) rtsScratch[w].covarianceForward(cw.params(), pass.tracks[item]);
            }
        });
    }

    /**
     * The backward of {@link #covarianceForward} in one parallel pass, with the sums of
     * {@link #rtsCovarianceBackward} then {@link #kalmanCovarianceBackward} per LDM: an LDM with one
     * track adds to its gradients directly (RTS part, then Kalman part, in one item); one with
     * several gets an accumulator per track and part, reduced RTS first, each in track order.
     */
    @Override
    public void covarianceBackward(CovarianceWork[] work) {
        int[] firstItem = firstItems(work);
        LdmParams[][] rtsAcc = new LdmParams[work.length][], kalmanAcc = new LdmParams[work.length][];
        int slot = 0;
        for (int l = 0; l < work.length; l++) {
            CovarianceWork cw = work[l];
            kalmanAcc[l] = gradAccumulators(cw.grads(), cw.count(), slot);
            slot += cw.count() > 1 ? cw.count() : 0;
            if (cw.smoothing()) {
                rtsAcc[l] = cw.count() > 1 ? gradAccumulators(cw.grads(), cw.count(), slot) : kalmanAcc[l];
                slot += cw.count() > 1 ? cw.count() : 0;
            }
        }
        int items = firstItem[work.length];
        PassItems pass = new PassItems(work, firstItem, true);
        backwardPrefixes.start(items, pass.masks, pass.tracks, pass.ldm, true);
        sharedBackward.plan(backwardPrefixes, pass.tracks, items, true);
        SkipAhead[] skips = skipPool = skipsFor(work, pass, firstItem, skipPool);
        for (int l = 0; l < work.length; l++) {
            if (!work[l].smoothing()) skips[l].planBackward(work[l].tracks(), firstItem[l], work[l].count(), sharedBackward::stop);
        }
        CpuThreads.forEach(items, (w, item) -> {
            int l = pass.ldm[item];
            CovarianceWork cw = work[l];
            // a filter-only LDM's tracks from its last to its first: a track's owner (one of its donors) comes before it
            int g = cw.smoothing() ? item - firstItem[l] : firstItem[l + 1] - 1 - item;
            if (cw.smoothing()) {
                rtsScratch[w].covarianceBackward(cw.params(), cw.tracks()[g], rtsAcc[l][g]);
                kalmanScratch[w].covarianceBackward(cw.params(), cw.tracks()[g], kalmanAcc[l][g], sharedBackward, firstItem[l] + g);
            } else {
                kalmanScratch[w].filterBackward(cw.params(), cw.tracks()[g], kalmanAcc[l][g], sharedBackward, firstItem[l] + g, skips[l]);
            }
        });
        for (int l = 0; l < work.length; l++) {
            if (work[l].smoothing()) reduce(work[l].grads(), rtsAcc[l]);
            reduce(work[l].grads(), kalmanAcc[l]);
            if (!work[l].smoothing()) skips[l].addGradients(work[l].params(), work[l].grads(), work[l].count());
        }
    }

    /** A^T and C^T of p for a batched mean pass (every worker reads them), in scratch kept between calls. */
    private MemorySegment[] meanTransposes(LdmParams p) {
        long at = p.a().size() * Float.BYTES, ct = p.c().size() * Float.BYTES;
        if (meanTransposed[0].byteSize() < at) meanTransposed[0] = scratch.allocate(at, 64);
        if (meanTransposed[1].byteSize() < ct) meanTransposed[1] = scratch.allocate(ct, 64);
        CpuKalman.meanTransposes(p, meanTransposed[0], meanTransposed[1]);
        return meanTransposed;
    }

    /** The jump tables of a pass's filter-only LDMs ({@link SkipAhead}), for the longest jump among their tracks. */
    private static SkipAhead[] skipsFor(CovarianceWork[] work, PassItems pass, int[] firstItem, SkipAhead[] pool) {
        SkipAhead[] skips = pool.length >= work.length ? pool : java.util.Arrays.copyOf(pool, work.length);
        for (int l = 0; l < work.length; l++) {
            if (work[l].smoothing()) continue;
            if (skips[l] == null) skips[l] = new SkipAhead();
            int longest = 0, stride = 0;
            for (int i = firstItem[l]; i < firstItem[l + 1]; i++) {
                longest = Math.max(longest, SkipAhead.longestJump(pass.masks[i], pass.tracks[i].steps, 0));
                stride = SkipAhead.jumpDivisor(pass.masks[i], pass.tracks[i].steps, stride);
            }
            skips[l].build(work[l].params(), longest, Math.max(1, stride));
        }
        return skips;
    }

    /**
     * The tracks of a pass over several LDMs as one list (item firstItem[l] + g is LDM l's track g),
     * with their masks (the work's rows, or what each track recorded in its forward) and LDMs.
     */
    private static final class PassItems {
        final Tensor[] masks;
        final CovarianceTrack[] tracks;
        final int[] ldm;

        PassItems(CovarianceWork[] work, int[] firstItem, boolean recordedMasks) {
            int items = firstItem[work.length];
            masks = new Tensor[items];
            tracks = new CovarianceTrack[items];
            ldm = new int[items];
            for (int l = 0; l < work.length; l++) {
                for (int g = 0; g < work[l].count(); g++) {
                    int i = firstItem[l] + g;
                    tracks[i] = work[l].tracks()[g];
                    masks[i] = recordedMasks ? tracks[i].mask : work[l].masks()[g];
                    ldm[i] = l;
                }
            }
        }
    }

    /** firstItem[l]: the first item of LDM l in the flat list of tracks; firstItem[work.length]: the count. Sizes the scratch. */
    private int[] firstItems(CovarianceWork[] work) {
        int[] first = new int[work.length + 1];
        for (int l = 0; l < work.length; l++) {
            first[l + 1] = first[l] + work[l].count();
            if (work[l].count() > 0) kalman(work[l].tracks()[0]);
        }
        return first;
    }

    @Override
    public void rtsMeanForward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean) {
        rts(track).meanForward(track, filtMean, predMean, smoothMean);
    }

    @Override
    public void rtsMeanBackward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean,
                                Tensor dSmoothMean, Tensor dFiltMean, Tensor dPredMean) {
        rts(track).meanBackward(track, filtMean, predMean, smoothMean, dSmoothMean, dFiltMean, dPredMean);
    }

    @Override
    public void rtsMeanForward(CovarianceTrack[] trackOf, Tensor filtMean, Tensor predMean, Tensor smoothMean) {
        if (trackOf.length == 0) return;
        rts(trackOf[0]);
        CpuThreads.forEach(trackOf.length, (w, b) -> rtsScratch[w].meanForward(trackOf[b], Trials.of(filtMean, b),
                Trials.of(predMean, b), Trials.of(smoothMean, b)));
    }

    /** As {@link #kalmanMeanBackward}: the trials' recursions side by side, then the tracks' dSmootherGain sums in step chunks. */
    @Override
    public void rtsMeanBackward(CovarianceTrack[] trackOf, Tensor filtMean, Tensor predMean, Tensor smoothMean,
                                Tensor dSmoothMean, Tensor dFiltMean, Tensor dPredMean) {
        if (trackOf.length == 0) return;
        rts(trackOf[0]);
        final int trials = trackOf.length, pairs = trackOf[0].steps - 1;
        CpuThreads.forEach(trials, (w, b) -> rtsScratch[w].meanBackwardSteps(trackOf[b], Trials.of(predMean, b),
                Trials.of(smoothMean, b), Trials.of(dSmoothMean, b), Trials.of(dFiltMean, b), Trials.of(dPredMean, b)));
        if (pairs <= 0) return;
        TrackGroups tg = new TrackGroups(trackOf);
        int chunks = tg.chunks(pairs);
        CpuThreads.forEach(tg.count() * chunks, (w, item) -> {
            int g = item / chunks, c = item % chunks;
            for (int b : tg.trials[g]) {
                rtsScratch[w].smootherGainAdjoint(trackOf[b], Trials.of(predMean, b), Trials.of(smoothMean, b),
                        Trials.of(dSmoothMean, b), chunkStart(c, chunks, pairs), chunkStart(c + 1, chunks, pairs));
            }
        });
    }

    /**
     * The distinct tracks of a batch in the order of their first trial: trials[g] lists the trials
     * on track g in trial order, the order in which they add to the track's adjoints.
     */
    private static final class TrackGroups {
        final int[][] trials;

        TrackGroups(CovarianceTrack[] trackOf) {
            java.util.List<CovarianceTrack> tracks = new java.util.ArrayList<>();
            java.util.List<java.util.List<Integer>> members = new java.util.ArrayList<>();
            for (int b = 0; b < trackOf.length; b++) {
                int g = tracks.indexOf(trackOf[b]);
                if (g < 0) {
                    g = tracks.size();
                    tracks.add(trackOf[b]);
                    members.add(new java.util.ArrayList<>());
                }
                members.get(g).add(b);
            }
            trials = new int[members.size()][];
            for (int g = 0; g < trials.length; g++) trials[g] = members.get(g).stream().mapToInt(Integer::intValue).toArray();
        }

        int count() {
            return trials.length;
        }

        /** Step chunks per track for a pass over {@code steps} steps: enough items to keep every thread busy. */
        int chunks(int steps) {
            return Math.max(1, Math.min(steps, 4 * CpuThreads.MAX_WORKERS / count()));
        }
    }

    private static int chunkStart(int chunk, int chunks, int steps) {
        return (int) ((long) chunk * steps / chunks);
    }

    /** Scratch for the innovations of a batch's Kalman mean backward, grown to the largest batch seen. */
    private MemorySegment innovations(long floats) {
        if (innovationScratch.byteSize() < floats * Float.BYTES) innovationScratch = scratch.allocate(floats * Float.BYTES, 64);
        return innovationScratch;
    }

    @Override
    public double poissonLogLikelihood(Tensor logRate, Tensor counts, Tensor mask, int shift, float scale, Tensor dLogRate) {
        return CpuLikelihood.poisson(logRate, counts, mask, shift, scale, dLogRate);
    }

    @Override
    public double gaussianLogLikelihood(Tensor mean, Tensor data, Tensor mask, int shift, float variance,
                                        float scale, Tensor dMean) {
        return CpuLikelihood.gaussian(mean, data, mask, shift, variance, scale, dMean);
    }

    @Override
    public double poissonSmoothness(Tensor logRate, Tensor mask, float scale, Tensor dLogRate) {
        return CpuLikelihood.poissonSmoothness(logRate, mask, scale, dLogRate);
    }

    @Override
    public double gaussianSmoothness(Tensor mean, Tensor mask, float variance, float scale, Tensor dMean) {
        return CpuLikelihood.gaussianSmoothness(mean, mask, variance, scale, dMean);
    }

    /** The trials side by side (each writes only its own rows of dLogRate), their sums added in trial order. */
    @Override
    public void poissonSmoothness(Tensor logRate, Tensor mask, float[] scale, double[] divisor, Tensor dLogRate, Sums sums, int slot) {
        smoothnessOverTrials(divisor, sums, slot,
                b -> CpuLikelihood.poissonSmoothness(Trials.of(logRate, b), Trials.row(mask, b), scale[b], Trials.of(dLogRate, b)));
    }

    /** As {@link #poissonSmoothness(Tensor, Tensor, float[], double[], Tensor, Sums, int)}. */
    @Override
    public void gaussianSmoothness(Tensor mean, Tensor mask, float variance, float[] scale, double[] divisor, Tensor dMean,
                                   Sums sums, int slot) {
        smoothnessOverTrials(divisor, sums, slot,
                b -> CpuLikelihood.gaussianSmoothness(Trials.of(mean, b), Trials.row(mask, b), variance, scale[b], Trials.of(dMean, b)));
    }

    /**
     * term(b) for the trials with a divisor, side by side; then sums[slot] += term(b) / divisor[b]
     * in trial order (the interface's order, so the same bits).
     */
    private static void smoothnessOverTrials(double[] divisor, Sums sums, int slot, IntToDoubleFunction term) {
        double[] trial = new double[divisor.length];
        CpuThreads.forEach(divisor.length, (w, b) -> {
            if (divisor[b] > 0) trial[b] = term.applyAsDouble(b);
        });
        for (int b = 0; b < divisor.length; b++) {
            if (divisor[b] > 0) sums.add(slot, trial[b] / divisor[b]);
        }
    }

    @Override
    public double latentSmoothness(Tensor smoothMean, CovarianceTrack track, int dims, float scale, Tensor dSmoothMean) {
        return CpuLikelihood.latentSmoothness(smoothMean, track, dims, scale, dSmoothMean);
    }

    /** The trials side by side, each into its own sum and variance adjoints; then both added in trial order. */
    @Override
    public void latentSmoothness(Tensor smoothMean, CovarianceTrack[] trackOf, int dims, float scale, Tensor dSmoothMean,
                                 Sums sums, int slot) {
        final int trials = trackOf.length, steps = smoothMean.dim(1), perTrial = 2 * Math.max(0, steps - 1) * dims;
        if (varianceAdjoints.length < trials || (trials > 0 && varianceAdjoints[0].length < perTrial)) {
            varianceAdjoints = new float[trials][perTrial];
        }
        double[] trialSums = new double[trials];
        CpuThreads.forEach(trials, (w, b) -> trialSums[b] = CpuLikelihood.latentSmoothnessTerms(Trials.of(smoothMean, b),
                trackOf[b], dims, scale, Trials.of(dSmoothMean, b), varianceAdjoints[b]));
        for (int b = 0; b < trials; b++) {
            CpuLikelihood.addVarianceAdjoints(trackOf[b], steps, dims, varianceAdjoints[b]);
            sums.add(slot, trialSums[b]);
        }
    }

    @Override
    public void maskRows(Tensor in, Tensor mask, Tensor out) {
        final int cols = in.dim(-1);
        final long rows = in.size() / cols;
        MemorySegment src = in.segment(), dst = out.segment();
        for (long r = 0; r < rows; r++) {
            if (mask.get(r) > 0f) {
                Blas.copy(cols, src, r * cols, dst, r * cols);
            } else {
                Blas.zero(cols, dst, r * cols);
            }
        }
    }

    @Override
    public void copyColumns(Tensor src, Tensor dst, int offset) {
        final int n = src.dim(-1), m = dst.dim(-1);
        final long rows = src.size() / n;
        for (long r = 0; r < rows; r++) Blas.copy(n, src.segment(), r * n, dst.segment(), r * m + offset);
    }

    @Override
    public void sliceColumns(Tensor src, int offset, Tensor dst) {
        final int n = dst.dim(-1), m = src.dim(-1);
        final long rows = dst.size() / n;
        for (long r = 0; r < rows; r++) Blas.copy(n, src.segment(), r * m + offset, dst.segment(), r * n);
    }

    @Override
    public void multiply(Tensor x, Tensor factor, Tensor out) {
        if (x.size() != factor.size() || x.size() != out.size()) {
            throw new IllegalArgumentException("multiply of " + x.shapeString() + " by " + factor.shapeString() + " into " + out.shapeString());
        }
        MemorySegment xs = x.segment(), fs = factor.segment(), os = out.segment();
        CpuThreads.forRanges(x.size(), CpuThreads.ELEMENTWISE_RANGE, (w, from, to) -> Blas.multiply((int) (to - from), xs, from, fs, from, os, from));
    }

    /** The draws in element ranges over the threads, each element's from its index alone (the same bits as one by one). */
    @Override
    public void dropoutFactors(Tensor out, long state, double p) {
        CounterStream.DropoutFactors factors = new CounterStream.DropoutFactors(state, p);
        MemorySegment o = out.segment();
        CpuThreads.forRanges(out.size(), CpuThreads.ELEMENTWISE_RANGE, (w, from, to) -> {
            for (long i = from; i < to; i++) Blas.set(o, i, factors.at(i));
        });
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        if (x.size() != y.size()) throw new IllegalArgumentException("axpy of " + x.shapeString() + " into " + y.shapeString());
        Blas.axpy(Math.toIntExact(x.size()), alpha, x.segment(), 0, y.segment(), 0);
    }

    @Override
    public double sumSquares(Tensor x) {
        double s = 0;
        for (long i = 0; i < x.size(); i++) {
            double v = x.get(i);
            s += v * v;
        }
        return s;
    }

    @Override
    public void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, double lr, double beta1, double beta2,
                         double eps, int step) {
        CpuOptimizer.adamStep(params, grads, m, v, lr, beta1, beta2, eps, step);
    }

    @Override
    public void scale(Tensor x, float alpha) {
        CpuOptimizer.scale(x, alpha);
    }

    @Override
    public void close() {
        workspace.close();
        scratch.close();
    }
}
