package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sublayers of a composite layer (Bidirectional, TimeDistributed, Transformer blocks). Their parameters
 * are registered on the owner under {@code <prefix>.<name>} ({@code attention.query.kernel}), so models,
 * optimisers and the model file see one flat list; {@link #sync} hands replaced owner parameters (loaded
 * weights, float64 copies in gradient checks) back to the children before each forward.
 */
final class Children {
    private final Layer owner;
    private final Map<String, Layer> children = new LinkedHashMap<>();

    Children(Layer owner) {
        this.owner = owner;
    }

    <T extends Layer> T add(String prefix, T child) {
        child.nameIfUnset(prefix);
        children.put(prefix, child);
        return child;
    }

    /** Builds a child for {@code inputShape} and registers its parameters on the owner. */
    void build(String prefix, int[] inputShape, Rng rng) {
        Layer child = children.get(prefix);
        child.build(inputShape, rng);
        for (var e : child.parameters().entrySet()) owner.addParameter(prefix + "." + e.getKey(), e.getValue());
    }

    /** Pushes the owner's current parameter tensors into the children where they were replaced. */
    void sync() {
        for (var c : children.entrySet()) {
            for (var e : c.getValue().parameters().entrySet()) {
                Tensor current = owner.parameter(c.getKey() + "." + e.getKey());
                if (current != null && current != e.getValue()) c.getValue().setParameter(e.getKey(), current);
            }
        }
    }
}
