package dev.kiln.nn.layers;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
    /** Every registered child parameter with its owner name, made once in build: sync runs every forward. */
    private final List<Binding> bindings = new ArrayList<>();

    private record Binding(Layer child, String shortName, String ownerName) {}

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
        for (var e : child.parameters().entrySet()) {
            String ownerName = prefix + "." + e.getKey();
            owner.addParameter(ownerName, e.getValue());
            bindings.add(new Binding(child, e.getKey(), ownerName));
        }
    }

    /** Pushes the owner's current parameter tensors into the children where they were replaced. */
    void sync() {
        for (int i = 0, n = bindings.size(); i < n; i++) {   // indexed, names made in build: no garbage per forward
            Binding b = bindings.get(i);
            Tensor current = owner.parameter(b.ownerName);
            if (current != null && current != b.child.parameter(b.shortName)) b.child.setParameter(b.shortName, current);
        }
    }
}
