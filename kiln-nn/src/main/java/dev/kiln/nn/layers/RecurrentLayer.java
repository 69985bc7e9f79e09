package dev.kiln.nn.layers;

import dev.kiln.core.Tensor;

/**
 * What SimpleRNN, LSTM and GRU share as layers (their time loop is {@link Recurrent}'s): the settings every config
 * record carries, the (batch, timesteps, features) input check, the output shape, the mask passed on only with
 * {@code returnSequences}, and when a call may run as one fused op.
 */
abstract sealed class RecurrentLayer<C extends RecurrentLayer.Settings> extends Layer implements Recurrent permits SimpleRnn, Lstm, Gru {
    /** The components each layer's {@code Config} record has (the record's accessors implement this). */
    interface Settings {
        String name();

        int units();

        boolean returnSequences();

        boolean goBackwards();

        double dropout();

        double recurrentDropout();

        /** The checks each config record's constructor makes; {@code type} names the layer in the message. */
        static void check(String type, int units, double dropout, double recurrentDropout) {
            if (units < 1) throw new IllegalArgumentException(type + " units must be >= 1, got " + units);
            if (!(dropout >= 0 && dropout < 1) || !(recurrentDropout >= 0 && recurrentDropout < 1)) {
                throw new IllegalArgumentException(type + " dropout and recurrentDropout must be in [0, 1), got " + dropout + " and " + recurrentDropout);
            }
        }
    }

    /** This layer's settings as constructed (its name may since have been assigned: see {@link #config()}). */
    protected final C config;

    RecurrentLayer(C config) {
        super(config.name());
        this.config = config;
    }

    @Override
    public final int units() {
        return config.units();
    }

    @Override
    public final boolean returnSequences() {
        return config.returnSequences();
    }

    @Override
    protected final void validateInput(int[] inputShape) {
        Recurrent.validate(this, inputShape);
    }

    @Override
    public final int[] outputShape(int[] inputShape) {
        return Recurrent.outputShape(inputShape, config.units(), config.returnSequences());
    }

    @Override
    protected final Tensor forward(Tensor x, CallContext ctx) {
        return forward(x, null, ctx);
    }

    /** The output alone (B, T, units) or (B, units), from zero states; {@code mask} (B, T) or null. */
    @Override
    protected abstract Tensor forward(Tensor x, Tensor mask, CallContext ctx);

    @Override
    public final Tensor computeMask(Tensor x, Tensor mask) {
        return config.returnSequences() ? mask : null;   // a last-step output has no time axis left to mask
    }

    /** Whether this call may run as one fused op: always, except training with dropout (the per-step composition). */
    final boolean fusable(CallContext ctx) {
        return !(ctx.training() && (config.dropout() > 0 || config.recurrentDropout() > 0));
    }
}
