package org.mrine.backend.cuda;

import java.util.Arrays;

/**
 * A kernel's argument list as typed 64-bit slots, in parameter order; the letters are those of
 * {@link Kernel#signature}. Built once per launch (a handful of values).
 */
public final class KernelArgs {
    private char[] types = new char[16];
    private long[] bits = new long[16];
    private int count;

    private KernelArgs add(char type, long value) {
        if (count == types.length) {
            types = Arrays.copyOf(types, count * 2);
            bits = Arrays.copyOf(bits, count * 2);
        }
        types[count] = type;
        bits[count++] = value;
        return this;
    }

    /** A device address (0 for a null pointer). */
    public KernelArgs ptr(long address) {
        return add('p', address);
    }

    public KernelArgs i32(int v) {
        return add('i', v);
    }

    public KernelArgs i32(boolean v) {
        return add('i', v ? 1 : 0);
    }

    public KernelArgs i64(long v) {
        return add('l', v);
    }

    public KernelArgs f32(float v) {
        return add('f', Float.floatToRawIntBits(v));
    }

    public KernelArgs f64(double v) {
        return add('d', Double.doubleToRawLongBits(v));
    }

    public int count() {
        return count;
    }

    public char type(int i) {
        return types[i];
    }

    /** The raw bits of argument i (an int or float in the low 32 bits). */
    public long bits(int i) {
        return bits[i];
    }

    public String signature() {
        return new String(types, 0, count);
    }

    /** Throws when these arguments do not match the kernel's parameter list, or the block exceeds its bound. */
    public void check(Kernel k, int block) {
        if (block > k.maxThreads) {
            throw new IllegalArgumentException("kernel " + k.symbol() + " is compiled for blocks of at most " + k.maxThreads
                    + " threads, launched with " + block);
        }
        check(k);
    }

    /** Throws when these arguments do not match the kernel's parameter list. */
    public void check(Kernel k) {
        String sig = signature();
        if (!sig.equals(k.signature)) {
            throw new IllegalArgumentException("kernel " + k.symbol() + " takes (" + k.signature + ") but was given (" + sig + ")");
        }
    }
}
