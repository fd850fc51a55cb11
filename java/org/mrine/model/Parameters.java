package org.mrine.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.tensor.HostTensor;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * Named tensors laid out in one allocation (parameters, their gradients and optimizer moments use
 * the same layout), in the order they were declared. Names follow the reference's state dict.
 */
public final class Parameters {
    private final Tensor flat;
    private final LinkedHashMap<String, Tensor> byName = new LinkedHashMap<>();
    private final LinkedHashMap<String, int[]> shapes;

    private Parameters(Workspace ws, LinkedHashMap<String, int[]> shapes) {
        this.shapes = shapes;
        long total = 0;
        for (int[] s : shapes.values()) total += HostTensor.numel(s);
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("the model would have " + total + " parameters, more than one float32 array holds ("
                    + (Integer.MAX_VALUE - 8) + "); use smaller model.hidden, model.fusion_hidden, embedding_dim or latent_dim");
        }
        flat = ws.zeros((int) total);
        long off = 0;
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            byName.put(e.getKey(), flat.region(off, e.getValue()));
            off += HostTensor.numel(e.getValue());
        }
    }

    /** Same names and shapes, new zeroed memory (gradients, moments). */
    public Parameters like(Workspace ws) {
        return new Parameters(ws, shapes);
    }

    public Tensor get(String name) {
        Tensor t = byName.get(name);
        if (t == null) throw new IllegalArgumentException("no parameter named " + name);
        return t;
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(byName.keySet()));
    }

    public int[] shape(String name) {
        return shapes.get(name).clone();
    }

    /** All parameters as one vector [P]. */
    public Tensor flat() {
        return flat;
    }

    public void zero() {
        flat.fill(0f);
    }

    /** Declares names and shapes in order, then allocates. */
    public static final class Layout {
        private final LinkedHashMap<String, int[]> shapes = new LinkedHashMap<>();

        public Layout add(String name, int... shape) {
            if (shapes.put(name, shape.clone()) != null) throw new IllegalArgumentException("parameter declared twice: " + name);
            return this;
        }

        public Parameters allocate(Workspace ws) {
            return new Parameters(ws, new LinkedHashMap<>(shapes));
        }
    }
}
