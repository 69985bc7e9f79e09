package dev.kiln.data;

import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;

/**
 * One mini-batch: features {@code x} of shape {@code (B, ...sampleShape)} and class indices {@code y}
 * of length {@code B}. Made by {@link Dataset#batches}; {@code x} owns a fresh array, so a training
 * step may keep or modify it. {@link Dataset#reusedBatches} refills the same few batches instead: there a batch
 * is valid only until the next-but-one is taken.
 *
 * <p>Like every record with an array component, {@code equals} compares {@code y} by identity.
 */
public record Batch(Tensor x, int[] y) {
    public Batch {
        if (x == null || y == null) throw new IllegalArgumentException("a batch needs both x and y, got x=" + x + ", y=" + (y == null ? "null" : "int[" + y.length + "]"));
        if (x.rank() == 0 || x.shape(0) != y.length) {
            throw new IllegalArgumentException("batch x has shape " + Shape.str(x.shape()) + " but y has " + y.length
                    + " labels; the first dimension of x must equal the number of labels");
        }
    }

    /** Number of samples in this batch (the last batch of an epoch may be smaller than the others). */
    public int size() {
        return y.length;
    }
}
