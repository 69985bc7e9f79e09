package dev.kiln.nn.layers;

import dev.kiln.core.Shape;
import dev.kiln.core.Tensor;
import java.util.List;

/**
 * A layer that joins several inputs ({@link Add}, {@link Concatenate}); used in functional models, where a
 * node may have more than one parent. Built from its inputs' shapes; has no parameters.
 */
public abstract sealed class Merge extends Layer permits Add, Concatenate {
    protected Merge(String name) {
        super(name);
    }

    /** Output shape (no batch dimension) for the given input shapes; throws naming the layer when they do not fit. */
    public abstract int[] outputShape(List<int[]> inputShapes);

    /** Joins a batch of each input. */
    protected abstract Tensor merge(List<Tensor> xs);

    /** Whether the batches fit together ({@link #outputShape(List)} would accept their shapes), without making shapes. */
    protected abstract boolean fit(List<Tensor> xs);

    /** Checks that the inputs fit together, then joins them. */
    public final Tensor call(List<Tensor> xs, CallContext ctx) {
        if (xs.size() < 2) throw new IllegalArgumentException("layer '" + name() + "' (" + typeName() + ") needs at least two inputs, got " + xs.size());
        if (!fit(xs)) {   // the shapes only to say why: outputShape throws naming them
            outputShape(xs.stream().map(t -> java.util.Arrays.copyOfRange(t.shape(), 1, t.rank())).toList());
        }
        return merge(xs);
    }

    /** Builds (records the first input's shape) after checking that all inputs fit together. */
    public final void build(List<int[]> inputShapes, dev.kiln.core.Rng rng) {
        outputShape(inputShapes);
        build(inputShapes.get(0), rng);
    }

    @Override
    public final int[] outputShape(int[] inputShape) {
        return inputShape.clone();   // only meaningful with all inputs; see outputShape(List)
    }

    @Override
    protected final Tensor forward(Tensor x, CallContext ctx) {
        throw new IllegalStateException("layer '" + name() + "' (" + typeName() + ") joins several inputs; use it in a Functional model: "
                + "Node.merge(new " + typeName() + "(), a, b)");
    }

    static String shapes(List<int[]> s) {
        return String.join(", ", s.stream().map(Layer::batchShape).toList());
    }

    static boolean sameShapes(List<int[]> s) {
        for (int[] x : s) if (!Shape.equal(x, s.get(0))) return false;
        return true;
    }
}
