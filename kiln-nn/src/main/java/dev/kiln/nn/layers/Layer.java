package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one abstract base of every layer. A layer is built lazily from the shape of its first input (the
 * shape without the batch dimension, as in Keras), creating its parameters then; afterwards every input
 * must have that shape, and a mismatch names the layer, the expected and the received shape.
 *
 * <p>Lifecycle: construct → {@link #build} (once, by the model) → {@link #call} any number of times.
 * Thread-safety: after building, concurrent {@code call}s in inference mode are safe; training is
 * single-threaded.
 */
public abstract class Layer {
    private String name;
    private int[] inputShape;  // without batch
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Tensor> paramsView = Collections.unmodifiableMap(params);   // live: made once, read every step
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();  // non-trainable state saved with the model

    protected Layer(String name) {
        this.name = name;
    }

    /** The layer's name ({@code dense_1}); models assign one when none was given. */
    public final String name() {
        return name;
    }

    /** Sets the name if none was given; used by models to number layers like Keras does. */
    public final void nameIfUnset(String generated) {
        if (name == null) name = generated;
    }

    /** A short type name used for automatic names and the model file ({@code Dense}). */
    public abstract String typeName();

    /** The serialisable configuration that rebuilds this layer (weights excluded). */
    public abstract LayerConfig config();

    public final boolean isBuilt() {
        return inputShape != null;
    }

    /** Input shape without the batch dimension, or null before building. */
    public final int[] inputShape() {
        return inputShape == null ? null : inputShape.clone();
    }

    /** Creates parameters for inputs of {@code inputShape} (no batch dimension). Idempotent for the same shape. */
    public final void build(int[] inputShape, Rng rng) {
        if (this.inputShape != null) {
            if (!Shape.equal(this.inputShape, inputShape)) throw shapeError(inputShape);
            return;
        }
        int[] shape = inputShape.clone();
        validateInput(shape);
        createParameters(shape, rng);
        this.inputShape = shape;
    }

    /** Checks a first input shape before parameters are created; throw with a helpful message. */
    protected void validateInput(int[] inputShape) {}

    /** Creates this layer's parameters (via {@link #addParameter}) for the given input shape. */
    protected void createParameters(int[] inputShape, Rng rng) {}

    /** Output shape without the batch dimension for an input shape without the batch dimension. */
    public abstract int[] outputShape(int[] inputShape);

    /** Applies the layer to a batch {@code x} of shape (B, ...inputShape). */
    public final Tensor call(Tensor x, CallContext ctx) {
        buildOrCheck(x, ctx);
        return forward(x, ctx);
    }

    /** Builds for x's sample shape on the first call, else checks x against the built shape (no copy when it matches). */
    final void buildOrCheck(Tensor x, CallContext ctx) {
        int rank = x.rank();
        if (rank == 0) throw new IllegalArgumentException("layer '" + name + "' (" + typeName() + ") got a scalar; it expects a batch");
        if (inputShape != null && sameSampleShape(x)) return;   // the common case, checked without copying shapes
        int[] s = x.shape();
        int[] sample = Arrays.copyOfRange(s, 1, s.length);
        if (inputShape == null) build(sample, ctx.rng());
        else throw shapeError(sample);
    }

    /** Whether this layer is built for samples of {@code sample} (no batch dimension); compared without copying. */
    final boolean builtFor(int[] sample) {
        return inputShape != null && Shape.equal(inputShape, sample);
    }

    /** Whether {@code x} is (B, ...inputShape). */
    private boolean sameSampleShape(Tensor x) {
        if (x.rank() != inputShape.length + 1) return false;
        for (int i = 0; i < inputShape.length; i++) if (x.shape(i + 1) != inputShape[i]) return false;
        return true;
    }

    /** The computation itself, for an input already checked against the built shape. */
    protected abstract Tensor forward(Tensor x, CallContext ctx);

    /**
     * Applies the layer with the (B, T) mask of its input (1 = real step, 0 = padding; null = none), as
     * Keras propagates masks: layers that use masks (recurrent layers, attention) override
     * {@link #forward(Tensor, Tensor, CallContext)}; the rest ignore it.
     */
    public final Tensor call(Tensor x, Tensor mask, CallContext ctx) {
        if (mask == null) return call(x, ctx);
        buildOrCheck(x, ctx);
        return forward(x, mask, ctx);
    }

    /** Forward with an input mask; the default ignores the mask. */
    protected Tensor forward(Tensor x, Tensor mask, CallContext ctx) {
        return forward(x, ctx);
    }

    /**
     * The mask of this layer's output given its input and the input's mask: by default the input's mask
     * passes through; Embedding(maskZero) creates one and layers that remove the time axis drop it.
     */
    public Tensor computeMask(Tensor x, Tensor mask) {
        return mask;
    }

    private IllegalArgumentException shapeError(int[] got) {
        return new IllegalArgumentException("layer '" + name + "' (" + typeName() + ") expects input of shape " + batchShape(inputShape)
                + " but received " + batchShape(got) + "; reshape the data or rebuild the model for the new input shape");
    }

    /** {@code (batch, 28, 28)}: a per-sample shape written with its batch dimension, as users see their arrays. */
    public static String batchShape(int[] sample) {
        StringBuilder sb = new StringBuilder("(batch");
        for (int d : sample) sb.append(", ").append(d);
        return sb.append(')').toString();
    }

    /** Registers a trainable parameter under a short name ({@code kernel}); returns it. */
    protected final Tensor addParameter(String shortName, Tensor value) {
        value.requiresGrad(true).named(name + "." + shortName);
        params.put(shortName, value);
        return value;
    }

    /**
     * Replaces a parameter's tensor (same shape), e.g. with loaded weights or with a float64 copy for a
     * gradient check. Layers read their parameters through {@link #parameter} so replacements take effect.
     */
    public final void setParameter(String shortName, Tensor value) {
        Tensor old = params.get(shortName);
        if (old == null) throw new IllegalArgumentException("layer '" + name + "' has no parameter '" + shortName + "'; it has " + params.keySet());
        if (!Shape.equal(old.shape(), value.shape())) {
            throw new IllegalArgumentException("parameter '" + name + "." + shortName + "' has shape " + Shape.str(old.shape())
                    + ", the replacement has " + Shape.str(value.shape()));
        }
        params.put(shortName, value);
    }

    /** The current tensor of a parameter. */
    protected final Tensor parameter(String shortName) {
        return params.get(shortName);
    }

    /** Trainable parameters by short name, in creation order. */
    public final Map<String, Tensor> parameters() {
        return paramsView;
    }

    /**
     * Registers non-trainable state that is saved with the model but never trained (BatchNormalization's moving
     * statistics). The tensor must be float32 and own its storage: the layer updates it in place, and loading
     * overwrites it.
     */
    protected final Tensor addBuffer(String shortName, Tensor value) {
        value.named(name + "." + shortName);
        buffers.put(shortName, value);
        return value;
    }

    /** The current tensor of a buffer. */
    protected final Tensor buffer(String shortName) {
        return buffers.get(shortName);
    }

    /** Non-trainable state by short name, in creation order (empty for most layers). */
    public final Map<String, Tensor> buffers() {
        return Collections.unmodifiableMap(buffers);
    }

    /** Number of scalar non-trainable values. */
    public final long bufferCount() {
        long n = 0;
        for (Tensor t : buffers.values()) n += t.size();
        return n;
    }

    /** Regularisation penalty to add to the loss (zero tensor-free when none): null means none. */
    public Tensor regularization() {
        return null;
    }

    /** Number of scalar parameters. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor t : params.values()) n += t.size();
        return n;
    }
}
