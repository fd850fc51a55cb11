package org.mrine.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.CovarianceWork;
import org.mrine.backend.Sums;
import org.mrine.tensor.HostTensor;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * The MRINE network: per-modality encoders (MLP then, with two or more modalities, a Kalman filter
 * per modality and the fusion MLP), the backbone LDM filtered and smoothed, and per-modality
 * decoders predicting k steps ahead. This class composes backend calls; the arithmetic lives in
 * the backend.
 *
 * <pre>
 * a_i    = MLP_i(data_i)                      [B,T,A]   (missing samples zeroed first)
 * e_i    = C_i x_filt^(i)                     [B,T,A]   (multiscale: LDM_i filtered under mask_i)
 * a_hat  = MLP_m([e_1, ..., e_M])             [B,T,A]   (single-scale: a_hat = a_1, backbone under mask_1)
 * x_filt, x_smooth = backbone(a_hat)          [B,T,X]
 * out_ik = Dec_i(C A^k x_filt)  (k = 0: Dec_i(C x_smooth))
 * </pre>
 */
public final class MrineModel {
    public final ModelConfig config;
    private final Backend be;
    private final Workspace ws;
    public final Parameters params;
    public final Parameters grads;
    private final List<ModalitySpec> mods;
    private final Mlp[] encoders;
    private final Ldm[] modalityLdms;
    private final Mlp fusion;
    private final Ldm backbone;
    private final Mlp[] decoders;
    private final List<String> trainable = new ArrayList<>();
    private final List<String> l2Weights = new ArrayList<>();
    private State state;

    public MrineModel(ModelConfig config, Backend backend) {
        this.config = config;
        this.be = backend;
        this.ws = backend.workspace();
        this.mods = config.modalities();
        final int A = config.embeddingDim(), X = config.latentDim(), M = mods.size();
        encoders = new Mlp[M];
        decoders = new Mlp[M];
        modalityLdms = new Ldm[config.multiscale() ? M : 0];
        for (int i = 0; i < M; i++) {
            ModalitySpec m = mods.get(i);
            encoders[i] = new Mlp("encoder.encoder_" + m.name(), "final_layer", concat(m.channels(), m.hidden(), A));
            decoders[i] = new Mlp("decoder_dict." + m.decoderKey(), m.likelihood().outputLayer, concat(A, reversed(m.hidden()), m.channels()));
            if (config.multiscale()) modalityLdms[i] = new Ldm("encoder.ldm_" + m.name(), X, A, false);
        }
        fusion = config.multiscale() ? new Mlp("encoder.encoder_m", "final_layer", concat(M * A, config.fusionHidden(), A)) : null;
        backbone = new Ldm("ldm", X, A, true);

        // Declaration order follows the reference's state dict.
        Parameters.Layout layout = new Parameters.Layout();
        backbone.declare(layout);
        for (Mlp e : encoders) e.declare(layout);
        if (fusion != null) fusion.declare(layout);
        for (Ldm l : modalityLdms) l.declare(layout);
        for (int i = 0; i < M; i++) {
            if (mods.get(i).likelihood() == Likelihood.GAUSSIAN) {
                layout.add("decoder_dict." + mods.get(i).decoderKey() + ".logvar", mods.get(i).channels());
            }
            decoders[i].declare(layout);
        }
        params = layout.allocate(ws);
        grads = params.like(ws);
        for (Mlp e : allMlps()) {
            e.bind(params, grads);
            l2Weights.addAll(e.weightNames());
        }
        backbone.bind(params, grads);
        for (Ldm l : modalityLdms) l.bind(params, grads);
        for (String n : params.names()) {
            if (!n.endsWith(".x_0") && !n.endsWith(".Sigma_0") && !n.endsWith(".logvar")) trainable.add(n);
        }
    }

    private List<Mlp> allMlps() {
        List<Mlp> all = new ArrayList<>(List.of(encoders));
        if (fusion != null) all.add(fusion);
        all.addAll(List.of(decoders));
        return all;
    }

    /** The encoder MLP of modality i (the model's order). */
    public Mlp encoder(int i) {
        return encoders[i];
    }

    /** The Kalman filter of modality i (multiscale models only). */
    public Ldm modalityLdm(int i) {
        return modalityLdms[i];
    }

