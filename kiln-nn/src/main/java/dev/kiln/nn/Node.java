package dev.kiln.nn;

import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.layers.Merge;
import java.util.List;

/**
 * A symbolic tensor of a {@link Functional} model: the model's input, or a layer applied to earlier nodes
 * (Keras's functional API). Nodes only record the graph; shapes are checked and weights created when the
 * model is built. A layer used by several nodes shares its weights between them.
 *
 * <pre>{@code
 * Node in = Node.input(28, 28, 1);
 * Node x = in.then(new Conv2D(16, 3, Activation.RELU));
 * Node y = x.then(new Conv2D(new Conv2D.Config(16, 3, Activation.LINEAR).withPadding(Padding.SAME)));
 * Node out = Node.merge(new Add(), x, y).then(new GlobalAveragePooling2D()).then(new Dense(10));
 * Model model = new Functional(in, out);
 * }</pre>
 *
 * Immutable and thread-safe; the layers it refers to are not.
 */
public final class Node {
    private final Layer layer;          // null for the input
    private final List<Node> parents;
    private final int[] inputShape;     // only for the input: one sample's shape

    private Node(Layer layer, List<Node> parents, int[] inputShape) {
        this.layer = layer;
        this.parents = parents;
        this.inputShape = inputShape;
    }

    /** The model input: one sample's shape, without the batch dimension. */
    public static Node input(int... sampleShape) {
        for (int d : sampleShape) if (d < 1) throw new IllegalArgumentException("input shape " + java.util.Arrays.toString(sampleShape) + " needs dimensions >= 1");
        return new Node(null, List.of(), sampleShape.clone());
    }

    /** This node fed through {@code layer}. */
    public Node then(Layer layer) {
        if (layer instanceof Merge) throw new IllegalArgumentException(layer.typeName() + " joins several nodes: use Node.merge(layer, a, b, ...)");
        return new Node(layer, List.of(this), null);
    }

    /** Several nodes joined by a merge layer ({@code Add}, {@code Concatenate}). */
    public static Node merge(Merge layer, Node... inputs) {
        if (inputs.length < 2) throw new IllegalArgumentException(layer.typeName() + " needs at least two input nodes, got " + inputs.length);
        return new Node(layer, List.of(inputs), null);
    }

    public boolean isInput() {
        return layer == null;
    }

    /** The layer this node applies, or null for the input. */
    public Layer layer() {
        return layer;
    }

    public List<Node> parents() {
        return parents;
    }

    int[] inputShape() {
        return inputShape == null ? null : inputShape.clone();
    }
}
