package org.mrine.model;

import java.util.ArrayList;
import java.util.List;
import org.mrine.backend.Backend;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * Multilayer perceptron: hidden layers Linear -> tanh, then a linear output layer. Parameter names
 * follow the reference: {@code <prefix>.layers.<i>.weight|bias} and {@code <prefix>.<output>.weight|bias},
 * weights [out, in] as in torch.nn.Linear.
 */
public final class Mlp {
    private final String prefix;
    private final String outputLayer;
    private final int[] sizes;
    private final List<Tensor> weights = new ArrayList<>();
    private final List<Tensor> biases = new ArrayList<>();
    private final List<Tensor> dWeights = new ArrayList<>();
    private final List<Tensor> dBiases = new ArrayList<>();

    /** sizes: input, hidden..., output. */
    public Mlp(String prefix, String outputLayer, int... sizes) {
        if (sizes.length < 2) throw new IllegalArgumentException(prefix + ": an MLP needs an input and an output size");
        this.prefix = prefix;
        this.outputLayer = outputLayer;
        this.sizes = sizes.clone();
    }

    public int layers() {
        return sizes.length - 1;
    }

    public int inputSize() {
        return sizes[0];
    }

    public int outputSize() {
        return sizes[sizes.length - 1];
    }

    private String layerName(int l) {
        return l == layers() - 1 ? prefix + "." + outputLayer : prefix + ".layers." + l;
    }

    public List<String> weightNames() {
        List<String> names = new ArrayList<>();
        for (int l = 0; l < layers(); l++) names.add(layerName(l) + ".weight");
        return names;
    }

    void declare(Parameters.Layout layout) {
        for (int l = 0; l < layers(); l++) {
            layout.add(layerName(l) + ".weight", sizes[l + 1], sizes[l]);
            layout.add(layerName(l) + ".bias", sizes[l + 1]);
        }
    }

    void bind(Parameters params, Parameters grads) {
        weights.clear();
        biases.clear();
        dWeights.clear();
        dBiases.clear();
        for (int l = 0; l < layers(); l++) {
            weights.add(params.get(layerName(l) + ".weight"));
            biases.add(params.get(layerName(l) + ".bias"));
            dWeights.add(grads.get(layerName(l) + ".weight"));
            dBiases.add(grads.get(layerName(l) + ".bias"));
        }
    }

    /** Xavier-normal weights (std = sqrt(2 / (fan_in + fan_out))), zero biases. */
    void initialize(java.util.random.RandomGenerator rng) {
        for (int l = 0; l < layers(); l++) {
            Tensor w = weights.get(l);
            double std = Math.sqrt(2.0 / (sizes[l] + sizes[l + 1]));
            for (long i = 0; i < w.size(); i++) w.set(i, (float) (std * rng.nextGaussian()));
            biases.get(l).fill(0f);
        }
    }

    /** Per-use buffers: each layer's output [R, size] and its gradient. */
    public final class Activations {
        final Tensor[] out;
        final Tensor[] grad;

        Activations(Workspace ws, int rows) {
            out = new Tensor[layers()];
            grad = new Tensor[layers()];
            for (int l = 0; l < layers(); l++) {
                out[l] = ws.zeros(rows, sizes[l + 1]);
                grad[l] = ws.zeros(rows, sizes[l + 1]);
            }
        }

        public Tensor output() {
            return out[out.length - 1];
        }

        /** The gradient of the loss with respect to {@link #output()}, accumulated by the caller. */
        public Tensor outputGrad() {
            return grad[grad.length - 1];
        }

        /** Adds the layers' gradients, which a backward pass accumulates into, to {@code out} (to be zeroed before it). */
        public void collectGrads(List<Tensor> out) {
            java.util.Collections.addAll(out, grad);
        }
    }

    public Activations activations(Workspace ws, int rows) {
        return new Activations(ws, rows);
    }

    /** in [R, input] -> acts.output() [R, output]. */
    public Tensor forward(Backend be, Tensor in, Activations acts) {
        for (int l = 0; l < layers(); l++) {
            be.denseForward(l == 0 ? in : acts.out[l - 1], weights.get(l), biases.get(l), l < layers() - 1, acts.out[l]);
        }
        return acts.output();
    }

    /**
     * A snapshot of this MLP's weights and biases laid out for one-row inference
     * ({@link Backend#denseForwardRow}): streaming with a trained model. Later parameter updates do
     * not reach it.
     */
    public Frozen freeze(Backend be) {
        return new Frozen(be);
    }

    public final class Frozen {
        private final Tensor[] weights;
        private final Tensor[] biases;

        private Frozen(Backend be) {
            weights = new Tensor[layers()];
            biases = new Tensor[layers()];
            for (int l = 0; l < layers(); l++) {
                weights[l] = be.frozenDenseWeight(Mlp.this.weights.get(l));
                biases[l] = be.workspace().zeros(sizes[l + 1]);
                be.copyColumns(Mlp.this.biases.get(l), biases[l], 0);
            }
        }

        /** in [1, input] -> acts.output() [1, output], as {@link Mlp#forward} on one row. */
        public Tensor forward(Backend be, Tensor in, Activations acts) {
            for (int l = 0; l < layers(); l++) {
                be.denseForwardRow(l == 0 ? in : acts.out[l - 1], weights[l], biases[l], l < layers() - 1, acts.out[l]);
            }
            return acts.output();
        }
    }

    /** Backward from acts.outputGrad(); accumulates parameter gradients and (if not null) dIn [R, input]. */
    public void backward(Backend be, Tensor in, Activations acts, Tensor dIn) {
        for (int l = layers() - 1; l >= 0; l--) {
            be.denseBackward(l == 0 ? in : acts.out[l - 1], weights.get(l), acts.out[l], l < layers() - 1,
                    acts.grad[l], l == 0 ? dIn : acts.grad[l - 1], dWeights.get(l), dBiases.get(l));
        }
    }
}