    /** The fusion MLP (multiscale models only; null otherwise). */
    public Mlp fusion() {
        return fusion;
    }

    public Ldm backbone() {
        return backbone;
    }

    /** Parameter names that receive gradients (x_0, Sigma_0 and the fixed Gaussian log-variance do not). */
    public List<String> trainableNames() {
        return List.copyOf(trainable);
    }

    /** The reference's initialization from a seeded generator. */
    public void initialize(RandomGenerator rng) {
        for (Mlp m : allMlps()) m.initialize(rng);
        backbone.initialize(rng, config.initCovScale());
        for (Ldm l : modalityLdms) l.initialize(rng, config.initCovScale());
        for (int i = 0; i < mods.size(); i++) {
            if (mods.get(i).likelihood() == Likelihood.GAUSSIAN) {
                params.get("decoder_dict." + mods.get(i).decoderKey() + ".logvar").fill((float) Math.log(mods.get(i).variance()));
            }
        }
    }

    // ------------------------------------------------------------------ per-batch state

    /** Every activation and adjoint buffer for batches of B trials and T steps, allocated once. */
    private final class State {
        final int B, T, R;
        final Tensor[] data, mask, maskedIn;
        final Tensor[] fitMask;                // mask after time dropout: what the filters and likelihoods see
        final float[][] fitMaskHost;
        final Tensor[] inputKeep;              // dropout factors on the encoder inputs
        final Tensor aHatKeep, aHatDropped, dAHatDropped;
        boolean dropped;                       // whether the last forward pass applied dropout to a_hat
        final Mlp.Activations[] enc;
        final Ldm.Run[] modRun;
        final Tensor[] embed;
        final Tensor concat, dConcat;
        final Mlp.Activations fus;
        final Tensor onesMask;
        final float[] onesHost;
        final Ldm.Run bb;
        CovarianceWork[] covariance;           // the last forward pass's covariance work: backbone first, then the modalities
        final Tensor aFilter, aSmooth;
        final Tensor[] ahead, dAhead;          // X_j = A^j x_filt, j = 1..K  [R,X]
        final Tensor[] decIn, dDecIn;          // per horizon: C x_smooth (k = 0) or C A^k x_filt  [R,A]
        final Mlp.Activations[][] dec;         // [modality][horizon]
        final Tensor[] l2Tensors, l2GradTensors; // the weights the L2 term covers, and their gradients
        Sums sums;                             // the loss terms of the last pass, on the backend

        State(int B, int T) {
            this.B = B;
            this.T = T;
            this.R = B * T;
            final int M = mods.size(), A = config.embeddingDim(), X = config.latentDim();
            data = new Tensor[M];
            mask = new Tensor[M];
            maskedIn = new Tensor[M];
            fitMask = new Tensor[M];
            fitMaskHost = new float[M][];
            inputKeep = new Tensor[M];
            enc = new Mlp.Activations[M];
            modRun = new Ldm.Run[modalityLdms.length];
            embed = new Tensor[modalityLdms.length];
            for (int i = 0; i < M; i++) {
                int n = mods.get(i).channels();
                data[i] = ws.zeros(B, T, n);
                mask[i] = ws.zeros(B, T);
                maskedIn[i] = ws.zeros(R, n);
                fitMask[i] = ws.zeros(B, T);
                fitMaskHost[i] = new float[R];
                inputKeep[i] = ws.zeros(R, n);
                enc[i] = encoders[i].activations(ws, R);
            }
            for (int i = 0; i < modalityLdms.length; i++) {
                modRun[i] = modalityLdms[i].run(ws, B, T);
                embed[i] = ws.zeros(R, A);
            }
            concat = fusion != null ? ws.zeros(R, M * A) : null;
            dConcat = fusion != null ? ws.zeros(R, M * A) : null;
            fus = fusion != null ? fusion.activations(ws, R) : null;
            aHatKeep = ws.zeros(R, A);
            aHatDropped = ws.zeros(R, A);
            dAHatDropped = ws.zeros(R, A);
            onesMask = ws.zeros(B, T);
            onesMask.fill(1f);
            onesHost = new float[R];
            java.util.Arrays.fill(onesHost, 1f);
            bb = backbone.run(ws, B, T);
            aFilter = ws.zeros(R, A);
            aSmooth = ws.zeros(R, A);
            int K = config.maxStepAhead();
            ahead = new Tensor[K + 1];
            dAhead = new Tensor[K + 1];
            for (int j = 1; j <= K; j++) {
                ahead[j] = ws.zeros(R, X);
                dAhead[j] = ws.zeros(R, X);
            }
            int H = config.stepsAhead().length;
            decIn = new Tensor[H];
            dDecIn = new Tensor[H];
            dec = new Mlp.Activations[M][H];
            for (int h = 0; h < H; h++) {
                decIn[h] = config.stepsAhead()[h] == 0 ? aSmooth : ws.zeros(R, A);
                dDecIn[h] = ws.zeros(R, A);
                for (int i = 0; i < M; i++) dec[i][h] = decoders[i].activations(ws, R);
            }
            l2Tensors = new Tensor[l2Weights.size()];
            l2GradTensors = new Tensor[l2Tensors.length];
            for (int w = 0; w < l2Tensors.length; w++) {
                l2Tensors[w] = params.get(l2Weights.get(w));
                l2GradTensors[w] = grads.get(l2Weights.get(w));
            }
        }
    }

