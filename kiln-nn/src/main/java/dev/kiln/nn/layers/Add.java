package dev.kiln.nn.layers;

import dev.kiln.core.Tensor;
import java.util.List;

/** Element-wise sum of inputs of one shape (Keras {@code Add}): the residual connection of a ResNet (He et al. 2016). */
public final class Add extends Merge {
    public record Config(String name) implements LayerConfig {
        @Override
        public Layer create() {
            return new Add(this);
        }
    }

    public Add() {
        this(new Config(null));
    }

    public Add(Config config) {
        super(config.name());
    }

    @Override
    public String typeName() {
        return "Add";
    }

    @Override
    public Config config() {
        return new Config(name());
    }

    @Override
    public int[] outputShape(List<int[]> inputShapes) {
        if (!sameShapes(inputShapes)) {
            throw new IllegalArgumentException("layer '" + name() + "' (Add) needs inputs of one shape but received " + shapes(inputShapes)
                    + "; project the shortcut with a 1x1 Conv2D (strides and filters matching the other branch)");
        }
        return inputShapes.get(0).clone();
    }

    @Override
    protected boolean fit(List<Tensor> xs) {
        for (int i = 1; i < xs.size(); i++) if (!xs.get(i).sameShape(xs.get(0))) return false;
        return true;
    }

    @Override
    protected Tensor merge(List<Tensor> xs) {
        Tensor sum = xs.get(0);
        for (int i = 1; i < xs.size(); i++) sum = sum.add(xs.get(i));
        return sum;
    }
}
