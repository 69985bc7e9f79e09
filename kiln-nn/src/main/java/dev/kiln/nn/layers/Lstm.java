package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import java.util.List;

/**
 * Long short-term memory (Hochreiter &amp; Schmidhuber 1997, with the forget gate of Gers et al. 2000), laid
 * out as Keras's {@code LSTM}: kernel (features, 4·units), recurrent_kernel (units, 4·units) and bias
 * (4·units), gates in the order i, f, c, o:
 * <pre>
 *   i = σ(x·Wi + h·Ui + bi)   f = σ(x·Wf + h·Uf + bf)   c̃ = tanh(x·Wc + h·Uc + bc)   o = σ(x·Wo + h·Uo + bo)
 *   c' = f ⊙ c + i ⊙ c̃        h' = o ⊙ tanh(c')
 * </pre>
 * PyTorch's gate order i, f, g, o is the same; its two biases add up to Keras's one. The forget-gate bias
 * starts at one (Jozefowicz et al. 2015), as Keras's {@code unit_forget_bias}.
 */
public final class Lstm extends RecurrentLayer<Lstm.Config> {
    /**
     * @param returnSequences output every step (B, T, units) instead of the last (B, units)
     * @param goBackwards     read the sequence from the end (the output sequence is then in reading order)
     */
    public record Config(String name, int units, boolean returnSequences, boolean goBackwards, double dropout, double recurrentDropout)
            implements LayerConfig, RecurrentLayer.Settings {
        public Config {
            RecurrentLayer.Settings.check("LSTM", units, dropout, recurrentDropout);
        }

        public Config(int units) {
            this(null, units, false, false, 0, 0);
        }

        public Config withReturnSequences(boolean v) { return new Config(name, units, v, goBackwards, dropout, recurrentDropout); }

        public Config withGoBackwards(boolean v) { return new Config(name, units, returnSequences, v, dropout, recurrentDropout); }

        public Config withDropout(double d, double r) { return new Config(name, units, returnSequences, goBackwards, d, r); }

        public Config withName(String n) { return new Config(n, units, returnSequences, goBackwards, dropout, recurrentDropout); }

        @Override
        public Layer create() {
            return new Lstm(this);
        }
    }

    /** Saved activations reused from one training step to the next (see {@link dev.kiln.core.Recurrent.Workspace}). */
    private final dev.kiln.core.Recurrent.Workspace workspace = new dev.kiln.core.Recurrent.Workspace();

    public Lstm(Config config) {
        super(config);
    }

    public Lstm(int units) {
        this(new Config(units));
    }

    public Lstm(int units, boolean returnSequences) {
        this(new Config(units).withReturnSequences(returnSequences));
    }

    @Override
    public String typeName() {
        return "LSTM";
    }

    @Override
    public Config config() {
        return config.withName(name());
    }

    @Override
    public Layer reversed(String name) {
        return new Lstm(config.withGoBackwards(!config.goBackwards()).withName(name));
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        int u = config.units();
        addParameter("kernel", Initializer.GLOROT_UNIFORM.create(rng, inputShape[1], 4 * u));
        addParameter("recurrent_kernel", Recurrent.orthogonal(rng, u, 4 * u));
        Tensor bias = Tensor.zeros(4 * u);
        java.util.Arrays.fill(bias.rawFloats(), u, 2 * u, 1f);   // forget gate
        addParameter("bias", bias);
    }

    @Override
    protected Tensor forward(Tensor x, Tensor mask, CallContext ctx) {
        if (!fusable(ctx)) {
            Tensor[] states = Scratch.tensors(Scratch.INITIAL_STATES, 2);   // the output alone: no state list or arrays a step
            try {
                return composed(x, mask, null, ctx, states);
            } finally {
                java.util.Arrays.fill(states, null);   // the per-thread array keeps no tensor
            }
        }
        Recurrent.buildFor(this, x, ctx);
        Tensor zeros = ZeroStates.of(x.dtype(), x.shape(0), config.units());   // shared, read-only
        return fused(x, mask, zeros, zeros, null);   // no state arrays or list a step
    }

    @Override
    public Result forwardWithState(Tensor x, Tensor mask, List<Tensor> initialStates, CallContext ctx) {
        if (fusable(ctx)) {
            Recurrent.buildFor(this, x, ctx);
            int u = config.units();
            Tensor[] last = new Tensor[2];
            Tensor[] states = Recurrent.initialStates(this, initialStates, 2, x, u);
            Tensor output = fused(x, mask, states[0], states[1], last);
            return new Result(output, List.of(last[0], last[1]));
        }
        Tensor[] states = new Tensor[2];
        Tensor output = composed(x, mask, initialStates, ctx, states);
        return new Result(output, List.of(states));
    }

