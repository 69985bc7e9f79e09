package dev.kiln.report;

import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Model;

/**
 * A classifier's predicted class and its probability for each sample. Outputs are turned into probabilities
 * the way the model was trained: softmax (or sigmoid, for one output) when its loss takes logits, or when
 * the outputs are not already a distribution; as they are otherwise.
 *
 * @param classes       predicted class per sample
 * @param probabilities the probability of that class per sample
 */
public record Predictions(int[] classes, float[] probabilities) {

    /** Predicts {@code x} of shape {@code (N, ...model input shape)} in inference mode. */
    public static Predictions of(Model model, Tensor x) {
        Tensor out = model.predict(x);   // (N, K)
        if (out.rank() != 2) {
            throw new IllegalArgumentException("predictions need a classifier with outputs shaped (classes,), but the model outputs "
                    + Shape.str(out.shape()) + " for a batch");
        }
        int n = out.shape(0);
        int k = out.shape(1);
        float[] v = out.toFloatArray();
        boolean logits = model.loss() != null ? model.loss().fromLogits() : !isDistribution(v, n, k);
        int[] classes = new int[n];
        float[] probs = new float[n];
        for (int i = 0; i < n; i++) {
            if (k == 1) {
                float p = logits ? (float) (1 / (1 + Math.exp(-v[i]))) : v[i];
                classes[i] = p > 0.5f ? 1 : 0;
                probs[i] = classes[i] == 1 ? p : 1 - p;
                continue;
            }
            int best = 0;
            for (int j = 1; j < k; j++) if (v[i * k + j] > v[i * k + best]) best = j;
            classes[i] = best;
            if (logits) {
                double sum = 0;
                for (int j = 0; j < k; j++) sum += Math.exp(v[i * k + j] - v[i * k + best]);
                probs[i] = (float) (1 / sum);
            } else {
                probs[i] = v[i * k + best];
            }
        }
        return new Predictions(classes, probs);
    }

    private static boolean isDistribution(float[] v, int n, int k) {
        if (k == 1) {
            for (float f : v) if (!(f >= 0 && f <= 1)) return false;
            return true;
        }
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < k; j++) {
                float f = v[i * k + j];
                if (!(f >= 0 && f <= 1)) return false;
                s += f;
            }
            if (Math.abs(s - 1) > 1e-3) return false;
        }
        return true;
    }

    public int size() {
        return classes.length;
    }
}
