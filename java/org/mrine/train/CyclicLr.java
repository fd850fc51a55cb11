package org.mrine.train;

/**
 * PyTorch's {@code CyclicLR} stepped once per epoch, without momentum cycling: the rate climbs
 * linearly from base to max over {@code stepUp} epochs, comes back down over as many, and repeats;
 * the peak is scaled per mode.
 *
 * <pre>
 * cycle = floor(1 + e / (2 stepUp)),  x = |e / stepUp - 2 cycle + 1|
 * lr(e) = base + (max - base) * max(0, 1 - x) * scale
 * scale = 1 (triangular), 1 / 2^(cycle-1) (triangular2), gamma^e (exp_range)
 * </pre>
 * Epoch e counts from 0: the first epoch trains at base.
 */
public record CyclicLr(double base, double max, int stepUp, String mode, double gamma) {

    public CyclicLr {
        if (!TrainConfig.LR_MODES.contains(mode)) throw new IllegalArgumentException("unknown cyclic learning rate mode " + mode);
        if (stepUp <= 0) throw new IllegalArgumentException("lr_step_up must be positive, got " + stepUp);
    }

    public static CyclicLr of(TrainConfig.Training t) {
        return new CyclicLr(t.lrBase(), t.lrMax(), t.lrStepUp(), t.lrMode(), t.lrGamma());
    }

    public double at(int epoch) {
        // the same arithmetic as torch.optim.lr_scheduler.CyclicLR with step_size_down = step_size_up
        int total = 2 * stepUp;
        double cycle = Math.floor(1 + (double) epoch / total);
        double x = 1.0 + (double) epoch / total - cycle;
        double factor = x <= 0.5 ? x / 0.5 : (x - 1) / (0.5 - 1);
        double height = (max - base) * factor;
        double scale = switch (mode) {
            case "triangular" -> 1;
            case "triangular2" -> 1 / Math.pow(2, cycle - 1);
            default -> Math.pow(gamma, epoch);
        };
        return base + height * scale;
    }
}
