package dev.kiln.nn.layers;

import dev.kiln.core.Rng;

/**
 * What a forward pass needs besides its input: whether it is training (dropout on, batch statistics) and
 * the random source for stochastic layers.
 */
public record CallContext(boolean training, Rng rng) {
    /** Inference: no randomness needed. */
    public static CallContext inference() {
        return new CallContext(false, new Rng(0));
    }
}
