package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import java.util.List;

/**
 * What SimpleRNN, LSTM and GRU share: the loop over time. The input projections of all time steps are one
 * matrix product (T·B, F) · (F, G) before the loop, so each step only multiplies the (B, units) state by the
 * recurrent kernel. Masked steps (padding) keep the previous state and output, as Keras does.
 *
 * <p>Dropout follows Gal &amp; Ghahramani (2016): one mask per sequence for the inputs and one for the
 * recurrent state, the same at every time step.
 */
public sealed interface Recurrent permits RecurrentLayer {
    /** The output sequence (B, T, units) or last output (B, units), and the final states (h, and c for LSTM). */
    record Result(Tensor output, List<Tensor> states) {}

    /**
     * Runs the layer with optional (B, T) mask and initial states (null: zeros), returning the final states
     * too (Keras {@code return_state}).
     */
    Result forwardWithState(Tensor x, Tensor mask, List<Tensor> initialStates, CallContext ctx);

    int units();

    boolean returnSequences();

    /** A fresh, unbuilt copy that reads the sequence the other way (for {@link Bidirectional}). */
    Layer reversed(String name);

    /** One step: the projected input (B, G) and the states → the new states into {@code next}, h first. */
    @FunctionalInterface
    interface Cell {
        void step(Tensor xt, Tensor[] states, Tensor recurrentDropout, Tensor[] next);
    }

    /** Validates a (T, features) per-sample input shape. */
    static void validate(Layer layer, int[] inputShape) {
        if (inputShape.length != 2) {
            throw new IllegalArgumentException("layer '" + layer.name() + "' (" + layer.typeName() + ") expects input of shape (batch, timesteps, features) but received "
                    + Layer.batchShape(inputShape) + "; put an Embedding before it for token ids, or reshape to (batch, timesteps, features)");
        }
    }

    /** Builds a layer used directly through {@code forwardWithState} before any {@code call}. */
    static void buildFor(Layer layer, Tensor x, CallContext ctx) {
        if (!layer.isBuilt()) layer.build(java.util.Arrays.copyOfRange(x.shape(), 1, x.rank()), ctx.rng());
    }

    static int[] outputShape(int[] inputShape, int units, boolean returnSequences) {
        return returnSequences ? new int[] {inputShape[0], units} : new int[] {units};
    }

