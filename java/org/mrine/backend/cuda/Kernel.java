package org.mrine.backend.cuda;

/**
 * Every kernel the CUDA backend launches: its PTX module ({@code kernels/<module>.ptx}, built from
 * {@code kernels/<module>.cu}), its name there, and its parameter list, one letter per parameter:
 * {@code p} pointer (.u64), {@code l} long long (.u64), {@code i} int (.u32/.s32), {@code f} float (.f32),
 * {@code d} double (.f64). Each launch is checked against the signature, and a test checks the
 * signatures against the PTX entries, so an argument list that drifts from its kernel fails here,
 * not on the device.
 */
public enum Kernel {
    SGEMM("dense", "iiiiifpipifpipiip", Launch.REDUCE_THREADS),
    BIAS_ACT("dense", "pplii", Launch.REDUCE_THREADS),
    TANH_BACKWARD("dense", "ppl", Launch.REDUCE_THREADS),
    COLUMN_SUM_ADD("dense", "pliplp", Launch.REDUCE_THREADS),

    MASK_ROWS("elementwise", "pplip", Launch.REDUCE_THREADS),
    COPY_COLUMNS("elementwise", "plipii", Launch.REDUCE_THREADS),
    SLICE_COLUMNS("elementwise", "pliipi", Launch.REDUCE_THREADS),
    MULTIPLY("elementwise", "pplp", Launch.REDUCE_THREADS),
    AXPY("elementwise", "fplp", Launch.REDUCE_THREADS),
    SCALE("elementwise", "plf", Launch.REDUCE_THREADS),
    SUM_SQUARES("elementwise", "plp", Launch.REDUCE_THREADS),
    REDUCE_PARTIALS("elementwise", "plpi", Launch.REDUCE_THREADS),
    TRIAL_SUMS("elementwise", "ppipi", Launch.REDUCE_THREADS),
    REDUCE_BLOCKS("elementwise", "pilllipl", Launch.REDUCE_THREADS),
    SUM_SQUARES_BATCH("elementwise", "pp", Launch.REDUCE_THREADS),
    L2_NORMS("elementwise", "piippi", Launch.REDUCE_THREADS),
    L2_GRAD("elementwise", "ppd", Launch.REDUCE_THREADS),
    CLIP_SCALE("elementwise", "plpdpi", Launch.REDUCE_THREADS),
    ADAM_STEP("elementwise", "ppppl fffffff", Launch.REDUCE_THREADS),

    KALMAN_COV_FORWARD("kalman", "piiipppppplip", Launch.MATRIX_THREADS),
    KALMAN_COV_BACKWARD("kalman", "piiiipppppplip", Launch.MATRIX_THREADS),
    KALMAN_MEAN_FORWARD("kalman", "piiippp", Launch.TRIAL_THREADS),
    KALMAN_MEAN_BACKWARD("kalman", "piiippp", Launch.TRIAL_THREADS),
    KALMAN_MEAN_PARAM_GRAD("kalman", "piiiippp", Launch.REDUCE_THREADS),
    KALMAN_GAIN_GRAD("kalman", "ppppiii", Launch.REDUCE_THREADS),

    RTS_GAIN("rts", "piipplip", Launch.MATRIX_THREADS),
    RTS_SMOOTH_COV("rts", "piiplip", Launch.MATRIX_THREADS),
    RTS_COV_BACKWARD_CHAIN("rts", "piiplip", Launch.MATRIX_THREADS),
    RTS_COV_BACKWARD("rts", "piippplip", Launch.MATRIX_THREADS),
    RTS_MEAN_FORWARD("rts", "pii", Launch.TRIAL_THREADS),
    RTS_MEAN_BACKWARD("rts", "pii", Launch.TRIAL_THREADS),
    RTS_GAIN_GRAD("rts", "ppppii", Launch.REDUCE_THREADS),

    POISSON_LL("likelihood", "pppiiiifpp", Launch.REDUCE_THREADS),
    GAUSSIAN_LL("likelihood", "pppiiiifdfpp", Launch.REDUCE_THREADS),
    POISSON_SMOOTH("likelihood", "ppiipppp", Launch.REDUCE_THREADS),
    GAUSSIAN_SMOOTH("likelihood", "ppiifpppp", Launch.REDUCE_THREADS),
    LATENT_SMOOTH("likelihood", "ppiiifppp", Launch.REDUCE_THREADS),
    LATENT_SMOOTH_TRACK_GRAD("likelihood", "ppppiii", Launch.REDUCE_THREADS);

    /** The .cu / .ptx file name without extension. */
    public final String module;
    /** Parameter types, one letter each (spaces are ignored). */
    public final String signature;
    /**
     * The largest block it may be launched with: its {@code __launch_bounds__} in the source (the
     * PTX's .maxntid, checked by a test), which keeps its registers within what such a block may
     * have. Launches check it.
     */
    public final int maxThreads;

    Kernel(String module, String signature, int maxThreads) {
        this.module = module;
        this.signature = signature.replace(" ", "");
        this.maxThreads = maxThreads;
    }

    /** The kernel's name in its module (extern "C"). */
    public String symbol() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Modules holding at least one kernel, in declaration order. */
    public static java.util.List<String> modules() {
        return java.util.Arrays.stream(values()).map(k -> k.module).distinct().toList();
    }
}