    private State state(int B, int T) {
        if (state == null || state.B != B || state.T != T) state = new State(B, T);
        return state;
    }

    // ------------------------------------------------------------------ forward

    /** Encoders, modality filters, fusion, backbone filter and smoother for one batch (no training noise). */
    public void forward(Batch batch) {
        forward(batch, null);
    }

    /** The forward pass; with noise, the training-time dropout and time dropout are drawn from it. */
    public void forward(Batch batch, TrainingNoise noise) {
        forward(batch, noise, false);
    }

    /**
     * The forward pass; forGradient: a backward pass follows, so the modality filters' covariances
     * are needed at their samples only ({@link Backend#covarianceForward(CovarianceWork[], boolean)});
     * without it every step is made, as the streaming decoder makes it.
     */
    private void forward(Batch batch, TrainingNoise noise, boolean forGradient) {
        if (batch.data().size() != mods.size()) {
            throw new IllegalArgumentException("batch has " + batch.data().size() + " modalities, model has " + mods.size());
        }
        State s = state(batch.trials(), batch.steps());
        for (int i = 0; i < mods.size(); i++) {
            s.data[i].copyFrom(batch.data().get(i));
            s.mask[i].copyFrom(batch.masks().get(i));
            if (noise != null && noise.timeDropout() > 0) {
                noise.timeDropped(batch.masks().get(i), s.fitMaskHost[i]);
            } else {
                System.arraycopy(batch.masks().get(i), 0, s.fitMaskHost[i], 0, s.R);
            }
            s.fitMask[i].copyFrom(s.fitMaskHost[i]);
            be.maskRows(s.data[i].view(s.R, mods.get(i).channels()), s.fitMask[i].view(s.R), s.maskedIn[i]);
            if (noise != null && noise.dropout() > 0) {
                noise.dropoutFactors(be, s.inputKeep[i]);
                be.multiply(s.maskedIn[i], s.inputKeep[i], s.maskedIn[i]);
            }
            encoders[i].forward(be, s.maskedIn[i], s.enc[i]);
        }
        s.dropped = noise != null && noise.dropout() > 0;
        // Every LDM's covariances depend on its parameters and masks only: all of them in one
        // backend call, the backbone's (one long track) first so that it runs beside the others.
        s.covariance = new CovarianceWork[1 + s.modRun.length];
        s.covariance[0] = config.multiscale() ? s.bb.prepare(s.onesMask, s.onesHost) : s.bb.prepare(s.fitMask[0], s.fitMaskHost[0]);
        for (int i = 0; i < s.modRun.length; i++) s.covariance[1 + i] = s.modRun[i].prepare(s.fitMask[i], s.fitMaskHost[i]);
        be.covarianceForward(s.covariance, forGradient);
        if (config.multiscale()) {
            for (int i = 0; i < mods.size(); i++) {
                Ldm.Run run = s.modRun[i];
                run.forwardMeans(be, s.enc[i].output().view(s.B, s.T, config.embeddingDim()), s.fitMask[i]);
                be.denseForward(rows(run.filtMean, s), modalityLdms[i].params.c(), null, false, s.embed[i]);
                be.copyColumns(s.embed[i], s.concat, i * config.embeddingDim());
            }
            fusion.forward(be, s.concat, s.fus);
        }
        if (s.dropped) {
            noise.dropoutFactors(be, s.aHatKeep);
            be.multiply(aHat(s), s.aHatKeep, s.aHatDropped);
        }
        Tensor obs = backboneObs(s).view(s.B, s.T, config.embeddingDim());
        s.bb.forwardMeans(be, obs, config.multiscale() ? s.onesMask : s.fitMask[0]);
        be.denseForward(rows(s.bb.filtMean, s), backbone.params.c(), null, false, s.aFilter);
        be.denseForward(rows(s.bb.smoothMean, s), backbone.params.c(), null, false, s.aSmooth);
    }

