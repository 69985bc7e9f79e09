package dev.kiln.nn.text;

import dev.kiln.core.Rng;
import dev.kiln.core.Shape;
import dev.kiln.core.StepArena;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.CallContext;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.GptBlock;
import dev.kiln.nn.layers.Initializer;
import dev.kiln.nn.layers.LayerNormalization;
import dev.kiln.nn.layers.PositionalEmbedding;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Optimizer;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * A small GPT as a plain {@link Sequential} — token embedding, learned positions, {@code numLayers}
 * {@link GptBlock}s, a final layer norm and a linear head to vocabulary logits — so it saves, loads and
 * summarises like any Kiln model, and {@link Generator} samples from it with a key/value cache.
 *
 * <p>Language-model training predicts every next token of a window: inputs (B, T) ids, targets (B, T) ids
 * shifted by one, loss the mean cross-entropy over all B·T positions. {@link #trainStep} is that step, and
 * {@link #fit} the loop of such steps on random windows of a corpus.
 */
public final class Gpt {
    private Gpt() {}

    /**
     * Builds the model for inputs (B, contextLength), weights from {@code seed}, initialised as {@code c.init()}
     * says. The init lives in the layers' own initialiser settings (null, Keras's defaults, for "keras"), so it is
     * saved with the model and a model file from before the choice existed loads as "keras".
     */
    public static Sequential build(GptConfig c, long seed) {
        boolean torch = c.init().equals(GptConfig.PYTORCH);
        Initializer embeddings = torch ? Initializer.STANDARD_NORMAL : null;   // nn.Embedding: N(0, 1)
        Initializer linear = torch ? Initializer.TORCH_UNIFORM : null;          // nn.Linear: weights and biases U(±1/√fan_in)
        Sequential model = new Sequential();
        model.add(new Embedding(new Embedding.Config(null, c.vocabSize(), c.dModel(), false, embeddings)));
        model.add(new PositionalEmbedding(c.contextLength()));
        for (int i = 0; i < c.numLayers(); i++) {
            model.add(new GptBlock(new GptBlock.Config(null, c.numHeads(), 4 * c.dModel(), c.dropout(), linear, linear)));
        }
        model.add(new LayerNormalization(1e-5));
        model.add(new Dense(new Dense.Config(null, c.vocabSize(), Activation.LINEAR, true, linear, linear, 0)));
        model.seed(seed);
        model.build(c.contextLength());
        return model;
    }

    /** Mean next-token cross-entropy of logits (B, T, V) against target ids (B, T). */
    public static Tensor loss(Tensor logits, Tensor targets) {
        int expected = logits.size() / logits.shape(-1);
        if (targets.size() != expected) {
            throw new IllegalArgumentException("language-model loss: logits " + Shape.str(logits.shape()) + " need " + expected
                    + " target ids (batch, timesteps), got " + Shape.str(targets.shape()));
        }
        int rows = logits.shape(0);   // targets as (rows, the rest): known widths, so the reshape makes no array
        return Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS.compute(logits, targets.reshape(rows, targets.size() / Math.max(1, rows)));
    }

    /**
     * One training step: forward, loss, backward, (clipped) optimiser step, zero gradients. Returns the loss.
     * Call {@code model.compile} first only if you also want {@code evaluate}; this needs just the optimiser.
     */
    public static float trainStep(Model model, Optimizer optimizer, Tensor inputs, Tensor targets, Rng dropoutRng) {
        return trainStep(model, optimizer, inputs, targets, dropoutRng, null);
    }

    /**
     * {@link #trainStep(Model, Optimizer, Tensor, Tensor, Rng)} inside {@code arena} (null: none), reset once the step
     * is done, so a warmed-up step reuses the previous step's activation and gradient storage instead of
     * allocating it (about 400 MB a step for the model). Only the loss, a number, leaves the step; the
     * model must already be built (its weights must not come from the arena). One arena per training run.
     */
    public static float trainStep(Model model, Optimizer optimizer, Tensor inputs, Tensor targets, Rng dropoutRng, StepArena arena) {
        if (arena == null) return step(model, optimizer, inputs, targets, dropoutRng);
        if (!model.isBuilt()) throw new IllegalStateException("trainStep with a step arena needs a built model (Gpt.build builds it)");
        float loss = arena.call(() -> step(model, optimizer, inputs, targets, dropoutRng));
        arena.reset();
        return loss;
    }

    /**
     * Trains a language model for {@code steps} steps on random windows of {@code ids}, the loop every GPT
     * script writes: each step draws {@code batch} windows of the model's context length (its input shape) from
     * {@code rng}, which also drives dropout, and takes one {@link #trainStep} inside a {@link StepArena} kept for
     * the run. After each step {@code progress} (null: none) gets the step, its loss and the training tokens a
     * second so far. Returns the last step's loss (NaN after 0 steps). The same seed, data and arguments give the same weights as
     * that loop written out by hand.
     */
    public static float fit(Model model, Optimizer optimizer, int[] ids, int steps, int batch, Rng rng, Progress progress) {
        int[] input = model.inputShape();
        if (input.length != 1) {
            throw new IllegalArgumentException("Gpt.fit needs a language model taking (batch, timesteps) token ids, got input shape " + Shape.str(input));
        }
        if (steps < 0) throw new IllegalArgumentException("Gpt.fit needs steps >= 0, got " + steps);
        int t = input[0];
        StepArena arena = new StepArena();           // each step reuses the last one's activation and gradient storage
        Windows windows = new Windows(batch, t);     // one (inputs, targets) pair, refilled every step
        float loss = Float.NaN;
        long start = System.nanoTime();
        for (int step = 1; step <= steps; step++) {
            windows.sample(ids, rng);
            loss = trainStep(model, optimizer, windows.inputs(), windows.targets(), rng, arena);
            if (progress != null) {
                double seconds = (System.nanoTime() - start) / 1e9;
                progress.step(step, loss, step * (double) batch * t / seconds);
            }
        }
        return loss;
    }

    /** What {@link #fit} reports after each step. */
    @FunctionalInterface
    public interface Progress {
        /** Step {@code step} (from 1) ended with {@code loss}; {@code tokensPerSecond} counts every step so far. */
        void step(int step, float loss, double tokensPerSecond);

        /** A line "step N  loss L  T tokens/s" on {@code out} after the first step and every {@code every}-th. */
        static Progress printing(PrintStream out, int every) {
            if (every < 1) throw new IllegalArgumentException("Progress.printing needs every >= 1, got " + every);
            return (step, loss, tokensPerSecond) -> {
                if (step == 1 || step % every == 0) out.printf(Locale.ROOT, "step %d  loss %.4f  %.0f tokens/s%n", step, loss, tokensPerSecond);
            };
        }
    }

    private static float step(Model model, Optimizer optimizer, Tensor inputs, Tensor targets, Rng dropoutRng) {
        List<Tensor> params = model.parameterList();   // not parameters(): a map of new name strings every step
        Tensor logits = model.call(inputs, trainingContext(dropoutRng));   // (B, T, V)
        Tensor loss = loss(logits, targets);
        loss.backward();
        optimizer.step(params);
        for (int i = 0; i < params.size(); i++) params.get(i).zeroGrad();   // indexed: no iterator a step
        return loss.item();
    }

    /** A training CallContext for {@code rng}: the last one made on this thread when it has the same Rng (none a step). */
    private static CallContext trainingContext(Rng rng) {
        CallContext c = CONTEXT.get();
        if (c == null || c.rng() != rng) CONTEXT.set(c = new CallContext(true, rng));
        return c;
    }

    private static final ThreadLocal<CallContext> CONTEXT = new ThreadLocal<>();

    /** The (inputs, targets) windows starting at {@code starts}: ids[s .. s+T) and ids[s+1 .. s+T+1), as (B, T) float tensors. */
    public static Tensor[] windows(int[] ids, int[] starts, int t) {
        float[] x = new float[starts.length * t], y = new float[starts.length * t];
        fill(ids, starts, t, x, y);
        return new Tensor[] {Tensor.of(x, starts.length, t), Tensor.of(y, starts.length, t)};
    }

    private static void fill(int[] ids, int[] starts, int t, float[] x, float[] y) {
        for (int b = 0; b < starts.length; b++) {
            int s = starts[b];
            if (s < 0 || s + t + 1 > ids.length) {
                throw new IllegalArgumentException("window at " + s + " of length " + t + " (+1 target) does not fit " + ids.length + " tokens");
            }
            for (int i = 0; i < t; i++) {
                x[b * t + i] = ids[s + i];
                y[b * t + i] = ids[s + i + 1];
            }
        }
    }

    /** {@code batch} random window starts for a corpus of {@code n} ids and windows of {@code t}. */
    public static int[] randomStarts(Rng rng, int n, int t, int batch) {
        int[] s = new int[batch];
        randomStarts(rng, n, t, s);
        return s;
    }

    private static void randomStarts(Rng rng, int n, int t, int[] into) {
        if (n < t + 1) throw new IllegalArgumentException("a corpus of " + n + " tokens is too short for windows of " + t + " plus one target");
        for (int i = 0; i < into.length; i++) into[i] = rng.nextInt(n - t);
    }

    /**
     * One (inputs, targets) pair of (B, T) window tensors, refilled in place for every step, so a training loop
     * makes its batch once instead of two arrays, two tensors and the starts each step. {@link #sample} draws the
     * same starts from the same random source as {@link #randomStarts} and writes the same values as
     * {@link #windows}. The tensors are overwritten by the next fill: use them within the step (as
     * {@link #trainStep} does) and copy what must outlive it. Not thread-safe; one per training loop.
     */
    public static final class Windows {
        private final int t;
        private final int[] starts;
        private final float[] x, y;
        private final Tensor inputs, targets;

        /** Empty windows for batches of {@code batch} windows of {@code t} tokens. */
        public Windows(int batch, int t) {
            if (batch < 1 || t < 1) throw new IllegalArgumentException("windows need batch >= 1 and t >= 1, got batch " + batch + ", t " + t);
            this.t = t;
            this.starts = new int[batch];
            this.x = new float[batch * t];
            this.y = new float[batch * t];
            this.inputs = Tensor.of(x, batch, t);
            this.targets = Tensor.of(y, batch, t);
        }

        /** Refills with random windows of {@code ids}: {@link #randomStarts}, then {@link #fill}. */
        public Windows sample(int[] ids, Rng rng) {
            randomStarts(rng, ids.length, t, starts);
            Gpt.fill(ids, starts, t, x, y);
            return this;
        }

        /** Refills with the windows at {@code starts} (one per batch row), as {@link Gpt#windows} would make them. */
        public Windows fill(int[] ids, int[] starts) {
            if (starts.length != this.starts.length) {
                throw new IllegalArgumentException("these windows hold " + this.starts.length + " rows, got " + starts.length + " starts");
            }
            Gpt.fill(ids, starts, t, x, y);
            return this;
        }

        /** Inputs (B, T): ids[s .. s+T) per row. */
        public Tensor inputs() {
            return inputs;
        }

        /** Targets (B, T): ids[s+1 .. s+T+1) per row. */
        public Tensor targets() {
            return targets;
        }
    }
}
