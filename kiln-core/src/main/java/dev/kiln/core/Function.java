package dev.kiln.core;

/**
 * One recorded op in the autodiff graph: its inputs, and how to turn the gradient of its output into
 * gradients of its inputs. Subclasses are small final classes holding their forward (a static
 * {@code apply}) and their {@link #backward} side by side; whatever backward needs is saved in final
 * fields during forward.
 */
public abstract class Function {
    final Tensor[] inputs;

    protected Function(Tensor... inputs) {
        this.inputs = inputs;
    }

    /**
     * Gradients of the inputs given {@code dOut}, the gradient of the output. Runs with recording off.
     * Returns one entry per input (null where an input needs none); the array may be the node's own, refilled on
     * the next call, so the caller reads it before calling again.
     */
    protected abstract Tensor[] backward(Tensor dOut);

    /** Whether an op on this input must record itself (fixed arities: no varargs array per op). */
    static boolean needsGrad(Tensor a) {
        return a.requiresGrad() && Grad.isEnabled();
    }

    static boolean needsGrad(Tensor a, Tensor b) {
        return ((a != null && a.requiresGrad()) || (b != null && b.requiresGrad())) && Grad.isEnabled();
    }

    static boolean needsGrad(Tensor a, Tensor b, Tensor c) {
        return ((a != null && a.requiresGrad()) || (b != null && b.requiresGrad()) || (c != null && c.requiresGrad()))
                && Grad.isEnabled();
    }

    /** Whether an op on these inputs must record itself. */
    static boolean needsGrad(Tensor... inputs) {
        if (!Grad.isEnabled()) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) return true;
        return false;
    }

    /** Attaches this function as the creator of {@code out} when recording applies; returns {@code out}. */
    static Tensor record(Tensor out, Function fn) {
        out.creator = fn;
        out.requiresGrad(true);
        return out;
    }

    /** Whether input {@code i} wants a gradient (lets backward skip work). */
    protected final boolean wants(int i) {
        return inputs[i] != null && inputs[i].requiresGrad();
    }
}
