package org.mrine.backend;

import java.util.Arrays;

/**
 * Double-precision sums that backend ops add loss terms into, kept where the backend computes:
 * on the CPU in this object's host array, on a GPU in device memory ({@link Device}) that
 * {@link #read} brings back in one transfer. A training step adds all its terms (and the gradient
 * norm) into one Sums and reads it once, so the host waits for a GPU once per step instead of once
 * per term.
 *
 * <p>Ops add into a slot ({@code +=}), in call order; {@link #clear} zeroes every slot. Made by
 * {@link Backend#sums}; used by one thread at a time.
 */
public final class Sums {

    /** Where a device backend keeps the slots. */
    public interface Device {
        /** Zeroes the slots, enqueued after all work so far. */
        void clear();

        /** Copies the slots into {@code into} once all work enqueued so far is done (waits for the device). */
        void read(double[] into);
    }

    private final double[] host;
    private final Device device;

    /** Sums on the host (the CPU backend, and the default ops of any backend). */
    public Sums(int slots) {
        this(slots, null);
    }

    /** Sums kept by a device backend (null: on the host). */
    public Sums(int slots, Device device) {
        if (slots < 1) throw new IllegalArgumentException("a Sums needs at least one slot, got " + slots);
        this.host = new double[slots];
        this.device = device;
    }

    public int size() {
        return host.length;
    }

    /** The device behind these sums, or null on the host. */
    public Device device() {
        return device;
    }

    /** Sets every slot to 0. */
    public void clear() {
        if (device != null) {
            device.clear();
        } else {
            Arrays.fill(host, 0);
        }
    }

    /** The slots, once everything added so far is summed (on a GPU: one wait, one transfer). */
    public double[] read() {
        if (device != null) device.read(host);
        return host.clone();
    }

    /** Adds v to a slot on the host: how the {@link Backend} default ops, and a host backend's, add what they computed. */
    public void add(int slot, double v) {
        if (device != null) throw new IllegalStateException("these sums live on a device: only its backend's ops add to them");
        host[slot] += v;
    }
}
