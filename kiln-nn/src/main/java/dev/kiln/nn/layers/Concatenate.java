package dev.kiln.nn.layers;

import dev.kiln.core.Tensor;
import java.util.List;

/** Joins inputs along an axis (Keras {@code Concatenate}; default the last, i.e. the channels). */
public final class Concatenate extends Merge {
    /** @param axis the axis of a batch (B, ...) to join along; negative counts from the end; default -1 */
    public record Config(String name, Integer axis) implements LayerConfig {
        public Config {
            if (axis == null) axis = -1;
            if (axis == 0) throw new IllegalArgumentException("Concatenate axis 0 is the batch axis; use -1 (channels) or another sample axis");
        }

        @Override
        public Layer create() {
            return new Concatenate(this);
        }
    }

    private final int axis;

    public Concatenate() {
        this(new Config(null, -1));
    }

    public Concatenate(Config config) {
        super(config.name());
        this.axis = config.axis();
    }

    @Override
    public String typeName() {
        return "Concatenate";
    }

    @Override
    public Config config() {
        return new Config(name(), axis);
    }

    /** The axis within one sample (no batch dimension). */
    private int sampleAxis(int rank) {
        int a = axis < 0 ? rank + 1 + axis : axis;
        if (a < 1 || a > rank) throw new IllegalArgumentException("layer '" + name() + "' (Concatenate) axis " + axis + " is out of range for samples of rank " + rank);
        return a - 1;
    }

    @Override
    public int[] outputShape(List<int[]> inputShapes) {
        int[] first = inputShapes.get(0);
        int a = sampleAxis(first.length);
        int[] out = first.clone();
        out[a] = 0;
        for (int[] s : inputShapes) {
            boolean ok = s.length == first.length;
            for (int d = 0; ok && d < s.length; d++) ok = d == a || s[d] == first[d];
            if (!ok) {
                throw new IllegalArgumentException("layer '" + name() + "' (Concatenate) along axis " + axis + " needs inputs that agree on every other axis, but received "
                        + shapes(inputShapes) + "; resize or pool the inputs to match");
            }
            out[a] += s[a];
        }
        return out;
    }

    @Override
    protected boolean fit(List<Tensor> xs) {
        Tensor first = xs.get(0);
        int a = sampleAxis(first.rank() - 1) + 1;   // in batch coordinates
        for (int i = 1; i < xs.size(); i++) {
            Tensor t = xs.get(i);
            if (t.rank() != first.rank()) return false;
            for (int d = 0; d < t.rank(); d++) if (d != a && t.shape(d) != first.shape(d)) return false;
        }
        return true;
    }

    @Override
    protected Tensor merge(List<Tensor> xs) {
        Tensor[] parts = Scratch.tensors(Scratch.CONCAT_PARTS, xs.size());   // concat keeps no array
        try {
            return Tensor.concat(sampleAxis(xs.get(0).rank() - 1) + 1, xs.toArray(parts));
        } finally {
            java.util.Arrays.fill(parts, null);
        }
    }
}
