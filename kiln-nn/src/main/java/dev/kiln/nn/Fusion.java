package dev.kiln.nn;

import dev.kiln.core.Tensor;
import dev.kiln.nn.layers.ActivationLayer;
import dev.kiln.nn.layers.BatchNormalization;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Conv2D;
import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.layers.MaxPooling2D;

/**
 * The pairs of adjacent layers that {@link Sequential} and {@link Functional} run as one op, where the first layer's
 * output has no other reader: Conv2D(relu) then a tiling MaxPooling2D ({@link Conv2D#callWithMaxPool}), and
 * BatchNormalization then a ReLU {@code Activation} layer ({@link BatchNormalization#callWithRelu}). Either way the
 * value between them is never stored, and results are what the two layers give called in turn.
 */
final class Fusion {
    private Fusion() {}

    /** Whether {@code first} then {@code second} may fuse; {@link #call} still says no for a configuration it cannot take. */
    static boolean candidates(Layer first, Layer second) {
        return (first instanceof Conv2D && second instanceof MaxPooling2D) || (first instanceof BatchNormalization && second instanceof ActivationLayer);
    }

    /** {@code second(first(x))} as one op, or null when the pair does not fuse and the caller runs them in turn. */
    static Tensor call(Layer first, Tensor x, Layer second, CallContext ctx) {
        if (first instanceof Conv2D conv && second instanceof MaxPooling2D pool) return conv.callWithMaxPool(x, pool, ctx);
        if (first instanceof BatchNormalization bn && second instanceof ActivationLayer act) return bn.callWithRelu(x, act, ctx);
        return null;
    }
}
