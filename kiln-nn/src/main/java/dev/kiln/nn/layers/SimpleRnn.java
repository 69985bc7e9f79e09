package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import java.util.List;

/**
 * The Elman recurrent layer, Keras's {@code SimpleRNN}: {@code h' = activation(x·W + h·U + b)} with kernel
 * (features, units), recurrent_kernel (units, units), bias (units); tanh by default.
 */
public final class SimpleRnn extends RecurrentLayer<SimpleRnn.Config> {
    public record Config(String name, int units, Activation activation, boolean returnSequences, boolean goBackwards,
                         double dropout, double recurrentDropout) implements LayerConfig, RecurrentLayer.Settings {
        public Config {
            RecurrentLayer.Settings.check("SimpleRNN", units, dropout, recurrentDropout);
            if (activation == null) activation = Activation.TANH;
        }

        public Config(int units) {
            this(null, units, Activation.TANH, false, false, 0, 0);
        }

        public Config withReturnSequences(boolean v) { return new Config(name, units, activation, v, goBackwards, dropout, recurrentDropout); }

        public Config withGoBackwards(boolean v) { return new Config(name, units, activation, returnSequences, v, dropout, recurrentDropout); }

        public Config withDropout(double d, double r) { return new Config(name, units, activation, returnSequences, goBackwards, d, r); }

        public Config withName(String n) { return new Config(n, units, activation, returnSequences, goBackwards, dropout, recurrentDropout); }

        @Override
        public Layer create() {
            return new SimpleRnn(this);
        }
    }

    public SimpleRnn(Config config) {
        super(config);
    }

    public SimpleRnn(int units) {
        this(new Config(units));
    }

    public SimpleRnn(int units, boolean returnSequences) {
        this(new Config(units).withReturnSequences(returnSequences));
    }

    @Override
    public String typeName() {
        return "SimpleRNN";
    }

    @Override
    public Config config() {
        return config.withName(name());
    }

    @Override
    public Layer reversed(String name) {
        return new SimpleRnn(config.withGoBackwards(!config.goBackwards()).withName(name));
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        int u = config.units();
        addParameter("kernel", Initializer.GLOROT_UNIFORM.create(rng, inputShape[1], u));
        addParameter("recurrent_kernel", Recurrent.orthogonal(rng, u, u));
        addParameter("bias", Tensor.zeros(u));
    }

    @Override
    protected Tensor forward(Tensor x, Tensor mask, CallContext ctx) {
        Tensor[] states = Scratch.tensors(Scratch.INITIAL_STATES, 1);   // the output alone: no state list or arrays a step
        try {
            return run(x, mask, null, ctx, states);
        } finally {
            states[0] = null;   // the per-thread array keeps no tensor
        }
    }

    /** One step, h' = act(x_t + h·R) (the dropout mask on h when training with recurrent dropout); made once per layer. */
    private final Recurrent.Cell cell = this::step;

    private void step(Tensor xt, Tensor[] s, Tensor recDrop, Tensor[] next) {
        Tensor h = recDrop == null ? s[0] : s[0].mul(recDrop);
        next[0] = config.activation().apply(xt.add(h.matmul(parameter("recurrent_kernel"))));   // (B, U)
    }

    @Override
    public Result forwardWithState(Tensor x, Tensor mask, List<Tensor> initialStates, CallContext ctx) {
        Tensor[] states = new Tensor[1];
        Tensor output = run(x, mask, initialStates, ctx, states);
        return new Result(output, List.of(states));
    }

    /** The sequence through {@link Recurrent#run}, from the given initial state (null: zeros); the final h into {@code states}. */
    private Tensor run(Tensor x, Tensor mask, List<Tensor> initialStates, CallContext ctx, Tensor[] states) {
        Recurrent.buildFor(this, x, ctx);
        Recurrent.initialStates(this, initialStates, states, x, config.units());
        return Recurrent.run(this, x, mask, parameter("kernel"), parameter("bias"), states, cell, config.returnSequences(),
                config.goBackwards(), config.dropout(), config.recurrentDropout(), ctx);
    }

    @Override
    public String toString() {
        return "SimpleRNN(" + config.units() + ")";
    }
}