    private static Tensor rows(Tensor btx, State s) {
        return btx.view(s.R, btx.dim(2));
    }

    private Tensor aHat(State s) {
        return config.multiscale() ? s.fus.output() : s.enc[0].output();
    }

    private Tensor dAHat(State s) {
        return config.multiscale() ? s.fus.outputGrad() : s.enc[0].outputGrad();
    }

    /** What the backbone filters: a_hat, after dropout when training. */
    private Tensor backboneObs(State s) {
        return s.dropped ? s.aHatDropped : aHat(s);
    }

    private Tensor dBackboneObs(State s) {
        return s.dropped ? s.dAHatDropped : dAHat(s);
    }

    /** The reference's outputs of the last forward pass, by name (x_pred, x_filter, ..., a_hat). */
    public Map<String, HostTensor> outputs() {
        State s = requireState();
        final int A = config.embeddingDim();
        Map<String, HostTensor> out = new LinkedHashMap<>();
        out.put("x_pred", s.bb.predMean.toHost());
        out.put("x_filter", s.bb.filtMean.toHost());
        out.put("x_smooth", s.bb.smoothMean.toHost());
        out.put("Sigma_filter", covariances(s, false));
        out.put("Sigma_smooth", covariances(s, true));
        out.put("a_smooth", reshape(s.aSmooth.toHost(), s.B, s.T, A));
        out.put("a_filter", reshape(s.aFilter.toHost(), s.B, s.T, A));
        out.put("a_hat", reshape(aHat(s).toHost(), s.B, s.T, A));
        return out;
    }

    private HostTensor covariances(State s, boolean smoothed) {
        final int X = config.latentDim();
        final int xx = X * X;
        float[] all = new float[s.B * s.T * xx];
        for (int b = 0; b < s.B; b++) {
            CovarianceTrack tr = s.bb.track(b);
            float[] src = (smoothed ? tr.smooth : tr.filt).toArray();
            System.arraycopy(src, 0, all, b * s.T * xx, s.T * xx);
        }
        return new HostTensor(new int[] {s.B, s.T, X, X}, all);
    }

    private static HostTensor reshape(HostTensor h, int... shape) {
        return new HostTensor(shape, h.data());
    }

    private State requireState() {
        if (state == null) throw new IllegalStateException("no forward pass has run");
        return state;
    }

    // ------------------------------------------------------------------ loss

    /**
     * Forward pass, every loss term, and the gradient of the total loss with respect to every
     * trainable parameter (left in {@link #grads}, which this call zeroes first).
     *
     * @return the loss terms under the reference's names
     */
    public Map<String, Double> lossAndGradient(Batch batch) {
        return lossAndGradient(batch, null);
    }

    /** {@link #lossAndGradient(Batch)} with training noise (null for none). */
    public Map<String, Double> lossAndGradient(Batch batch, TrainingNoise noise) {
        return startLossAndGradient(batch, noise).terms();
    }

    /**
     * {@link #lossAndGradient(Batch, TrainingNoise)} without waiting for the terms: every sum is
     * left on the backend ({@link PendingLoss#sums}) until {@link PendingLoss#terms} reads them in
     * one transfer. Work the caller enqueues before that (the gradient clip into
     * {@link PendingLoss#auxSlot}) shares the transfer.
     */
    public PendingLoss startLossAndGradient(Batch batch, TrainingNoise noise) {
        forward(batch, noise, true);
        State s = state;
        grads.zero();
        zeroActivationGrads(s);
        PendingLoss pending = decodeAndScore(batch, s);
        backward(s);
        return pending;
    }

