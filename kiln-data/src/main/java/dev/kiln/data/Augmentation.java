package dev.kiln.data;

import dev.kiln.core.Rng;

/**
 * A random, shape-preserving change to the samples of a training batch: random flips, crops, rotations,
 * colour jitter ({@code dev.kiln.data.image.ImageAugmentation}). Attach one with {@link Dataset#augmented};
 * the dataset applies it to each batch of a training pass, after copying the samples out, so the stored
 * data never changes and every epoch sees new variations.
 *
 * <p>All randomness must come from {@code rng}, so a seed fixes the run. Implementations must be stateless
 * after construction, so one instance may be shared between datasets and threads.
 */
@FunctionalInterface
public interface Augmentation {

    /**
     * Rewrites the {@code count} samples in {@code batch} in place.
     *
     * @param batch       {@code (count, ...sampleShape)} row-major; its length is {@code count × size(sampleShape)}
     * @param sampleShape the shape of one sample (do not modify)
     * @param rng         the random source for this batch
     */
    void applyInPlace(float[] batch, int count, int[] sampleShape, Rng rng);
}
