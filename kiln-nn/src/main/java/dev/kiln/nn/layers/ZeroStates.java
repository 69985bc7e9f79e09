package dev.kiln.nn.layers;

import dev.kiln.core.DType;
import dev.kiln.core.Tensor;

/**
 * The all-zero initial states of recurrent layers, kept per thread and shape instead of made on every call (two
 * (batch, units) tensors a step for an LSTM, 131 KB at batch 128 × 128 units). Sharing one is safe because no op
 * writes into its inputs and a state without requiresGrad receives no gradient; per thread, so a model predicting
 * on many threads never hands one thread's tensors to another's arena rules. A handful of shapes are kept (a model's
 * recurrent layers, a short last batch); a new one replaces the oldest.
 */
final class ZeroStates {
    private static final int KEPT = 8;
    private static final ThreadLocal<ZeroStates> CURRENT = ThreadLocal.withInitial(ZeroStates::new);

    private final Tensor[] kept = new Tensor[KEPT];
    private int next;

    private ZeroStates() {}

    /** A zero (rows, units) tensor of {@code dtype}: never write into it. */
    static Tensor of(DType dtype, int rows, int units) {
        ZeroStates z = CURRENT.get();
        for (Tensor t : z.kept) {
            if (t != null && t.dtype() == dtype && t.shape(0) == rows && t.shape(1) == units) return t;
        }
        Tensor t = Tensor.zeros(dtype, rows, units);
        z.kept[z.next] = t;
        z.next = (z.next + 1) % KEPT;
        return t;
    }
}