    /**
     * The shared loop. {@code x} (B, T, F); {@code kernel} (F, G); {@code inputBias} (G) or null;
     * {@code states} the initial states (B, units) each.
     */
    /**
     * The per-step composition: the output sequence (B, T, units) or last output (B, units); the final states replace
     * the initial ones in {@code states}. The loop's state arrays are per thread, so a step allocates none.
     */
    static Tensor run(Layer layer, Tensor x, Tensor mask, Tensor kernel, Tensor inputBias, Tensor[] states, Cell cell,
                      boolean returnSequences, boolean goBackwards, double dropout, double recurrentDropout, CallContext ctx) {
        int b = x.shape(0), t = x.shape(1), f = x.shape(2), units = states[0].shape(1);
        if (mask != null && !mask.hasShape(b, t)) {
            throw new IllegalArgumentException("layer '" + layer.name() + "' got a mask of shape " + Shape.str(mask.shape()) + " for input "
                    + Shape.str(x.shape()) + "; the mask must be (batch, timesteps) = " + Shape.str(new int[] {b, t}));
        }
        Tensor in = x;
        // one draw per (sample, feature) and per (sample, unit): the same units dropped at every time step, as in Keras
        if (ctx.training() && dropout > 0) in = in.dropout(dropout, ctx.rng(), RecurrentScratch.noiseShape(b, f));
        Tensor recDrop = ctx.training() && recurrentDropout > 0 ? Tensor.dropoutMask(x.dtype(), recurrentDropout, ctx.rng(), b, units) : null;
        Tensor proj = in.permute(RecurrentScratch.TIME_FIRST).reshape(t * b, f).matmul(kernel);   // (T·B, G): one GEMM for every step
        if (inputBias != null) proj = proj.add(inputBias);
        int g = proj.shape(1);
        proj = proj.reshape(t, b, g);                                            // (T, B, G)
        Tensor m = mask == null ? null : mask.to(x.dtype()).permute(RecurrentScratch.SWAP).contiguous();   // (T, B)
        Tensor[] outputs = returnSequences ? Scratch.tensors(Scratch.SEQUENCE_OUTPUTS, t) : null;
        Tensor[] first = Scratch.tensors(Scratch.STATES, states.length), second = Scratch.tensors(Scratch.NEXT_STATES, states.length);
        Tensor[] cur = first, next = second;
        System.arraycopy(states, 0, cur, 0, states.length);
        try {
            for (int s = 0; s < t; s++) {
                int step = goBackwards ? t - 1 - s : s;
                Tensor xt = proj.slice(0, step, step + 1).reshape(b, g);           // (B, G), a view
                cell.step(xt, cur, recDrop, next);
                if (m != null) {
                    Tensor keep = m.slice(0, step, step + 1).reshape(b, 1);      // (B, 1): 1 = real step
                    for (int k = 0; k < next.length; k++) next[k] = Tensor.where(keep, next[k], cur[k]);
                }
                Tensor[] swap = cur;
                cur = next;
                next = swap;
                if (returnSequences) outputs[s] = cur[0].reshape(b, 1, units);
            }
            System.arraycopy(cur, 0, states, 0, states.length);
            return returnSequences ? Tensor.concat(1, outputs) : states[0];   // (B, T, units) or (B, units); concat keeps no array
        } finally {
            java.util.Arrays.fill(first, null);   // keep no step's tensors past the call
            java.util.Arrays.fill(second, null);
            if (outputs != null) java.util.Arrays.fill(outputs, null);
        }
    }

    static Tensor[] initialStates(Layer layer, List<Tensor> given, int count, Tensor x, int units) {
        return initialStates(layer, given, new Tensor[count], x, units);
    }

    /** {@link #initialStates(Layer, List, int, Tensor, int)} into {@code s} (one entry per state), which is returned. */
    static Tensor[] initialStates(Layer layer, List<Tensor> given, Tensor[] s, Tensor x, int units) {
        int count = s.length;
        for (int k = 0; k < count; k++) {
            if (given == null || given.size() <= k || given.get(k) == null) {
                s[k] = ZeroStates.of(x.dtype(), x.shape(0), units);   // shared, read-only
            } else {
                s[k] = given.get(k);
                if (!s[k].hasShape(x.shape(0), units)) {
                    throw new IllegalArgumentException("layer '" + layer.name() + "': initial state " + k + " has shape " + Shape.str(s[k].shape())
                            + ", expected (batch, units) = " + Shape.str(new int[] {x.shape(0), units}));
                }
            }
        }
        return s;
    }

    /**
     * An orthogonal matrix (rows, cols) as Keras's default recurrent initialiser (Saxe et al. 2014):
     * Gram–Schmidt on a Gaussian matrix, so repeated multiplication by the recurrent kernel neither
     * explodes nor vanishes at the start of training.
     */
    static Tensor orthogonal(Rng rng, int rows, int cols) {
        int n = Math.max(rows, cols), k = Math.min(rows, cols);
        double[][] q = new double[k][n];   // k orthonormal vectors of length n
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < n; j++) q[i][j] = rng.normal();
            for (int p = 0; p < i; p++) {
                double dot = 0;
                for (int j = 0; j < n; j++) dot += q[i][j] * q[p][j];
                for (int j = 0; j < n; j++) q[i][j] -= dot * q[p][j];
            }
            double norm = 0;
            for (int j = 0; j < n; j++) norm += q[i][j] * q[i][j];
            norm = Math.sqrt(norm);
            for (int j = 0; j < n; j++) q[i][j] /= norm;
        }
        float[] a = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) a[r * cols + c] = (float) (rows <= cols ? q[r][c] : q[c][r]);
        }
        return Tensor.of(a, rows, cols);
    }
}
