package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import java.util.List;

/**
 * The Elman recurrent layer, Keras's {@code SimpleRNN}: {@code h' = activation(x·W + h·U + b)} with kernel
 * (features, units), recurrent_kernel (units, units), bias (units); tanh by default.
 */
public final class SimpleRnn extends Layer implements Recurrent {
    public record Config(String name, int units, Activation activation, boolean returnSequences, boolean goBackwards,
                         double dropout, double recurrentDropout) implements LayerConfig {
        public Config {
            if (units < 1) throw new IllegalArgumentException("SimpleRNN units must be >= 1, got " + units);
            if (activation == null) activation = Activation.TANH;
            if (!(dropout >= 0 && dropout < 1) || !(recurrentDropout >= 0 && recurrentDropout < 1)) {
                throw new IllegalArgumentException("SimpleRNN dropout and recurrentDropout must be in [0, 1), got " + dropout + " and " + recurrentDropout);
            }
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

    private final Config config;

    public SimpleRnn(Config config) {
        super(config.name());
        this.config = config;
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
    public int units() {
        return config.units();
    }

    @Override
    public boolean returnSequences() {
        return config.returnSequences();
    }

    @Override
    public Layer reversed(String name) {
        return new SimpleRnn(config.withGoBackwards(!config.goBackwards()).withName(name));
    }

    @Override
    protected void validateInput(int[] inputShape) {
        Recurrent.validate(this, inputShape);
    }

    @Override
    protected void createParameters(int[] inputShape, Rng rng) {
        int u = config.units();
        addParameter("kernel", Initializer.GLOROT_UNIFORM.create(rng, inputShape[1], u));
        addParameter("recurrent_kernel", Recurrent.orthogonal(rng, u, u));
        addParameter("bias", Tensor.zeros(u));
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return Recurrent.outputShape(inputShape, config.units(), config.returnSequences());
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return forwardWithState(x, null, null, ctx).output();
    }

    @Override
    protected Tensor forward(Tensor x, Tensor mask, CallContext ctx) {
        return forwardWithState(x, mask, null, ctx).output();
    }

    @Override
    public Tensor computeMask(Tensor x, Tensor mask) {
        return config.returnSequences() ? mask : null;
    }

    @Override
    public Result forwardWithState(Tensor x, Tensor mask, List<Tensor> initialStates, CallContext ctx) {
        Recurrent.buildFor(this, x, ctx);
        Tensor recurrent = parameter("recurrent_kernel");
        Activation act = config.activation();
        Recurrent.Cell cell = (xt, s, recDrop) -> {
            Tensor h = recDrop == null ? s[0] : s[0].mul(recDrop);
            return new Tensor[] {act.apply(xt.add(h.matmul(recurrent)))};   // (B, U)
        };
        Tensor[] states = Recurrent.initialStates(this, initialStates, 1, x, config.units());
        return Recurrent.run(this, x, mask, parameter("kernel"), parameter("bias"), states, cell, config.returnSequences(),
                config.goBackwards(), config.dropout(), config.recurrentDropout(), ctx);
    }

    @Override
    public String toString() {
        return "SimpleRNN(" + config.units() + ")";
    }
}
