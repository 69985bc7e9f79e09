package dev.kiln.nn;

import dev.kiln.core.Rng;
import dev.kiln.core.StepArena;
import dev.kiln.core.Tensor;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Layer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** A plain stack of layers, each feeding the next (Keras {@code Sequential}). */
public final class Sequential extends Model {
    private final List<Layer> layers = new ArrayList<>();
    private final List<Layer> layersView = Collections.unmodifiableList(layers);
    private int[] inputShape;

    public Sequential(Layer... layers) {
        for (Layer l : layers) add(l);
    }

    /** Appends a layer; it is named {@code <type>_<n>} (e.g. {@code dense_2}) unless it has a name. */
    public Sequential add(Layer layer) {
        if (inputShape != null) throw new IllegalStateException("cannot add layers to a built model");
        Map<String, Integer> counts = new HashMap<>();
        Set<String> names = new HashSet<>();
        for (Layer l : layers) {
            names.add(l.name());
            counts.merge(l.typeName(), 1, Integer::sum);
        }
        String base = layer.typeName().toLowerCase(Locale.ROOT);
        int n = counts.getOrDefault(layer.typeName(), 0) + 1;
        while (names.contains(base + "_" + n)) n++;
        layer.nameIfUnset(base + "_" + n);
        if (names.contains(layer.name())) throw new IllegalArgumentException("duplicate layer name '" + layer.name() + "'");
        layers.add(layer);
        return this;
    }

    @Override
    public List<Layer> layers() {
        return layersView;   // one read-only view, not a new wrapper per call (the training loop asks every step)
    }

    @Override
    public int[] inputShape() {
        return inputShape == null ? null : inputShape.clone();
    }

    @Override
    public boolean isBuilt() {
        return inputShape != null;   // without inputShape()'s copy: Gpt.trainStep asks every step
    }

    @Override
    public Sequential build(int... shape) {
        if (layers.isEmpty()) throw new IllegalStateException("a Sequential model needs at least one layer");
        if (inputShape != null) {
            if (!java.util.Arrays.equals(inputShape, shape)) {
                throw new IllegalArgumentException("model already built for input " + dev.kiln.core.Shape.str(inputShape)
                        + ", not " + dev.kiln.core.Shape.str(shape));
            }
            return this;
        }
        Rng rng = initRng();
        int[] s = shape.clone();
        for (Layer l : layers) {
            l.build(s, rng);
            s = l.outputShape(s);
        }
        inputShape = shape.clone();
        return this;
    }

    @Override
    public Tensor call(Tensor x, CallContext ctx) {
        if (inputShape == null) build(java.util.Arrays.copyOfRange(x.shape(), 1, x.rank()));
        Tensor h = x;
        Tensor mask = null;   // (B, T) padding mask, created by Embedding(maskZero) and passed on as Keras does
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            // Conv2D(relu) then a tiling MaxPooling2D, or BatchNormalization then ReLU, as one op (Fusion): the value
            // between them is never stored.
            Tensor fused = mask == null && i + 1 < layers.size() ? Fusion.call(l, h, layers.get(i + 1), ctx) : null;
            if (fused != null) {
                if (h != x) StepArena.doneWith(h, fused, mask);
                h = fused;
                i++;
                continue;
            }
            Tensor next = l.call(h, mask, ctx);
            mask = l.computeMask(h, mask);
            // In inference each activation has one reader, the next layer: its storage serves the layers after it
            // (a no-op while the graph records, outside an arena, or when next or the mask is a view of it).
            if (h != x) StepArena.doneWith(h, next, mask);
            h = next;
        }
        return h;
    }
}