    /**
     * Training with dropout: the per-step composition ({@link Recurrent#run} draws and applies the dropout masks). The
     * final h and c replace the initial states in {@code states}.
     */
    private Tensor composed(Tensor x, Tensor mask, List<Tensor> initialStates, CallContext ctx, Tensor[] states) {
        Recurrent.buildFor(this, x, ctx);
        Recurrent.initialStates(this, initialStates, states, x, config.units());
        return Recurrent.run(this, x, mask, parameter("kernel"), parameter("bias"), states, cell, config.returnSequences(),
                config.goBackwards(), config.dropout(), config.recurrentDropout(), ctx);
    }

    /** One step of the composition (the dropout mask on h when training with recurrent dropout); made once per layer. */
    private final Recurrent.Cell cell = this::step;

    private void step(Tensor xt, Tensor[] s, Tensor recDrop, Tensor[] next) {
        int u = config.units();
        Tensor h = recDrop == null ? s[0] : s[0].mul(recDrop);
        Tensor z = xt.add(h.matmul(parameter("recurrent_kernel")));      // (B, 4U)
        Tensor i = z.slice(1, 0, u).sigmoid();
        Tensor f = z.slice(1, u, 2 * u).sigmoid();
        Tensor g = z.slice(1, 2 * u, 3 * u).tanh();
        Tensor o = z.slice(1, 3 * u, 4 * u).sigmoid();
        Tensor c = f.mul(s[1]).add(i.mul(g));                            // (B, U)
        next[0] = o.mul(c.tanh());
        next[1] = c;
    }

    /**
     * The whole sequence as one fused op ({@link dev.kiln.core.Recurrent#lstm}): the input projection, the
     * recurrence and their backward in kernels, instead of a dozen recorded ops per step. Same results as
     * {@link Recurrent#run} without dropout. Without {@code returnSequences} only the final states are produced
     * ({@link dev.kiln.core.Recurrent#lstmLast}), and the saved activations live in this layer's workspace. The final
     * h and c go into {@code finalStates} when it is given.
     */
    private Tensor fused(Tensor x, Tensor mask, Tensor h0, Tensor c0, Tensor[] finalStates) {
        int b = x.shape(0), t = x.shape(1), u = config.units();
        if (mask != null && !mask.hasShape(b, t)) {
            throw new IllegalArgumentException("layer '" + name() + "' got a mask of shape " + Shape.str(mask.shape()) + " for input "
                    + Shape.str(x.shape()) + "; the mask must be (batch, timesteps) = " + Shape.str(new int[] {b, t}));
        }
        Tensor m = mask == null ? null : mask.to(x.dtype());
        if (config.goBackwards()) {   // read from the end; outputs stay in reading order, as in Recurrent.run
            int[] reversed = RecurrentScratch.reversed(t);
            x = x.indexSelect(1, reversed);
            if (m != null) m = m.indexSelect(1, reversed);
        }
        Tensor kernel = parameter("kernel"), bias = parameter("bias"), recurrent = parameter("recurrent_kernel");
        Tensor last;   // (B, 2U): final h | c
        Tensor output = null;
        if (config.returnSequences()) {
            Tensor seq = dev.kiln.core.Recurrent.lstm(x, kernel, bias, recurrent, h0, c0, m, workspace);   // (T, B, 2U): h | c
            last = seq.slice(0, t - 1, t).reshape(b, 2 * u);
            output = seq.slice(2, 0, u).permute(RecurrentScratch.TIME_FIRST).contiguous();   // (B, T, U): the swap is its own inverse
        } else {
            last = dev.kiln.core.Recurrent.lstmLast(x, kernel, bias, recurrent, h0, c0, m, workspace);
        }
        Tensor h = output != null && finalStates == null ? null : last.slice(1, 0, u);   // (B, U)
        if (finalStates != null) {
            finalStates[0] = h;
            finalStates[1] = last.slice(1, u, 2 * u);
        }
        return output != null ? output : h;
    }

    @Override
    public String toString() {
        return "LSTM(" + config.units() + (config.returnSequences() ? ", returnSequences" : "") + ")";
    }
}
