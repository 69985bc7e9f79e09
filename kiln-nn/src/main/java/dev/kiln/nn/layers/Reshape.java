package dev.kiln.nn.layers;

import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import java.util.Arrays;

/**
 * Gives every sample a new shape with the same number of elements (Keras {@code Reshape}); one dimension may
 * be -1 and is inferred. The usual use: {@code Reshape([28, 28, 1])} turns (batch, 28, 28) images into the
 * channels-last (batch, 28, 28, 1) that Conv2D needs. A view; nothing is copied.
 */
public final class Reshape extends Layer {
    /** @param targetShape the per-sample shape, without the batch dimension */
    public record Config(String name, int[] targetShape) implements LayerConfig {
        public Config {
            if (targetShape == null || targetShape.length == 0) {
                throw new IllegalArgumentException("Reshape needs a target_shape without the batch axis, e.g. [28, 28, 1]");
            }
            int inferred = 0;
            for (int d : targetShape) {
                if (d == -1) inferred++;
                else if (d < 1) throw new IllegalArgumentException("Reshape target_shape " + Arrays.toString(targetShape) + " has a dimension < 1");
            }
            if (inferred > 1) throw new IllegalArgumentException("Reshape target_shape " + Arrays.toString(targetShape) + ": only one dimension may be -1");
            targetShape = targetShape.clone();
        }

        @Override
        public Layer create() {
            return new Reshape(this);
        }
    }

    private final int[] target;
    // (batch, ...outputShape) of the last call, reused while the batch stays the same: no shape array per training step.
    // Volatile, as a model may predict on several threads; the arrays are never changed once published. The sample
    // shape is fixed once built (call checks it), so the batch is the only key.
    private volatile int[] full;

    public Reshape(int... targetShape) {
        this(new Config(null, targetShape));
    }

    public Reshape(Config config) {
        super(config.name());
        this.target = config.targetShape();
    }

    @Override
    public String typeName() {
        return "Reshape";
    }

    @Override
    public Config config() {
        return new Config(name(), target);
    }

    @Override
    protected void validateInput(int[] inputShape) {
        outputShape(inputShape);
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        int n = Shape.size(inputShape);
        int known = 1, infer = -1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == -1) infer = i;
            else known *= target[i];
        }
        int[] out = target.clone();
        boolean fits = infer >= 0 ? n % known == 0 : known == n;
        if (infer >= 0 && fits) out[infer] = n / known;
        if (!fits) {
            throw new IllegalArgumentException("layer '" + name() + "' (Reshape) cannot reshape " + batchShape(inputShape) + " (" + n
                    + " values per sample) to " + batchShape(target) + " (" + (infer >= 0 ? "a multiple of " + known : Shape.size(target))
                    + " values); choose a target_shape with " + n + " values per sample");
        }
        return out;
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        int[] shape = full;
        if (shape == null || shape[0] != x.shape(0)) {
            int[] out = outputShape(inputShape());
            shape = new int[out.length + 1];
            shape[0] = x.shape(0);
            System.arraycopy(out, 0, shape, 1, out.length);
            full = shape;
        }
        return x.reshape(shape);
    }
}
