package dev.kiln.nn.layers;

import dev.kiln.core.Conv;
import dev.kiln.core.Tensor;
import java.util.Arrays;

/**
 * Adds rows and columns of zeros around each channels-last image (Keras {@code ZeroPadding2D}).
 * {@code padding} is one number (all sides), two (height, width: both sides alike) or four (top, bottom,
 * left, right); Keras's nested ((top, bottom), (left, right)) is written flat as four.
 */
public final class ZeroPadding2D extends Layer {
    public record Config(String name, int[] padding) implements LayerConfig {
        public Config {
            if (padding == null || padding.length == 0) padding = new int[] {1};
            int[] p = switch (padding.length) {
                case 1 -> new int[] {padding[0], padding[0], padding[0], padding[0]};
                case 2 -> new int[] {padding[0], padding[0], padding[1], padding[1]};
                case 4 -> padding.clone();
                default -> throw new IllegalArgumentException("ZeroPadding2D padding takes 1, 2 or 4 numbers (top, bottom, left, right), got "
                        + Arrays.toString(padding));
            };
            for (int v : p) if (v < 0) throw new IllegalArgumentException("ZeroPadding2D padding must be >= 0, got " + Arrays.toString(padding));
            padding = p;
        }

        @Override
        public Layer create() {
            return new ZeroPadding2D(this);
        }
    }

    private final int[] pad;  // top, bottom, left, right

    public ZeroPadding2D(int... padding) {
        this(new Config(null, padding));
    }

    public ZeroPadding2D(Config config) {
        super(config.name());
        this.pad = config.padding();
    }

    @Override
    public String typeName() {
        return "ZeroPadding2D";
    }

    @Override
    public Config config() {
        return new Config(name(), pad);
    }

    @Override
    protected void validateInput(int[] inputShape) {
        Conv2D.requireImage(this, inputShape);
    }

    @Override
    public int[] outputShape(int[] s) {
        return new int[] {s[0] + pad[0] + pad[1], s[1] + pad[2] + pad[3], s[2]};
    }

    @Override
    protected Tensor forward(Tensor x, CallContext ctx) {
        return Conv.zeroPad2d(x, pad[0], pad[1], pad[2], pad[3]);
    }
}