    /** The loss terms without noise and without the backward pass (validation). */
    public Map<String, Double> loss(Batch batch) {
        forward(batch, null);
        State s = state;
        zeroActivationGrads(s);
        return decodeAndScore(batch, s).terms();
    }

    /** Zeroes every gradient the backward pass accumulates into, in one call (the CPU spreads it over its threads). */
    private void zeroActivationGrads(State s) {
        List<Tensor> grads = new ArrayList<>();
        for (Mlp.Activations a : s.enc) a.collectGrads(grads);
        for (Ldm.Run r : s.modRun) r.collectGrads(grads);
        if (s.fus != null) {
            s.fus.collectGrads(grads);
            grads.add(s.dConcat);
        }
        s.bb.collectGrads(grads);
        grads.add(s.dAHatDropped);
        for (int j = 1; j < s.ahead.length; j++) grads.add(s.dAhead[j]);
        for (int h = 0; h < s.decIn.length; h++) {
            grads.add(s.dDecIn[h]);
            for (Mlp.Activations[] perMod : s.dec) perMod[h].collectGrads(grads);
        }
        be.zero(grads);
    }

    /**
     * The loss terms of one pass while the backend sums them. Slots of {@link #sums}: the log-likelihood
     * sum of each (modality, horizon), then the L2 norms, each modality's smoothness, the latent
     * smoothness, and one spare slot ({@link #auxSlot}) for the caller. The divisions by the counts of
     * available entries (known on the host from the masks) and the weighting happen in
     * {@link #terms}, in the order the terms were always combined in.
     */
    public final class PendingLoss {
        private final Sums sums;
        private final int modalities, horizons;
        private final double[] llDenominator;     // [modality * horizons + h], 0: no available entry
        private final int[] smoothValid;          // per modality: trials with two or more samples
        private final double latentCount;
        private Map<String, Double> terms;
        private double aux;

        private PendingLoss(Sums sums, int modalities, int horizons, double[] llDenominator, int[] smoothValid,
                            double latentCount) {
            this.sums = sums;
            this.modalities = modalities;
            this.horizons = horizons;
            this.llDenominator = llDenominator;
            this.smoothValid = smoothValid;
            this.latentCount = latentCount;
        }

        /** Where the backend adds the terms until {@link #terms} reads them. */
        public Sums sums() {
            return sums;
        }

        /** A slot no term uses: the trainer adds the gradient norm into it. */
        public int auxSlot() {
            return sums.size() - 1;
        }

        private int llSlot(int i, int h) {
            return i * horizons + h;
        }

        private int l2Slot() {
            return modalities * horizons;
        }

        private int smoothSlot(int i) {
            return l2Slot() + 1 + i;
        }

        private int latentSlot() {
            return l2Slot() + 1 + modalities;
        }

        /** Reads the sums (once: on a GPU the step's one wait) and returns the terms under the reference's names. */
        public Map<String, Double> terms() {
            if (terms == null) finish(sums.read());
            return terms;
        }

        /** What the caller added into {@link #auxSlot} (reads the sums if {@link #terms} has not yet). */
        public double aux() {
            terms();
            return aux;
        }

        private void finish(double[] v) {
            aux = v[auxSlot()];
            int[] steps = config.stepsAhead();
            Map<String, Double> t = new LinkedHashMap<>();
            double modelLoss = 0;
            // order as in the reference: smoothing terms first, then each horizon
            double[] ll = new double[modalities * horizons];
            for (int i = 0; i < modalities; i++) {
                ModalitySpec m = mods.get(i);
                for (int h = 0; h < horizons; h++) {
                    double denom = llDenominator[llSlot(i, h)];
                    ll[llSlot(i, h)] = denom > 0 ? v[llSlot(i, h)] / denom : 0;
                    modelLoss -= m.llWeight() * ll[llSlot(i, h)];
                }
            }
            for (int h = 0; h < horizons; h++) {
                for (int i = 0; i < modalities; i++) {
                    String name = mods.get(i).name();
                    t.put(steps[h] == 0 ? "log_ll_smoothing_" + name : "log_ll_pred_" + steps[h] + "_" + name, ll[llSlot(i, h)]);
                }
            }
            t.put("model_loss", modelLoss);
            double l2 = v[l2Slot()] * config.scaleL2();
            t.put("l2_reg", l2);
            double total = modelLoss + l2;
            for (int i = 0; i < modalities; i++) {
                ModalitySpec m = mods.get(i);
                double sm = smoothValid[i] == 0 ? 0 : v[smoothSlot(i)] / smoothValid[i];
                t.put("sm_reg_loss_" + m.name(), sm);
                total += m.smoothWeight() * sm;
            }
            double smx = latentCount > 0 ? v[latentSlot()] / latentCount : 0;
            t.put("sm_reg_loss_x", smx);
            total += config.smoothLatentWeight() * smx;
            t.put("total_loss", total);
            terms = t;
        }
    }

