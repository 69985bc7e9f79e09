package dev.kiln.data;

import java.util.Objects;
import dev.kiln.core.Tensor;

/** Small stateless transforms; the fitted ones are {@link Standardizer} and {@link MinMax}. */
public final class Transforms {
    private Transforms() {}

    /** Multiplies every feature by {@code factor}, e.g. {@code scale(1 / 255f)} for raw pixels. */
    public static FeatureTransform scale(float factor) {
        if (!Float.isFinite(factor)) throw new IllegalArgumentException("scale factor must be finite, got " + factor);
        return (data, offset, n) -> {
            for (int i = offset; i < offset + n; i++) data[i] *= factor;
        };
    }

    /**
     * One-hot rows for class indices: a tensor of shape {@code (n, numClasses)} with a 1 in column
     * {@code labels[i]} of row {@code i} and 0 elsewhere.
     */
    public static Tensor oneHot(int[] labels, int numClasses) {
        Objects.requireNonNull(labels, "labels");
        if (numClasses < 1) throw new IllegalArgumentException("one-hot needs at least 1 class, got " + numClasses);
        float[] out = new float[Math.multiplyExact(labels.length, numClasses)];   // (n, C)
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("label " + labels[i] + " at index " + i + " is out of range for "
                        + numClasses + " classes (valid: 0.." + (numClasses - 1) + ")");
            }
            out[i * numClasses + labels[i]] = 1f;
        }
        return Tensor.of(out, labels.length, numClasses);
    }
}
