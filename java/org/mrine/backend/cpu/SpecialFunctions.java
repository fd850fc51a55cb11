package org.mrine.backend.cpu;

/** Special functions the likelihoods need and java.lang.Math lacks. */
public final class SpecialFunctions {
    private SpecialFunctions() {
    }

    private static final double[] LANCZOS = {
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7};

    /** log Gamma(x) for x > 0 (Lanczos, g = 7; about 15 significant digits). */
    public static double logGamma(double x) {
        if (x < 0.5) {
            // reflection: Gamma(x) Gamma(1-x) = pi / sin(pi x)
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        x -= 1;
        double a = LANCZOS[0];
        double t = x + 7.5;
        for (int i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
    }
}
