package dev.kiln.data.image;

import dev.kiln.data.Dataset;
import dev.kiln.data.FeatureTransform;
import java.util.Arrays;
import java.util.Objects;

/**
 * Per-channel standardisation of channels-last images: {@code x[..., c] = (x[..., c] - mean[c]) / std[c]},
 * as torchvision's {@code Normalize} does for channels-first tensors. Fit it on the training set and apply
 * the same statistics to validation, test and new images.
 *
 * @param mean one value per channel
 * @param std  one positive value per channel
 */
public record ChannelNormalization(float[] mean, float[] std) implements FeatureTransform {
    public ChannelNormalization {
        Objects.requireNonNull(mean, "mean");
        Objects.requireNonNull(std, "std");
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("need one mean and one std per channel, got " + mean.length + " means and " + std.length + " stds");
        }
        for (int c = 0; c < std.length; c++) {
            if (!(std[c] > 0) || !Float.isFinite(std[c]) || !Float.isFinite(mean[c])) {
                throw new IllegalArgumentException("channel " + c + " has mean " + mean[c] + " and std " + std[c]
                        + "; std must be positive and both finite (a constant channel has std 0: leave it out or use std 1)");
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** The statistics of every pixel of {@code data}, whose samples are channels-last {@code (..., C)}. */
    public static ChannelNormalization fit(Dataset data) {
        int[] shape = data.sampleShape();
        int c = shape[shape.length - 1];
        float[] x = data.features().toFloatArray();
        double[] sum = new double[c];
        double[] sq = new double[c];
        for (int i = 0; i < x.length; i++) sum[i % c] += x[i];
        long n = x.length / c;
        if (n == 0) throw new IllegalArgumentException("cannot fit channel statistics on an empty dataset");
        float[] mean = new float[c];
        for (int k = 0; k < c; k++) mean[k] = (float) (sum[k] / n);
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - mean[i % c];
            sq[i % c] += d * d;
        }
        float[] std = new float[c];
        for (int k = 0; k < c; k++) std[k] = (float) Math.max(Math.sqrt(sq[k] / n), 1e-7);
        return new ChannelNormalization(mean, std);
    }

    @Override
    public void applyInPlace(float[] data, int offset, int sampleSize) {
        int c = mean.length;
        if (sampleSize % c != 0) {
            throw new IllegalArgumentException("samples of " + sampleSize + " values are not a whole number of " + c + "-channel pixels");
        }
        for (int i = 0; i < sampleSize; i++) data[offset + i] = (data[offset + i] - mean[i % c]) / std[i % c];
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    @Override
    public String toString() {
        return "ChannelNormalization(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")";
    }
}