    /**
     * Decoders at every horizon; log-likelihoods, smoothness and L2 terms added into the backend's
     * sums (read later, in {@link PendingLoss#terms}); seeds the output gradients.
     */
    private PendingLoss decodeAndScore(Batch batch, State s) {
        final int M = mods.size(), T = s.T, B = s.B;
        // k-step-ahead latents X_j = A X_{j-1} (rows), decoder inputs C X_k
        for (int j = 1; j < s.ahead.length; j++) {
            be.denseForward(j == 1 ? rows(s.bb.filtMean, s) : s.ahead[j - 1], backbone.params.a(), null, false, s.ahead[j]);
        }
        int[] horizons = config.stepsAhead();
        for (int h = 0; h < horizons.length; h++) {
            if (horizons[h] > 0) be.denseForward(s.ahead[horizons[h]], backbone.params.c(), null, false, s.decIn[h]);
        }
        final int H = horizons.length;
        if (s.sums == null) s.sums = be.sums(M * H + M + 3);
        s.sums.clear();
        double[] llDenominator = new double[M * H];
        for (int i = 0; i < M; i++) {
            ModalitySpec m = mods.get(i);
            float[] hostMask = s.fitMaskHost[i];
            for (int h = 0; h < H; h++) {
                int k = horizons[h];
                Tensor out = decoders[i].forward(be, s.decIn[h], s.dec[i][h]);
                double available = 0;
                for (int b = 0; b < B; b++) for (int t = k; t < T; t++) available += hostMask[b * T + t];
                double denom = available * m.channels();
                llDenominator[i * H + h] = denom;
                if (denom > 0) {
                    float scale = (float) (-m.llWeight() / denom);
                    Tensor o = out.view(B, T, m.channels()), dO = s.dec[i][h].outputGrad().view(B, T, m.channels());
                    if (m.likelihood() == Likelihood.POISSON) {
                        be.poissonLogLikelihood(o, s.data[i], s.fitMask[i], k, scale, dO, s.sums, i * H + h);
                    } else {
                        be.gaussianLogLikelihood(o, s.data[i], s.fitMask[i], k, m.variance(), scale, dO, s.sums, i * H + h);
                    }
                }
            }
        }
        be.l2Penalty(s.l2Tensors, s.l2GradTensors, config.scaleL2(), s.sums, M * H);
        int smoothHorizon = indexOf(horizons, 0);
        int[] smoothValid = new int[M];
        for (int i = 0; i < M; i++) {
            if (smoothHorizon >= 0) smoothValid[i] = modalitySmoothness(batch, s, i, smoothHorizon, M * H + 1 + i);
        }
        double latentCount = latentSmoothness(s, M * H + 1 + M);
        return new PendingLoss(s.sums, M, H, llDenominator, smoothValid, latentCount);
    }

    /**
     * Per trial: the mean over (consecutive available pair x channel) KL terms; then the mean over
     * trials with at least two available samples. Trials may differ in their missing samples. Adds
     * the sum of the trial means into the slot; returns the number of trials it is to be divided by.
     */
    private int modalitySmoothness(Batch batch, State s, int i, int smoothHorizon, int slot) {
        ModalitySpec m = mods.get(i);
        float[] hostMask = batch.masks().get(i);
        final int B = s.B, T = s.T, N = m.channels();
        int[] pairs = new int[B];
        int valid = 0;
        for (int b = 0; b < B; b++) {
            int avail = 0;
            for (int t = 0; t < T; t++) if (hostMask[b * T + t] > 0) avail++;
            pairs[b] = Math.max(0, avail - 1);
            if (pairs[b] > 0) valid++;
        }
        if (valid == 0) return 0;
        float[] scale = new float[B];
        double[] count = new double[B];
        for (int b = 0; b < B; b++) {
            if (pairs[b] == 0) continue;
            count[b] = (double) pairs[b] * N;
            scale[b] = (float) (m.smoothWeight() / (valid * count[b]));
        }
        Tensor out = s.dec[i][smoothHorizon].output().view(B, T, N), dOut = s.dec[i][smoothHorizon].outputGrad().view(B, T, N);
        if (m.likelihood() == Likelihood.POISSON) {
            be.poissonSmoothness(out, s.mask[i], scale, count, dOut, s.sums, slot);
        } else {
            be.gaussianSmoothness(out, s.mask[i], m.variance(), scale, count, dOut, s.sums, slot);
        }
        return valid;
    }

