package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;

/**
 * Weight initialisers by their Keras names. Fan-in/fan-out follow Keras for dense kernels (in, out).
 * Glorot & Bengio 2010; He et al. 2015.
 */
public enum Initializer {
    GLOROT_UNIFORM, GLOROT_NORMAL, HE_UNIFORM, HE_NORMAL, ZEROS, ONES;

    /** A tensor of {@code shape} whose last two dims are (fanIn, fanOut) (receptive fields multiply in). */
    public Tensor create(Rng rng, int... shape) {
        int fanIn = shape.length >= 2 ? shape[shape.length - 2] : shape.length == 1 ? shape[0] : 1;
        int fanOut = shape.length >= 1 ? shape[shape.length - 1] : 1;
        int receptive = 1;
        for (int i = 0; i < shape.length - 2; i++) receptive *= shape[i];
        fanIn *= receptive;
        fanOut *= receptive;
        return switch (this) {
            case GLOROT_UNIFORM -> {
                float limit = (float) Math.sqrt(6.0 / (fanIn + fanOut));
                yield Tensor.uniform(rng, -limit, limit, shape);
            }
            case GLOROT_NORMAL -> truncatedNormal(rng, (float) Math.sqrt(2.0 / (fanIn + fanOut)), shape);
            case HE_UNIFORM -> {
                float limit = (float) Math.sqrt(6.0 / fanIn);
                yield Tensor.uniform(rng, -limit, limit, shape);
            }
            case HE_NORMAL -> truncatedNormal(rng, (float) Math.sqrt(2.0 / fanIn), shape);
            case ZEROS -> Tensor.zeros(shape);
            case ONES -> Tensor.ones(shape);
        };
    }

    /** Normal truncated at two standard deviations (redrawn), scaled so the std is {@code std}, as Keras does. */
    private static Tensor truncatedNormal(Rng rng, float std, int... shape) {
        float[] a = new float[dev.kiln.core.Shape.size(shape)];
        double scale = std / 0.87962566103423978; // std of a standard normal truncated to [-2, 2]
        for (int i = 0; i < a.length; i++) {
            double z;
            do z = rng.normal(); while (Math.abs(z) > 2);
            a[i] = (float) (z * scale);
        }
        return Tensor.of(a, shape);
    }

    @JsonCreator
    public static Initializer parse(String name) {
        String n = name.trim().replace('-', '_').toUpperCase(java.util.Locale.ROOT);
        for (Initializer i : values()) if (i.name().equals(n)) return i;
        throw new IllegalArgumentException("unknown initializer '" + name + "'; use one of glorot_uniform, glorot_normal, he_uniform, he_normal, zeros, ones");
    }

    @JsonValue
    public String keras() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
