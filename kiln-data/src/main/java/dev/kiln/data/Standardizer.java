package dev.kiln.data;

import java.util.Objects;

/**
 * Per-feature standardisation, {@code (x − mean) / std}, with mean and (population) standard deviation
 * fitted on one dataset, typically the training set, and applied unchanged to others so that
 * validation and test data see the training statistics.
 *
 * <p>A feature with zero spread (a pixel that is always black) gets std 1, so it maps to 0 instead of
 * NaN. Statistics are accumulated in double, two-pass, so large sets of small floats keep their
 * precision. Immutable and thread-safe.
 */
public final class Standardizer implements FeatureTransform {
    private final float[] mean;
    private final float[] std;

    private Standardizer(float[] mean, float[] std) {
        this.mean = mean;
        this.std = std;
    }

    /** Fits the per-feature mean and standard deviation of {@code data}'s features. */
    public static Standardizer fit(Dataset data) {
        Objects.requireNonNull(data, "data");
        if (data.size() == 0) throw new IllegalArgumentException("cannot fit a Standardizer on an empty dataset");
        float[] x = data.rawFeatures();
        int f = data.sampleSize();
        int n = data.size();
        double[] sum = new double[f];
        for (int off = 0; off < x.length; off += f) {
            for (int j = 0; j < f; j++) sum[j] += x[off + j];
        }
        double[] mu = new double[f];
        for (int j = 0; j < f; j++) mu[j] = sum[j] / n;
        double[] sq = new double[f];
        for (int off = 0; off < x.length; off += f) {
            for (int j = 0; j < f; j++) {
                double d = x[off + j] - mu[j];
                sq[j] += d * d;
            }
        }
        float[] mean = new float[f];
        float[] std = new float[f];
        for (int j = 0; j < f; j++) {
            mean[j] = (float) mu[j];
            float s = (float) Math.sqrt(sq[j] / n);
            std[j] = s > 0 && Float.isFinite(s) ? s : 1f;   // a constant feature maps to 0, not NaN
        }
        return new Standardizer(mean, std);
    }

    /** The fitted means, one per feature; a copy. */
    public float[] mean() {
        return mean.clone();
    }

    /** The fitted standard deviations (1 where a feature was constant); a copy. */
    public float[] std() {
        return std.clone();
    }

    @Override
    public void applyInPlace(float[] data, int offset, int sampleSize) {
        if (sampleSize != mean.length) {
            throw new IllegalArgumentException("this Standardizer was fitted on samples of " + mean.length
                    + " features but is applied to samples of " + sampleSize + "; fit it on data of the same shape");
        }
        for (int j = 0; j < sampleSize; j++) data[offset + j] = (data[offset + j] - mean[j]) / std[j];
    }
}
