package dev.kiln.nn.layers;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;

/**
 * Weight initialisers by their Keras names. Fan-in/fan-out follow Keras for dense kernels (in, out).
 * Glorot &amp; Bengio 2010; He et al. 2015. {@code random_uniform}/{@code random_normal} use Keras's default
 * ranges (±0.05, std 0.05). Two are PyTorch's module defaults, so a model can start where a PyTorch twin does:
 * {@code standard_normal} N(0, 1) ({@code nn.Embedding}) and {@code torch_uniform} U(±1/√fan_in)
 * ({@code nn.Linear}'s weights, kaiming_uniform with a = √5, and its biases with the weights' fan-in).
 */
public enum Initializer {
    GLOROT_UNIFORM, GLOROT_NORMAL, HE_UNIFORM, HE_NORMAL, ZEROS, ONES, RANDOM_UNIFORM, RANDOM_NORMAL, STANDARD_NORMAL, TORCH_UNIFORM;

    /** A tensor of {@code shape} whose last two dims are (fanIn, fanOut) (receptive fields multiply in). */
    public Tensor create(Rng rng, int... shape) {
        int fanIn = shape.length >= 2 ? shape[shape.length - 2] : shape.length == 1 ? shape[0] : 1;
        int fanOut = shape.length >= 1 ? shape[shape.length - 1] : 1;
        int receptive = 1;
        for (int i = 0; i < shape.length - 2; i++) receptive *= shape[i];
        return withFans(rng, fanIn * receptive, fanOut * receptive, shape);
    }

    /**
     * A bias of {@code units} for a layer whose kernel has {@code fanIn} inputs. Keras initialises a bias from its
     * own shape; PyTorch's Linear bounds its bias by the weights' fan-in, so {@code torch_uniform} uses that.
     */
    public Tensor createBias(Rng rng, int fanIn, int units) {
        return this == TORCH_UNIFORM ? withFans(rng, fanIn, units, new int[] {units}) : create(rng, units);
    }

    private Tensor withFans(Rng rng, int fanIn, int fanOut, int[] shape) {
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
            case RANDOM_UNIFORM -> Tensor.uniform(rng, -0.05f, 0.05f, shape);
            case RANDOM_NORMAL -> Tensor.normal(rng, 0, 0.05f, shape);
            case STANDARD_NORMAL -> Tensor.normal(rng, 0, 1, shape);
            case TORCH_UNIFORM -> {
                float limit = (float) (1 / Math.sqrt(fanIn));
                yield Tensor.uniform(rng, -limit, limit, shape);
            }
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
        throw new IllegalArgumentException("unknown initializer '" + name + "'; use one of "
                + java.util.Arrays.stream(values()).map(Initializer::keras).collect(java.util.stream.Collectors.joining(", ")));
    }

    @JsonValue
    public String keras() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
