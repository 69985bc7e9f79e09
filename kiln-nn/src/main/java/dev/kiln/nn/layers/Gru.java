package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import java.util.List;

/**
 * Gated recurrent unit (Cho et al. 2014) in Keras's default "reset after" form (the one cuDNN and PyTorch
 * use): kernel (features, 3·units), recurrent_kernel (units, 3·units), bias (2, 3·units) holding the input
 * and the recurrent bias, gates in Keras's order z, r, h:
 * <pre>
 *   z = σ(x·Wz + bz + h·Uz + b'z)   r = σ(x·Wr + br + h·Ur + b'r)
 *   h̃ = tanh(x·Wh + bh + r ⊙ (h·Uh + b'h))     h' = z ⊙ h + (1 − z) ⊙ h̃
 * </pre>
 * PyTorch orders its gates r, z, n; the fixture script reorders them.
 */
public final class Gru extends RecurrentLayer<Gru.Config> {
    public record Config(String name, int units, boolean returnSequences, boolean goBackwards, double dropout, double recurrentDropout)
            implements LayerConfig, RecurrentLayer.Settings {
        public Config {
            RecurrentLayer.Settings.check("GRU", units, dropout, recurrentDropout);
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
            return new Gru(this);
        }
    }

    public Gru(Config config) {
        super(config);
    }

    public Gru(int units) {
        this(new Config(units));
    }

    public Gru(int units, boolean returnSequences) {
        this(new Config(units).withReturnSequences(returnSequences));
    }

    @Override
    public String typeName() {
        return "GRU";
    }

    @Override
    public Config config() {
        return config.withName(name());
    }

    @Override
    public Layer reversed(String name) {
        return new Gru(config.withGoBackwards(!config.goBackwards()).withName(name));
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        int u = config.units();
        addParameter("kernel", Initializer.GLOROT_UNIFORM.create(rng, inputShape[1], 3 * u));
        addParameter("recurrent_kernel", Recurrent.orthogonal(rng, u, 3 * u));
        addParameter("bias", Tensor.zeros(2, 3 * u));
    }

    @Override
    protected Tensor forward(Tensor x, Tensor mask, CallContext ctx) {
        if (!fusable(ctx)) {
            Tensor[] states = Scratch.tensors(Scratch.INITIAL_STATES, 1);   // the output alone: no state list or arrays a step
            try {
                return composed(x, mask, null, ctx, states);
            } finally {
                states[0] = null;   // the per-thread array keeps no tensor
            }
        }
        Recurrent.buildFor(this, x, ctx);
        Tensor bias = parameter("bias");
        int u = config.units();
        Tensor h0 = ZeroStates.of(x.dtype(), x.shape(0), u);   // shared, read-only
        return fused(x, mask, bias.slice(0, 0, 1).reshape(3 * u), bias.slice(0, 1, 2).reshape(3 * u), h0, null);   // no state list a step
    }

    @Override
    public Result forwardWithState(Tensor x, Tensor mask, List<Tensor> initialStates, CallContext ctx) {
        Tensor[] states = new Tensor[1];
        if (fusable(ctx)) {
            Recurrent.buildFor(this, x, ctx);
            int u = config.units();
            Tensor bias = parameter("bias");
            Tensor[] last = new Tensor[1];
            Tensor h0 = Recurrent.initialStates(this, initialStates, states, x, u)[0];
            Tensor output = fused(x, mask, bias.slice(0, 0, 1).reshape(3 * u), bias.slice(0, 1, 2).reshape(3 * u), h0, last);
            return new Result(output, List.of(last[0]));
        }
        Tensor output = composed(x, mask, initialStates, ctx, states);
        return new Result(output, List.of(states));
    }

