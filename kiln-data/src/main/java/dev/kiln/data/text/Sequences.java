package dev.kiln.data.text;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Keras's {@code pad_sequences}: token-id sequences of different lengths to one length, so a batch is a
 * rectangle. Sequences shorter than {@code maxLen} are filled with {@code value} (by default before the
 * tokens, {@link Padding#PRE}); longer ones are cut (by default their beginning is dropped, {@link
 * Truncating#PRE}, so the last {@code maxLen} tokens remain). Those defaults suit a recurrent classifier,
 * whose final state then sits right after the real tokens; use {@code POST} to keep a text's beginning.
 */
public final class Sequences {
    private Sequences() {}

    /** Where the fill goes. */
    public enum Padding { PRE, POST }

    /** Which end of an over-long sequence is dropped. */
    public enum Truncating { PRE, POST }

    /** Keras's defaults: pre padding, pre truncation, fill 0 ({@link Tokenizer#PAD}). */
    public static int[][] padSequences(List<int[]> sequences, int maxLen) {
        return padSequences(sequences, maxLen, Padding.PRE, Truncating.PRE, Tokenizer.PAD);
    }

    public static int[][] padSequences(int[][] sequences, int maxLen, Padding padding, Truncating truncating, int value) {
        return padSequences(Arrays.asList(Objects.requireNonNull(sequences, "sequences")), maxLen, padding, truncating, value);
    }

    /** One row of length {@code maxLen} per sequence. */
    public static int[][] padSequences(List<int[]> sequences, int maxLen, Padding padding, Truncating truncating, int value) {
        check(sequences, maxLen, padding, truncating);
        int[][] out = new int[sequences.size()][maxLen];
        for (int i = 0; i < out.length; i++) fill(sequences.get(i), maxLen, padding, truncating, value, out[i], null, 0);
        return out;
    }

    /**
     * The same, as one row-major {@code float[]} of {@code sequences.size() × maxLen} (the layout of a
     * {@link dev.kiln.data.Dataset}'s features, ids as floats; exact up to 2^24).
     */
    public static float[] padToFloats(List<int[]> sequences, int maxLen, Padding padding, Truncating truncating, int value) {
        check(sequences, maxLen, padding, truncating);
        float[] out = new float[Math.multiplyExact(sequences.size(), maxLen)];
        for (int i = 0; i < sequences.size(); i++) fill(sequences.get(i), maxLen, padding, truncating, value, null, out, i * maxLen);
        return out;
    }

    /** The length of the longest sequence (Keras's {@code maxlen=None}); 0 for none. */
    public static int longest(List<int[]> sequences) {
        int max = 0;
        for (int[] s : sequences) max = Math.max(max, s.length);
        return max;
    }

    private static void check(List<int[]> sequences, int maxLen, Padding padding, Truncating truncating) {
        Objects.requireNonNull(sequences, "sequences");
        Objects.requireNonNull(padding, "padding");
        Objects.requireNonNull(truncating, "truncating");
        if (maxLen < 1) {
            throw new IllegalArgumentException("maxLen must be at least 1, got " + maxLen + "; use Sequences.longest(sequences) to fit the longest");
        }
        for (int i = 0; i < sequences.size(); i++) {
            if (sequences.get(i) == null) throw new IllegalArgumentException("sequence " + i + " is null; give an empty array for an empty text");
        }
    }

    private static void fill(int[] s, int maxLen, Padding padding, Truncating truncating, int value,
                             int[] intRow, float[] floats, int offset) {
        int n = Math.min(s.length, maxLen);
        int from = truncating == Truncating.PRE ? s.length - n : 0;    // first kept token
        int at = padding == Padding.PRE ? maxLen - n : 0;              // where it goes
        for (int j = 0; j < maxLen; j++) {
            int v = j >= at && j < at + n ? s[from + j - at] : value;
            if (intRow != null) intRow[j] = v;
            else floats[offset + j] = v;
        }
    }
}