    /** Adds the latent smoothness of every trial into the slot; returns the count it is to be divided by (0: none). */
    private double latentSmoothness(State s, int slot) {
        final int dims = config.latentDim() / 2;
        if (dims == 0 || s.T < 2) return 0;
        double count = (double) s.B * (s.T - 1) * dims;
        float scale = (float) (config.smoothLatentWeight() / count);
        be.latentSmoothness(s.bb.smoothMean, s.bb.trackOfTrial, dims, scale, s.bb.dSmoothMean, s.sums, slot);
        return count;
    }

    // ------------------------------------------------------------------ backward

    private void backward(State s) {
        final int M = mods.size();
        int[] horizons = config.stepsAhead();
        for (int h = 0; h < horizons.length; h++) {
            for (int i = 0; i < M; i++) decoders[i].backward(be, s.decIn[h], s.dec[i][h], s.dDecIn[h]);
        }
        // decoder inputs: C x_smooth (k = 0) and C X_k
        for (int h = 0; h < horizons.length; h++) {
            int k = horizons[h];
            Tensor latent = k == 0 ? rows(s.bb.smoothMean, s) : s.ahead[k];
            Tensor dLatent = k == 0 ? rows(s.bb.dSmoothMean, s) : s.dAhead[k];
            be.denseBackward(latent, backbone.params.c(), s.decIn[h], false, s.dDecIn[h], dLatent, backbone.grads.c(), null);
        }
        for (int j = s.ahead.length - 1; j >= 1; j--) {
            Tensor prev = j == 1 ? rows(s.bb.filtMean, s) : s.ahead[j - 1];
            Tensor dPrev = j == 1 ? rows(s.bb.dFiltMean, s) : s.dAhead[j - 1];
            be.denseBackward(prev, backbone.params.a(), s.ahead[j], false, s.dAhead[j], dPrev, backbone.grads.a(), null);
        }
        final int A = config.embeddingDim();
        s.bb.backwardMeans(be, backboneObs(s).view(s.B, s.T, A), config.multiscale() ? s.onesMask : s.fitMask[0],
                dBackboneObs(s).view(s.B, s.T, A));
        if (s.dropped) be.multiply(s.dAHatDropped, s.aHatKeep, dAHat(s));
        if (config.multiscale()) {
            fusion.backward(be, s.concat, s.fus, s.dConcat);
            for (int i = 0; i < M; i++) {
                Ldm.Run run = s.modRun[i];
                // the embedding buffer is free now: reuse it for its own gradient
                be.sliceColumns(s.dConcat, i * A, s.embed[i]);
                be.denseBackward(rows(run.filtMean, s), modalityLdms[i].params.c(), s.embed[i], false, s.embed[i],
                        rows(run.dFiltMean, s), modalityLdms[i].grads.c(), null);
                run.backwardMeans(be, s.enc[i].output().view(s.B, s.T, A), s.fitMask[i], s.enc[i].outputGrad().view(s.B, s.T, A));
                encoders[i].backward(be, s.maskedIn[i], s.enc[i], null);
            }
        } else {
            encoders[0].backward(be, s.maskedIn[0], s.enc[0], null);
        }
        // the covariance recursions add only to the LDMs' parameter gradients: all of them last, in one call
        be.covarianceBackward(s.covariance);
    }

    // ------------------------------------------------------------------ helpers

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }

    private static int[] concat(int first, int[] middle, int last) {
        int[] out = new int[middle.length + 2];
        out[0] = first;
        System.arraycopy(middle, 0, out, 1, middle.length);
        out[out.length - 1] = last;
        return out;
    }

    private static int[] reversed(int[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[a.length - 1 - i];
        return r;
    }
}
