package org.mrine.serve;

import java.util.concurrent.locks.LockSupport;

/**
 * Samples from one source's reader thread to the node's thread: a single-producer,
 * single-consumer ring of preallocated slots (time stamp, arrival instant, channel values), so
 * that handing a sample over allocates nothing. A full ring drops the new sample and counts it
 * (the node is far behind; never the case at the rates of a rig).
 */
public final class SampleRing {
    private final double[] ts;
    private final long[] arrival;
    private final float[][] values;
    private final int mask;
    private volatile long head;   // next slot to read (written by the consumer)
    private volatile long tail;   // next slot to write (written by the producer)
    private volatile long overflow;
    private volatile Thread consumer;

    /** @param capacity slots, a power of two */
    public SampleRing(int capacity, int channels) {
        if (Integer.bitCount(capacity) != 1) throw new IllegalArgumentException("ring capacity must be a power of two");
        ts = new double[capacity];
        arrival = new long[capacity];
        values = new float[capacity][channels];
        mask = capacity - 1;
    }

    /** The thread to wake when a sample is published (the node's). */
    public void wakes(Thread t) {
        consumer = t;
    }

    /** Producer: the values array of the next free slot to fill, or null when the ring is full (the sample is dropped and counted). */
    public float[] claim() {
        long t = tail;
        if (t - head > mask) {
            overflow = overflow + 1;  // only the producer writes it
            return null;
        }
        return values[(int) (t & mask)];
    }

    /** Producer: publishes the claimed slot with its time stamp and arrival instant, and wakes the consumer. */
    public void publish(double timestamp, long arrivalNanos) {
        long t = tail;
        int i = (int) (t & mask);
        ts[i] = timestamp;
        arrival[i] = arrivalNanos;
        tail = t + 1;  // volatile write: the slot's contents are visible before the new tail
        Thread c = consumer;
        if (c != null) LockSupport.unpark(c);
    }

    /** Consumer: samples waiting. */
    public int available() {
        return (int) (tail - head);
    }

    /** Consumer: the oldest waiting slot's index, to read with {@link #ts}, {@link #arrival}, {@link #values}; then {@link #release}. */
    public int peek() {
        return (int) (head & mask);
    }

    public double ts(int slot) {
        return ts[slot];
    }

    public long arrival(int slot) {
        return arrival[slot];
    }

    public float[] values(int slot) {
        return values[slot];
    }

    /** Consumer: frees the oldest slot. */
    public void release() {
        head = head + 1;
    }

    /** Samples dropped because the ring was full. */
    public long overflow() {
        return overflow;
    }
}
