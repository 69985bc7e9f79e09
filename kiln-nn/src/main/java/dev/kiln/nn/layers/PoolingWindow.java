package dev.kiln.nn.layers;

import dev.kiln.core.Conv;

/**
 * What the 2-D window pooling layers share: their settings (each config record implements {@link Settings}), which
 * windows fit an input, and the output they give.
 */
abstract sealed class PoolingWindow<C extends PoolingWindow.Settings> extends Layer permits MaxPooling2D, AveragePooling2D {
    /** The components each pooling layer's {@code Config} record has. */
    interface Settings {
        String name();

        int[] poolSize();

        int[] strides();

        Padding padding();
    }

    /** This layer's settings as constructed (read through the record's own arrays: no copy per call). */
    protected final C config;

    PoolingWindow(C config) {
        super(config.name());
        this.config = config;
    }

    /** Checks the input is an image the windows fit, naming the layer when they do not. */
    @Override
    protected final void validateInput(int[] inputShape) {
        Conv2D.requireImage(this, inputShape);
        try {
            outputShape(inputShape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer '" + name() + "' (" + typeName() + ") on input "
                    + Layer.batchShape(inputShape) + ": " + e.getMessage(), e);
        }
    }

    /** Output (outH, outW, channels) for channels-last input (h, w, channels). */
    @Override
    public final int[] outputShape(int[] inputShape) {
        int[] pool = config.poolSize(), strides = config.strides();
        var g = Conv.geometry(new int[] {1, inputShape[0], inputShape[1], inputShape[2]}, pool[0], pool[1], inputShape[2],
                new Conv.Spec(strides[0], strides[1], 1, 1, config.padding().core(), 1));
        return new int[] {g.outH(), g.outW(), inputShape[2]};
    }
}
