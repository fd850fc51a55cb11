package org.mrine.data;

import java.math.BigDecimal;
import java.util.Locale;

/** Numbers as people write them: 6 significant digits, no trailing zeros ("10", "0.25", "1087.53"). */
final class Text {
    private Text() {
    }

    static String num(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) return String.valueOf(x);
        if (x == Math.rint(x) && Math.abs(x) < 1e15) return String.valueOf((long) x);
        String s = new BigDecimal(String.format(Locale.ROOT, "%.6g", x)).stripTrailingZeros().toPlainString();
        return s;
    }

    /** Four significant digits. */
    static String short4(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) return String.valueOf(x);
        return new BigDecimal(String.format(Locale.ROOT, "%.4g", x)).stripTrailingZeros().toPlainString();
    }

    /** A duration in seconds, in the most readable unit. */
    static String duration(double sec) {
        if (Math.abs(sec) < 1) return num(sec * 1000) + " ms";
        if (Math.abs(sec) < 120) return num(sec) + " s";
        if (Math.abs(sec) < 7200) return num(sec) + " s (" + short4(sec / 60) + " min)";
        return num(sec) + " s (" + short4(sec / 3600) + " h)";
    }
}
