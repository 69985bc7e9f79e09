package dev.kiln.data.text;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * Next-token training data from one long stream of token ids, as nanoGPT's {@code get_batch}: a window
 * starting at {@code i} has inputs {@code tokens[i, i+T)} and targets {@code tokens[i+1, i+T+1)}, so
 * each position learns to predict the token after it. Batches draw window starts uniformly at random from
 * the given {@link Rng}, so a seed fixes the sequence of batches. Immutable, thread-safe (each caller
 * brings its own Rng).
 */
public final class LanguageModelData {
    private final int[] tokens;
    private final int contextLength;

    /**
     * @param tokens        the token stream (copied); at least {@code contextLength + 1} long
     * @param contextLength T, the window length; at least 1
     */
    public LanguageModelData(int[] tokens, int contextLength) {
        Objects.requireNonNull(tokens, "tokens");
        if (contextLength < 1) throw new IllegalArgumentException("context length must be at least 1, got " + contextLength);
        if (tokens.length < contextLength + 1) {
            throw new IllegalArgumentException(tokens.length + " tokens cannot make one window of context length " + contextLength
                    + " (which needs " + (contextLength + 1) + " tokens: inputs and their next tokens); use more text or a shorter context");
        }
        this.tokens = tokens.clone();
        this.contextLength = contextLength;
    }

    /** {@code text} encoded with {@code tokenizer}, in windows of {@code contextLength}. */
    public static LanguageModelData of(String text, Tokenizer tokenizer, int contextLength) {
        return new LanguageModelData(tokenizer.encode(Objects.requireNonNull(text, "text")), contextLength);
    }

    /** One batch: {@code inputs} (B, T) token ids as floats; {@code targets} (B × T) ids, row-major. */
    public record LmBatch(Tensor inputs, int[] targets) {
        public LmBatch {
            Objects.requireNonNull(inputs, "inputs");
            Objects.requireNonNull(targets, "targets");
            if (inputs.rank() != 2 || inputs.shape(0) * inputs.shape(1) != targets.length) {
                throw new IllegalArgumentException("inputs should be (B, T) with B × T targets, got rank " + inputs.rank() + " and " + targets.length + " targets");
            }
        }

        public int batchSize() {
            return inputs.shape(0);
        }

        public int contextLength() {
            return inputs.shape(1);
        }
    }

    /** A head part (the first {@code 1 - fraction} of the stream) and a tail part, as nanoGPT's train/val split. */
    public record Split(LanguageModelData train, LanguageModelData validation) {}

    public int contextLength() {
        return contextLength;
    }

    /** Number of tokens in the stream. */
    public int numTokens() {
        return tokens.length;
    }

    /** Number of distinct windows: {@code numTokens() - contextLength}. */
    public int numWindows() {
        return tokens.length - contextLength;
    }

    /** The stream's ids (a copy). */
    public int[] tokens() {
        return tokens.clone();
    }

    /**
     * The contiguous split: validation gets the last {@code round(numTokens × fraction)} tokens. Contiguous
     * rather than random, because random windows of one text overlap and would leak into validation.
     */
    public Split split(double validationFraction) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + validationFraction);
        }
        int nVal = (int) Math.round(tokens.length * validationFraction);
        int nTrain = tokens.length - nVal;
        if (nVal < contextLength + 1 || nTrain < contextLength + 1) {
            throw new IllegalArgumentException("validation fraction " + validationFraction + " of " + tokens.length + " tokens gives parts of "
                    + nTrain + " and " + nVal + " tokens; each needs at least " + (contextLength + 1) + " for one window of context " + contextLength);
        }
        return new Split(new LanguageModelData(Arrays.copyOfRange(tokens, 0, nTrain), contextLength),
                new LanguageModelData(Arrays.copyOfRange(tokens, nTrain, tokens.length), contextLength));
    }

    /** The window starting at {@code start}, as a batch of one. */
    public LmBatch window(int start) {
        return batch(new int[] {start});
    }

    /** {@code batchSize} windows at random starts drawn from {@code rng} (with replacement, as nanoGPT). */
    public LmBatch batch(int batchSize, Rng rng) {
        Objects.requireNonNull(rng, "rng");
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        int[] starts = new int[batchSize];
        for (int b = 0; b < batchSize; b++) starts[b] = rng.nextInt(numWindows());
        return batch(starts);
    }

    /** The windows starting at {@code starts}, each in {@code [0, numWindows())}. */
    public LmBatch batch(int[] starts) {
        int t = contextLength;
        float[] x = new float[Math.multiplyExact(starts.length, t)];   // (B, T)
        int[] y = new int[starts.length * t];                            // (B·T)
        for (int b = 0; b < starts.length; b++) {
            int s = starts[b];
            if (s < 0 || s >= numWindows()) {
                throw new IndexOutOfBoundsException("window start " + s + " is outside [0, " + numWindows() + ")");
            }
            for (int j = 0; j < t; j++) {
                x[b * t + j] = tokens[s + j];
                y[b * t + j] = tokens[s + j + 1];
            }
        }
        return new LmBatch(Tensor.of(x, starts.length, t), y);
    }
}
