package dev.kiln.data;

import java.util.Objects;

/**
 * Per-feature min-max scaling to [0, 1], {@code (x − min) / (max − min)}, with min and max fitted on one
 * dataset and applied unchanged to others (whose values may then fall outside [0, 1]; they are not
 * clipped, so nothing is hidden). A constant feature maps to 0. Immutable and thread-safe.
 */
public final class MinMax implements FeatureTransform {
    private final float[] min;
    private final float[] max;
    private final float[] range;   // max − min, or 1 for a constant feature so that it maps to 0

    private MinMax(float[] min, float[] max) {
        this.min = min;
        this.max = max;
        this.range = new float[min.length];
        for (int j = 0; j < min.length; j++) range[j] = max[j] > min[j] ? max[j] - min[j] : 1f;
    }

    /** Fits the per-feature minimum and maximum of {@code data}'s features. */
    public static MinMax fit(Dataset data) {
        Objects.requireNonNull(data, "data");
        if (data.size() == 0) throw new IllegalArgumentException("cannot fit MinMax on an empty dataset");
        float[] x = data.rawFeatures();
        int f = data.sampleSize();
        float[] lo = new float[f];
        float[] hi = new float[f];
        System.arraycopy(x, 0, lo, 0, f);
        System.arraycopy(x, 0, hi, 0, f);
        for (int off = f; off < x.length; off += f) {
            for (int j = 0; j < f; j++) {
                lo[j] = Math.min(lo[j], x[off + j]);
                hi[j] = Math.max(hi[j], x[off + j]);
            }
        }
        return new MinMax(lo, hi);
    }

    /** The fitted minima; a copy. */
    public float[] min() {
        return min.clone();
    }

    /** The fitted maxima; a copy. */
    public float[] max() {
        return max.clone();
    }

    @Override
    public void applyInPlace(float[] data, int offset, int sampleSize) {
        if (sampleSize != min.length) {
            throw new IllegalArgumentException("this MinMax was fitted on samples of " + min.length
                    + " features but is applied to samples of " + sampleSize + "; fit it on data of the same shape");
        }
        for (int j = 0; j < sampleSize; j++) data[offset + j] = (data[offset + j] - min[j]) / range[j];
    }
}
