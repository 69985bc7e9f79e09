package dev.kiln.nn;

import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.core.StepArena;
import dev.kiln.core.Tensor;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Layer;
import dev.kiln.nn.layers.Merge;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A model whose layers form a directed acyclic graph from one input to one output (Keras's functional API):
 * residual connections ({@code Add}), branches joined by {@code Concatenate}, and layers shared between
 * nodes. Build it from {@link Node}s. Nodes run in a fixed topological order, so a run is reproducible.
 *
 * <p>Saved like {@link Sequential}: the model file lists the distinct layers and, as {@code nodes}, each
 * node's layer and parents (see {@link #graph()}).
 */
public final class Functional extends Model {
    /** One node of the saved graph: the index of its layer in {@link #layers()} and its parents' node ids (0 = the input). */
    public record NodeSpec(int layer, List<Integer> inputs) {}

    private final Node input;
    private final List<Node> order;      // topological, the input first
    private final int[][] parents;       // per node of order, its parents' positions in order
    private final int[] fusedNext;       // per node: the position of the node it may run fused with (Fusion), or -1
    private final int[] lastReader;      // per node: the position of the last node that reads its value (inference frees it there)
    private final List<Layer> layers;    // distinct layers in first-use order
    /** Per thread: the values of a call by node position, and each merge node's inputs as an array and a list view. */
    private final ThreadLocal<RunScratch> scratch = ThreadLocal.withInitial(this::newScratch);

    private record RunScratch(Tensor[] values, Tensor[][] ins, List<Tensor>[] views) {}

    @SuppressWarnings("unchecked")
    private RunScratch newScratch() {
        Tensor[][] ins = new Tensor[order.size()][];
        List<Tensor>[] views = new List[order.size()];
        for (int i = 0; i < ins.length; i++) {
            if (order.get(i).layer() instanceof Merge) {
                ins[i] = new Tensor[parents[i].length];
                views[i] = Arrays.asList(ins[i]);   // a fixed-size view: writes to ins[i] show through
            }
        }
        return new RunScratch(new Tensor[order.size()], ins, views);
    }
    private int[] inputShape;
    private List<int[]> shapes;          // per node of order, after build

    public Functional(Node input, Node output) {
        if (!input.isInput()) throw new IllegalArgumentException("Functional's first argument must be Node.input(...)");
        this.input = input;
        this.order = topologicalOrder(input, output);
        Map<Node, Integer> at = new IdentityHashMap<>();
        for (Node n : order) at.put(n, at.size());
        this.parents = new int[order.size()][];
        int[] consumers = new int[order.size()];
        for (int i = 0; i < order.size(); i++) {
            List<Node> ps = order.get(i).parents();
            parents[i] = new int[ps.size()];
            for (int k = 0; k < ps.size(); k++) consumers[parents[i][k] = at.get(ps.get(k))]++;
        }
        this.fusedNext = new int[order.size()];
        Arrays.fill(fusedNext, -1);
        for (int j = 0; j < order.size(); j++) {
            // The pairs Sequential fuses (Fusion): only when the second node is the first's one consumer and the first is
            // not the output, so the value between them is needed nowhere.
            if (order.get(j).isInput() || parents[j].length != 1) continue;
            int i = parents[j][0];
            if (!order.get(i).isInput() && consumers[i] == 1 && Fusion.candidates(order.get(i).layer(), order.get(j).layer())) fusedNext[i] = j;
        }
        this.lastReader = new int[order.size()];
        for (int i = 0; i < order.size(); i++) for (int p : parents[i]) lastReader[p] = Math.max(lastReader[p], i);
        Set<Layer> distinct = new LinkedHashSet<>();
        for (Node n : order) if (!n.isInput()) distinct.add(n.layer());
        this.layers = List.copyOf(distinct);
        nameLayers();
    }

    /** Depth-first post-order from the output; every path must lead back to {@code input}. */
    private static List<Node> topologicalOrder(Node input, Node output) {
        List<Node> order = new ArrayList<>();
        Map<Node, Boolean> state = new IdentityHashMap<>();  // false = on the stack, true = done
        visit(output, input, state, order);
        if (!state.containsKey(input)) throw new IllegalArgumentException("the output node does not depend on the given input node");
        return order;
    }

    private static void visit(Node n, Node input, Map<Node, Boolean> state, List<Node> order) {
        Boolean s = state.get(n);
        if (s != null) return;
        if (n.isInput() && n != input) {
            throw new IllegalArgumentException("the graph reaches a second Node.input(...); a Functional model has exactly one input");
        }
        state.put(n, false);
        for (Node p : n.parents()) visit(p, input, state, order);
        state.put(n, true);
        order.add(n);
    }

    private void nameLayers() {
        Map<String, Integer> counts = new HashMap<>();
        Set<String> names = new HashSet<>();
        for (Layer l : layers) if (l.name() != null) names.add(l.name());
        for (Layer l : layers) {
            String base = l.typeName().toLowerCase(Locale.ROOT);
            int n = counts.merge(l.typeName(), 1, Integer::sum);
            while (l.name() == null && names.contains(base + "_" + n)) n = counts.merge(l.typeName(), 1, Integer::sum);
            if (l.name() == null) {
                l.nameIfUnset(base + "_" + n);
                names.add(l.name());
            }
        }
        Set<String> seen = new HashSet<>();
        for (Layer l : layers) if (!seen.add(l.name())) throw new IllegalArgumentException("duplicate layer name '" + l.name() + "'");
    }

    @Override
    public List<Layer> layers() {
        return Collections.unmodifiableList(layers);
    }

    @Override
    public int[] inputShape() {
        return inputShape == null ? null : inputShape.clone();
    }

    @Override
    public Functional build(int... shape) {
        int[] declared = input.inputShape();
        if (!Shape.equal(declared, shape)) {
            throw new IllegalArgumentException("this model's input is " + Layer.batchShape(declared) + " but it was built for "
                    + Layer.batchShape(shape) + "; reshape the data or change Node.input(...)");
        }
        if (inputShape != null) return this;
        Rng rng = initRng();
        List<int[]> s = new ArrayList<>();
        Map<Node, int[]> byNode = new IdentityHashMap<>();
        for (Node n : order) {
            int[] out;
            if (n.isInput()) {
                out = declared;
            } else if (n.layer() instanceof Merge m) {
                List<int[]> ins = n.parents().stream().map(byNode::get).toList();
                m.build(ins, rng);
                out = m.outputShape(ins);
            } else {
                int[] in = byNode.get(n.parents().get(0));
                n.layer().build(in, rng);
                out = n.layer().outputShape(in);
            }
            byNode.put(n, out);
            s.add(out);
        }
        shapes = s;
        inputShape = declared.clone();
        return this;
    }

    @Override
    public int[] outputShape() {
        if (shapes == null) throw new IllegalStateException("model is not built yet: call build(inputShape) or fit first");
        return shapes.get(shapes.size() - 1).clone();
    }

    @Override
    protected List<int[]> layerOutputShapes() {
        List<int[]> out = new ArrayList<>();
        if (shapes == null) return null;
        for (Layer l : layers) {
            for (int i = 0; i < order.size(); i++) {
                if (order.get(i).layer() == l) {
                    out.add(shapes.get(i));
                    break;
                }
            }
        }
        return out;
    }

    @Override
    public Tensor call(Tensor x, CallContext ctx) {
        if (inputShape == null) build(Arrays.copyOfRange(x.shape(), 1, x.rank()));
        RunScratch s = scratch.get();   // no arrays or lists a call (a model does not call itself)
        Tensor[] values = s.values();   // by position in order, all null between calls
        try {
            values[0] = x;
            for (int i = 1; i < values.length; i++) {
                if (values[i] != null) continue;           // the second node of a pair, already run fused with the first
                Layer layer = order.get(i).layer();
                int[] ps = parents[i];
                if (layer instanceof Merge m) {
                    Tensor[] ins = s.ins()[i];
                    for (int k = 0; k < ps.length; k++) ins[k] = values[ps[k]];
                    values[i] = m.call(s.views()[i], ctx);
                    Arrays.fill(ins, null);
                    release(values, i);
                    continue;
                }
                int j = fusedNext[i];
                if (j >= 0) {
                    Tensor fused = Fusion.call(layer, values[ps[0]], order.get(j).layer(), ctx);
                    if (fused != null) {
                        values[j] = fused;                  // node i's own output is never stored: nothing else reads it
                        release(values, i);
                        continue;
                    }
                }
                values[i] = layer.call(values[ps[0]], ctx);
                release(values, i);
            }
            return values[values.length - 1];
        } finally {
            Arrays.fill(values, null);   // keep no step's tensors, and start the next call empty
        }
    }

    /**
     * After node {@code i} ran: in inference, the values it was the last reader of give their storage to the nodes
     * after it ({@link StepArena#doneWith(Tensor, Tensor[])}, which keeps any still shared with a live value). The
     * input (0) is the caller's. A no-op while the graph records or outside an arena.
     */
    private void release(Tensor[] values, int i) {
        for (int p : parents[i]) {
            if (p != 0 && lastReader[p] == i && StepArena.doneWith(values[p], values)) values[p] = null;
        }
    }

    /** The graph as saved: one entry per non-input node in run order; node ids count the input as 0. */
    public List<NodeSpec> graph() {
        Map<Node, Integer> ids = new IdentityHashMap<>();
        List<NodeSpec> out = new ArrayList<>();
        for (Node n : order) {
            ids.put(n, ids.size());
            if (n.isInput()) continue;
            out.add(new NodeSpec(layers.indexOf(n.layer()), n.parents().stream().map(ids::get).toList()));
        }
        return out;
    }

    /** Rebuilds a model from saved layers and {@link #graph()}; every index is checked. */
    public static Functional fromGraph(int[] inputShape, List<Layer> layers, List<NodeSpec> graph) {
        if (graph == null || graph.isEmpty()) throw new IllegalArgumentException("a Functional graph needs at least one node");
        List<Node> nodes = new ArrayList<>();
        nodes.add(Node.input(inputShape));
        for (int k = 0; k < graph.size(); k++) {
            NodeSpec s = graph.get(k);
            if (s.layer() < 0 || s.layer() >= layers.size()) {
                throw new IllegalArgumentException("node " + (k + 1) + " names layer " + s.layer() + " but there are " + layers.size() + " layers");
            }
            if (s.inputs() == null || s.inputs().isEmpty()) throw new IllegalArgumentException("node " + (k + 1) + " has no inputs");
            List<Node> parents = new ArrayList<>();
            for (int id : s.inputs()) {
                if (id < 0 || id > k) throw new IllegalArgumentException("node " + (k + 1) + " refers to node " + id + ", which does not come before it");
                parents.add(nodes.get(id));
            }
            Layer layer = layers.get(s.layer());
            if (layer instanceof Merge m) nodes.add(Node.merge(m, parents.toArray(Node[]::new)));
            else if (parents.size() == 1) nodes.add(parents.get(0).then(layer));
            else throw new IllegalArgumentException("node " + (k + 1) + " gives " + parents.size() + " inputs to " + layer.typeName() + ", which takes one");
        }
        return new Functional(nodes.get(0), nodes.get(nodes.size() - 1));
    }
}
