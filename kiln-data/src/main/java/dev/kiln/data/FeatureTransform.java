package dev.kiln.data;

/**
 * A per-sample, shape-preserving change to features, applied by {@link Dataset#map}.
 *
 * <p>It rewrites one sample in place: the {@code sampleSize} floats starting at {@code offset}. Working on
 * the flat array rather than a {@code Tensor} per sample keeps mapping a 60,000-image set free of
 * per-sample allocation. Implementations must be stateless after construction (fitted statistics are
 * fixed), so one instance may be shared between datasets and threads.
 */
@FunctionalInterface
public interface FeatureTransform {

    /** Rewrites {@code data[offset .. offset + sampleSize)} in place. */
    void applyInPlace(float[] data, int offset, int sampleSize);

    /** This transform, then {@code next}. */
    default FeatureTransform andThen(FeatureTransform next) {
        return (data, offset, sampleSize) -> {
            applyInPlace(data, offset, sampleSize);
            next.applyInPlace(data, offset, sampleSize);
        };
    }
}
