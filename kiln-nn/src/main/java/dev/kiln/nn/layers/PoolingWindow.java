package dev.kiln.nn.layers;

import dev.kiln.core.Conv;

/** Shape arithmetic shared by the 2-D pooling layers: which windows fit an input, and the output they give. */
final class PoolingWindow {
    private PoolingWindow() {}

    /** Output (outH, outW, channels) for channels-last input (h, w, channels). */
    static int[] outputShape(int[] pool, int[] strides, Padding padding, int[] inputShape) {
        var g = Conv.geometry(new int[] {1, inputShape[0], inputShape[1], inputShape[2]}, pool[0], pool[1], inputShape[2],
                new Conv.Spec(strides[0], strides[1], 1, 1, padding.core(), 1));
        return new int[] {g.outH(), g.outW(), inputShape[2]};
    }

    /** Checks the input is an image the windows fit, naming the layer when they do not. */
    static void validate(Layer layer, int[] pool, int[] strides, Padding padding, int[] inputShape) {
        Conv2D.requireImage(layer, inputShape);
        try {
            outputShape(pool, strides, padding, inputShape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("layer '" + layer.name() + "' (" + layer.typeName() + ") on input "
                    + Layer.batchShape(inputShape) + ": " + e.getMessage(), e);
        }
    }
}
