package org.mrine.model;

import java.util.List;

/**
 * One batch of B trials of T steps, on the heap: per modality (in the model's order) its data
 * [B,T,N] and its mask [B,T] (1 where the sample exists). Values where the mask is 0 are never read.
 */
public record Batch(int trials, int steps, List<float[]> data, List<float[]> masks) {

    public Batch {
        data = List.copyOf(data);
        masks = List.copyOf(masks);
        if (data.size() != masks.size()) throw new IllegalArgumentException(data.size() + " data arrays but " + masks.size() + " masks");
        for (int i = 0; i < masks.size(); i++) {
            if (masks.get(i).length != trials * steps) {
                throw new IllegalArgumentException("mask " + i + " has " + masks.get(i).length + " values, expected B*T = " + trials * steps);
            }
        }
    }
}