    /**
     * Training with dropout: the per-step composition ({@link Recurrent#run} draws and applies the dropout masks). The
     * final h replaces the initial state in {@code states}.
     */
    private Tensor composed(Tensor x, Tensor mask, List<Tensor> initialStates, CallContext ctx, Tensor[] states) {
        Recurrent.buildFor(this, x, ctx);
        int u = config.units();
        Tensor bias = parameter("bias");
        Recurrent.initialStates(this, initialStates, states, x, u);
        Step step = STEP.get();   // this thread's step body, holding this call's recurrent kernel and bias
        step.recurrent = parameter("recurrent_kernel");
        step.recurrentBias = bias.slice(0, 1, 2).reshape(3 * u);
        step.u = u;
        try {
            return Recurrent.run(this, x, mask, parameter("kernel"), bias.slice(0, 0, 1).reshape(3 * u), states, step,
                    config.returnSequences(), config.goBackwards(), config.dropout(), config.recurrentDropout(), ctx);
        } finally {
            step.recurrent = step.recurrentBias = null;   // keep no tensor past the call
        }
    }

    /** One step of the composition; a reusable per-thread body instead of a capturing lambda per call. */
    private static final class Step implements Recurrent.Cell {
        Tensor recurrent, recurrentBias;
        int u;

        @Override
        public void step(Tensor xt, Tensor[] s, Tensor recDrop, Tensor[] next) {
            Tensor h = recDrop == null ? s[0] : s[0].mul(recDrop);
            Tensor hr = h.matmul(recurrent).add(recurrentBias);            // (B, 3U)
            Tensor z = xt.slice(1, 0, u).add(hr.slice(1, 0, u)).sigmoid();
            Tensor r = xt.slice(1, u, 2 * u).add(hr.slice(1, u, 2 * u)).sigmoid();
            Tensor candidate = xt.slice(1, 2 * u, 3 * u).add(r.mul(hr.slice(1, 2 * u, 3 * u))).tanh();
            // h' = z·h + (1 − z)·h̃ = h̃ + z·(h − h̃)
            next[0] = candidate.add(z.mul(s[0].sub(candidate)));
        }
    }

    private static final ThreadLocal<Step> STEP = ThreadLocal.withInitial(Step::new);

    /**
     * The whole sequence as one fused op ({@link dev.kiln.core.Recurrent#gru}): one GEMM for the input
     * projections of all steps, then the recurrence and its backward in kernels. Same results as
     * {@link Recurrent#run} without dropout. The final h goes into {@code finalState} when it is given.
     */
    private Tensor fused(Tensor x, Tensor mask, Tensor inputBias, Tensor recurrentBias, Tensor h0, Tensor[] finalState) {
        int b = x.shape(0), t = x.shape(1), f = x.shape(2), u = config.units();
        if (mask != null && !mask.hasShape(b, t)) {
            throw new IllegalArgumentException("layer '" + name() + "' got a mask of shape " + Shape.str(mask.shape()) + " for input "
                    + Shape.str(x.shape()) + "; the mask must be (batch, timesteps) = " + Shape.str(new int[] {b, t}));
        }
        Tensor proj = x.permute(RecurrentScratch.TIME_FIRST).reshape(t * b, f).matmul(parameter("kernel")).add(inputBias).reshape(t, b, 3 * u);   // (T, B, 3U)
        Tensor m = mask == null ? null : mask.to(x.dtype());
        if (config.goBackwards()) {   // read from the end; outputs stay in reading order, as in Recurrent.run
            int[] reversed = RecurrentScratch.reversed(t);
            proj = proj.indexSelect(0, reversed);
            if (m != null) m = m.indexSelect(1, reversed);
        }
        Tensor seq = dev.kiln.core.Recurrent.gru(proj, parameter("recurrent_kernel"), recurrentBias, h0, m);   // (T, B, U)
        Tensor h = seq.slice(0, t - 1, t).reshape(b, u);
        if (finalState != null) finalState[0] = h;
        return config.returnSequences() ? seq.permute(RecurrentScratch.TIME_FIRST).contiguous() : h;   // (B, T, U) or (B, U)
    }

    @Override
    public String toString() {
        return "GRU(" + config.units() + (config.returnSequences() ? ", returnSequences" : "") + ")";
    }
}
