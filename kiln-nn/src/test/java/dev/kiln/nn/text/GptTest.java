package dev.kiln.nn.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Rng;
import dev.kiln.core.StepArena;
import dev.kiln.core.Tensor;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.GptBlock;
import dev.kiln.nn.layers.Initializer;
import dev.kiln.nn.layers.Lstm;
import dev.kiln.nn.optimizers.Adam;
import dev.kiln.nn.optimizers.Optimizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GptTest {
    private static final GptConfig TINY = new GptConfig(11, 16, 8, 2, 2, 0);

    private static Sequential tiny() {
        return Gpt.build(TINY, 5);
    }

    @Test
    void cachedLogitsEqualRecomputingThePrefix() {
        Sequential model = tiny();
        Generator cached = new Generator(model, true);
        Generator plain = new Generator(model, false);
        int[] prompt = {3, 1, 4};
        List<Integer> got = new ArrayList<>();
        int[] generated = cached.generate(prompt, 10, Generator.Sampling.of(1.0, 9), got::add);
        assertThat(generated).hasSize(10);
        assertThat(got).hasSize(10);
        assertThat(plain.generate(prompt, 10, Generator.Sampling.of(1.0, 9), null)).containsExactly(generated);
        // And every intermediate next-token distribution agrees with a full forward pass of the model.
        int[] all = new int[13];
        System.arraycopy(prompt, 0, all, 0, 3);
        System.arraycopy(generated, 0, all, 3, 10);
        Tensor x = Tensor.of(toFloats(java.util.Arrays.copyOf(all, 16)), 1, 16);
        float[] full = model.predict(x).toFloatArray();      // (1, 16, 11), causal: padding after position 12 does not matter
        for (int len = 1; len <= 13; len++) {
            float[] step = plain.nextLogits(java.util.Arrays.copyOf(all, len));
            for (int v = 0; v < 11; v++) assertThat(step[v]).isCloseTo(full[(len - 1) * 11 + v], Offset.offset(1e-4f));
        }
    }

    @Test
    void generationRunsPastTheContextAndIsSeeded() {
        Generator g = new Generator(tiny());
        int[] a = g.generate(new int[] {1}, 40, new Generator.Sampling(0.8, 5, 0.9, 3), null);
        int[] b = g.generate(new int[] {1}, 40, new Generator.Sampling(0.8, 5, 0.9, 3), null);
        assertThat(a).hasSize(40).containsExactly(b);
        for (int id : a) assertThat(id).isBetween(0, 10);
        assertThat(g.generate(new int[] {1}, 40, new Generator.Sampling(0.8, 5, 0.9, 4), null)).isNotEqualTo(a);
    }

    @Test
    void topKOfOneAndTinyTopPAreGreedy() {
        float[] logits = {0.1f, 2f, -1f, 1.9f};
        Rng rng = new Rng(1);
        for (int i = 0; i < 20; i++) {
            assertThat(Generator.sample(logits, new Generator.Sampling(1.5, 1, 1, 0), rng)).isEqualTo(1);
            assertThat(Generator.sample(logits, new Generator.Sampling(1.5, 0, 1e-3, 0), rng)).isEqualTo(1);
            assertThat(Generator.sample(logits, Generator.Sampling.greedy(), rng)).isEqualTo(1);
        }
    }

    @Test
    void samplingFollowsTheTemperedDistributionAndTopPCutsTheTail() {
        float[] logits = {0f, (float) Math.log(3), -20f};   // p = 0.25, 0.75, ~0
        Rng rng = new Rng(2);
        int ones = 0, n = 20000;
        for (int i = 0; i < n; i++) if (Generator.sample(logits, Generator.Sampling.of(1, 0), rng) == 1) ones++;
        assertThat(ones / (double) n).isCloseTo(0.75, Offset.offset(0.02));
        // temperature 2 flattens: p ∝ exp(l/2) → 1/(1+√3) ≈ 0.366 for id 0
        int zeros = 0;
        for (int i = 0; i < n; i++) if (Generator.sample(logits, Generator.Sampling.of(2, 0), rng) == 0) zeros++;
        assertThat(zeros / (double) n).isCloseTo(1 / (1 + Math.sqrt(3)), Offset.offset(0.02));
        // top-p 0.7 keeps only id 1 (0.75 >= 0.7)
        for (int i = 0; i < 100; i++) assertThat(Generator.sample(logits, Generator.Sampling.of(1, 0).withTopP(0.7), rng)).isEqualTo(1);
    }

    @Test
    void aTinyGptLearnsARepeatingPatternAndGeneratesIt() {
        int[] corpus = new int[400];
        int[] pattern = {1, 2, 3, 4, 5, 6, 7};
        for (int i = 0; i < corpus.length; i++) corpus[i] = pattern[i % pattern.length];
        Sequential model = Gpt.build(new GptConfig(11, 16, 16, 2, 1, 0), 1);
        Adam adam = new Adam(1e-2);
        Rng rng = new Rng(3);
        float first = 0, last = 0;
        for (int step = 0; step < 60; step++) {
            Tensor[] xy = Gpt.windows(corpus, Gpt.randomStarts(rng, corpus.length, 16, 8), 16);
            last = Gpt.trainStep(model, adam, xy[0], xy[1], rng);
            if (step == 0) first = last;
        }
        assertThat(first).isGreaterThan(2f);
        assertThat(last).isLessThan(0.3f);
        int[] out = new Generator(model).generate(new int[] {3, 4, 5}, 20, Generator.Sampling.greedy(), null);
        for (int i = 0; i < out.length; i++) assertThat(out[i]).as("token " + i).isEqualTo(pattern[(5 + i) % 7]);
    }

    @Test
    void attentionDropoutTrainsThroughTheComposedPathAndInferenceIsDeterministic() {
        // Dropout on the attention weights is not part of the fused op: training composes attention from primitives.
        Sequential model = Gpt.build(new GptConfig(11, 12, 16, 2, 1, 0.2), 2);
        Adam adam = new Adam(1e-2);
        Rng rng = new Rng(4);
        int[] corpus = new int[200];
        for (int i = 0; i < corpus.length; i++) corpus[i] = 1 + i % 5;
        float first = 0, last = 0;
        for (int step = 0; step < 30; step++) {
            Tensor[] xy = Gpt.windows(corpus, Gpt.randomStarts(rng, corpus.length, 12, 4), 12);
            last = Gpt.trainStep(model, adam, xy[0], xy[1], rng);
            if (step == 0) first = last;
        }
        assertThat(last).isFinite().isLessThan(first);
        Tensor x = Gpt.windows(corpus, new int[] {0, 3}, 12)[0];
        assertThat(model.predict(x).toFloatArray()).containsExactly(model.predict(x).toFloatArray());
    }

    @Test
    void trainingInAPoisonedStepArenaGivesTheSameLossesAndWeights() {
        // A poisoned arena NaN-fills every array it takes back: a tensor kept past its step, or an element a kernel
        // forgot to write, would turn the losses or weights into NaN or change them.
        int[] corpus = new int[300];
        for (int i = 0; i < corpus.length; i++) corpus[i] = (i * 7 + i / 5) % 11;
        float[][] losses = new float[2][8];
        Sequential[] models = new Sequential[2];
        for (int run = 0; run < 2; run++) {
            models[run] = Gpt.build(new GptConfig(11, 12, 16, 2, 2, 0), 4);
            Optimizer opt = Adam.adamW(1e-2, 0.01).clipGlobalNorm(1.0);
            StepArena arena = run == 0 ? null : new StepArena(true);
            Rng rng = new Rng(8);
            for (int step = 0; step < losses[run].length; step++) {
                Tensor[] xy = Gpt.windows(corpus, Gpt.randomStarts(rng, corpus.length, 12, 4), 12);
                losses[run][step] = Gpt.trainStep(models[run], opt, xy[0], xy[1], rng, arena);
            }
        }
        assertThat(losses[1]).containsExactly(losses[0]);
        for (String p : models[0].parameters().keySet()) {
            assertThat(models[1].parameters().get(p).toFloatArray()).as(p).containsExactly(models[0].parameters().get(p).toFloatArray());
        }
    }

    @Test
    void fitIsTheHandWrittenLoopAndPrintsTheFirstAndEveryNthStep() {
        // examples/CharGpt.java and BpeGpt.java train with Gpt.fit; it must stay the loop they wrote out before (same
        // windows and dropout from one Rng, one arena), so their losses and saved weights do not move.
        int[] corpus = new int[300];
        for (int i = 0; i < corpus.length; i++) corpus[i] = (i * 7 + i / 5) % 11;
        GptConfig config = new GptConfig(11, 12, 16, 2, 2, 0.1);
        int steps = 7, batch = 4;

        Sequential byHand = Gpt.build(config, 4);
        Optimizer opt = Adam.adamW(1e-2, 0.01).clipGlobalNorm(1.0);
        Rng rng = new Rng(8);
        StepArena arena = new StepArena();
        Gpt.Windows windows = new Gpt.Windows(batch, config.contextLength());
        float[] expected = new float[steps];
        for (int step = 0; step < steps; step++) {
            windows.sample(corpus, rng);
            expected[step] = Gpt.trainStep(byHand, opt, windows.inputs(), windows.targets(), rng, arena);
        }

        Sequential fitted = Gpt.build(config, 4);
        float[] reported = new float[steps];
        float last = Gpt.fit(fitted, Adam.adamW(1e-2, 0.01).clipGlobalNorm(1.0), corpus, steps, batch, new Rng(8),
                (step, loss, tokensPerSecond) -> {
                    reported[step - 1] = loss;
                    assertThat(tokensPerSecond).isPositive();
                });
        assertThat(reported).containsExactly(expected);
        assertThat(last).isEqualTo(expected[steps - 1]);
        for (String p : byHand.parameters().keySet()) {
            assertThat(fitted.parameters().get(p).toFloatArray()).as(p).containsExactly(byHand.parameters().get(p).toFloatArray());
        }

        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        Gpt.fit(Gpt.build(config, 4), opt, corpus, steps, batch, new Rng(8), Gpt.Progress.printing(new java.io.PrintStream(bytes, true), 3));
        assertThat(bytes.toString().lines().toList()).hasSize(3)
                .allMatch(l -> l.matches("step (1|3|6)  loss \\d+\\.\\d{4}  \\d+ tokens/s"), "step N  loss L  T tokens/s at steps 1, 3, 6");
        assertThat(Gpt.fit(Gpt.build(config, 4), opt, corpus, 0, batch, new Rng(8), null)).isNaN();
        Sequential grid = new Sequential(new Dense(3));   // inputs (6, 2) per sample: not a sequence of token ids
        grid.build(6, 2);
        assertThatThrownBy(() -> Gpt.fit(grid, opt, corpus, 1, batch, new Rng(8), null)).hasMessageContaining("input shape (6, 2)");
    }

    @Test
    void savedModelKeepsWeightsAndPreprocessing(@TempDir Path dir) throws Exception {
        Sequential model = tiny();
        model.preprocessing("{\"type\":\"char\",\"alphabet\":\"abc\"}");
        Path file = dir.resolve("gpt.kiln");
        model.save(file);
        Model loaded = Model.load(file);
        assertThat(loaded.preprocessing()).isEqualTo(model.preprocessing());
        int[] prompt = {1, 2, 3, 4};
        assertThat(new Generator(loaded).nextLogits(prompt)).containsExactly(new Generator(model).nextLogits(prompt));
    }

    @Test
    void generatorRejectsModelsItCannotDecodeAndEmptyPrompts() {
        Sequential lstm = new Sequential(new dev.kiln.nn.layers.Embedding(5, 3), new Lstm(4));
        lstm.build(6);
        assertThatThrownBy(() -> new Generator(lstm)).hasMessageContaining("LSTM").hasMessageContaining("Gpt.build");
        assertThatThrownBy(() -> new Generator(tiny()).generate(new int[0], 3, Generator.Sampling.greedy(), null))
                .hasMessageContaining("prompt is empty");
        assertThatThrownBy(() -> new Generator.Sampling(1, 0, 0, 1)).hasMessageContaining("topP");
    }

    @Test
    void theInitChoiceIsSavedWithTheModelAndReloaded(@TempDir Path dir) throws Exception {
        for (String init : new String[] {GptConfig.PYTORCH, GptConfig.KERAS}) {
            Sequential model = Gpt.build(TINY.withInit(init), 5);
            Path file = dir.resolve(init + ".kiln");
            model.save(file);
            Model loaded = Model.load(file);
            Initializer embeddings = init.equals(GptConfig.PYTORCH) ? Initializer.STANDARD_NORMAL : null;   // null: Keras's default
            Initializer linear = init.equals(GptConfig.PYTORCH) ? Initializer.TORCH_UNIFORM : null;
            assertThat(((Embedding) loaded.layers().get(0)).config().embeddingsInitializer()).as(init).isEqualTo(embeddings);
            GptBlock.Config block = ((GptBlock) loaded.layers().get(2)).config();
            assertThat(block.kernelInitializer()).as(init).isEqualTo(linear);
            assertThat(block.biasInitializer()).as(init).isEqualTo(linear);
            Dense.Config head = ((Dense) loaded.layers().get(loaded.layers().size() - 1)).config();
            assertThat(head.kernelInitializer()).as(init).isEqualTo(linear == null ? Initializer.GLOROT_UNIFORM : linear);
            assertThat(head.biasInitializer()).as(init).isEqualTo(linear == null ? Initializer.ZEROS : linear);
            int[] prompt = {1, 2, 3};
            assertThat(new Generator(loaded).nextLogits(prompt)).containsExactly(new Generator(model).nextLogits(prompt));
        }
        assertThatThrownBy(() -> TINY.withInit("xavier")).hasMessageContaining("pytorch").hasMessageContaining("keras");
    }

    @Test
    void aModelFileFromBeforeTheInitOptionLoadsAsKeras() throws Exception {
        // Written by Gpt.build(new GptConfig(11, 16, 8, 2, 2, 0), 5).save(...) before GptConfig had an init: its layers
        // carry no initialiser fields. It loads, reads back as Keras's defaults, and the Keras init still draws the
        // same weights from the same seed.
        Path file = Path.of(GptTest.class.getResource("gpt-before-init-option.kiln").toURI());
        Model loaded = Model.load(file);
        assertThat(((Embedding) loaded.layers().get(0)).config().embeddingsInitializer()).isNull();
        assertThat(((GptBlock) loaded.layers().get(2)).config().kernelInitializer()).isNull();
        Sequential rebuilt = Gpt.build(TINY.withInit(GptConfig.KERAS), 5);
        for (var e : rebuilt.parameters().entrySet()) {
            assertThat(loaded.parameters().get(e.getKey()).toFloatArray()).as(e.getKey()).containsExactly(e.getValue().toFloatArray());
        }
    }

    @Test
    void pytorchInitDrawsFromPyTorchsDefaultRanges() {
        // d 64, MLP 256: a Keras init would show here as glorot's limit √(6/(fan_in+fan_out)) instead of 1/√fan_in,
        // and as a bias bounded by its own size (PyTorch bounds a Linear's bias by the weights' fan-in).
        GptConfig c = new GptConfig(50, 32, 64, 4, 3, 0, GptConfig.PYTORCH);
        Map<String, Tensor> p = Gpt.build(c, 11).parameters();
        assertNormal(values(p, "embedding_1.embeddings"), 1.0);
        assertNormal(values(p, "positionalembedding_1.embeddings"), 0.02);
        for (String name : new String[] {"attention.query", "attention.key", "attention.value", "attention.output", "ffn_1"}) {
            assertUniform(values(p, ".*\\." + name + "\\.kernel"), 1 / Math.sqrt(64), name);
            assertUniform(values(p, ".*\\." + name + "\\.bias"), 1 / Math.sqrt(64), name + " bias");
        }
        assertUniform(values(p, ".*\\.ffn_2\\.kernel"), 1 / Math.sqrt(256), "ffn_2");
        assertUniform(values(p, ".*\\.ffn_2\\.bias"), 1 / Math.sqrt(256), "ffn_2 bias");
        assertUniform(values(p, "dense_1\\.kernel"), 1 / Math.sqrt(64), "head");
        assertUniform(values(p, "dense_1\\.bias"), 1 / Math.sqrt(64), "head bias");
        for (double v : values(p, ".*norm.*\\.gamma")) assertThat(v).isEqualTo(1.0);
        for (double v : values(p, ".*norm.*\\.beta")) assertThat(v).isEqualTo(0.0);
    }

    /** All elements of the parameters whose names match {@code regex}. */
    private static double[] values(Map<String, Tensor> params, String regex) {
        java.util.stream.DoubleStream.Builder b = java.util.stream.DoubleStream.builder();
        params.forEach((k, t) -> {
            if (k.matches(regex)) for (float f : t.toFloatArray()) b.add(f);
        });
        double[] v = b.build().toArray();
        assertThat(v).as(regex).isNotEmpty();
        return v;
    }

    @Test
    void reusedWindowsHoldWhatFreshWindowsWouldAndDrawTheSameStarts() {
        int[] corpus = new int[100];
        for (int i = 0; i < corpus.length; i++) corpus[i] = (i * 7) % 11;
        Rng a = new Rng(9), b = new Rng(9);
        Gpt.Windows reused = new Gpt.Windows(3, 10);
        Tensor inputs = reused.inputs(), targets = reused.targets();
        for (int step = 0; step < 4; step++) {
            Tensor[] fresh = Gpt.windows(corpus, Gpt.randomStarts(a, corpus.length, 10, 3), 10);
            reused.sample(corpus, b);
            assertThat(reused.inputs()).as("the same tensor every step").isSameAs(inputs);
            assertThat(reused.targets()).isSameAs(targets);
            assertThat(inputs.shape()).containsExactly(3, 10);
            assertThat(inputs.toFloatArray()).as("inputs, step " + step).containsExactly(fresh[0].toFloatArray());
            assertThat(targets.toFloatArray()).as("targets, step " + step).containsExactly(fresh[1].toFloatArray());
        }
        assertThat(b.nextInt(1000)).as("the random source advanced alike").isEqualTo(a.nextInt(1000));
        reused.fill(corpus, new int[] {0, 5, 89});
        assertThat(inputs.toFloatArray()).containsExactly(Gpt.windows(corpus, new int[] {0, 5, 89}, 10)[0].toFloatArray());
        assertThatThrownBy(() -> reused.fill(corpus, new int[] {0, 90, 1})).hasMessageContaining("does not fit 100 tokens");
        assertThatThrownBy(() -> reused.fill(corpus, new int[] {0})).hasMessageContaining("hold 3 rows, got 1");
        assertThatThrownBy(() -> reused.sample(new int[10], b)).hasMessageContaining("too short");
    }

    @Test
    void theParameterListIsKeptUntilAParameterIsReplaced() {
        Sequential model = tiny();
        List<Tensor> list = model.parameterList();
        assertThat(list).containsExactlyElementsOf(model.parameters().values());
        assertThat(model.parameterList()).as("kept while nothing changed").isSameAs(list);
        GptBlock block = (GptBlock) model.layers().get(2);
        String name = block.parameters().keySet().iterator().next();
        Tensor replacement = block.parameters().get(name).copy().detach();
        block.setParameter(name, replacement);
        List<Tensor> after = model.parameterList();
        assertThat(after).isNotSameAs(list).contains(replacement).containsExactlyElementsOf(model.parameters().values());
    }

    /** U(±bound): inside the bound, reaching near it, mean and variance (bound²/3) within six standard errors. */
    private static void assertUniform(double[] v, double bound, String what) {
        int n = v.length;
        double mean = java.util.Arrays.stream(v).average().orElseThrow();
        double var = java.util.Arrays.stream(v).map(x -> x * x).average().orElseThrow();
        double maxAbs = java.util.Arrays.stream(v).map(Math::abs).max().orElseThrow();
        assertThat(maxAbs).as(what + " max |w|").isLessThanOrEqualTo(bound * (1 + 1e-6)).isGreaterThan(bound * (1 - 8.0 / n));
        assertThat(mean).as(what + " mean").isCloseTo(0, Offset.offset(6 * bound / Math.sqrt(3 * n)));
        // Var(w²) = E[w⁴] − E[w²]² = bound⁴ (1/5 − 1/9) for a uniform.
        assertThat(var).as(what + " variance").isCloseTo(bound * bound / 3, Offset.offset(6 * bound * bound * Math.sqrt(4.0 / 45 / n)));
    }

    /** N(0, std): mean and variance within six standard errors. */
    private static void assertNormal(double[] v, double std) {
        int n = v.length;
        double mean = java.util.Arrays.stream(v).average().orElseThrow();
        double var = java.util.Arrays.stream(v).map(x -> x * x).average().orElseThrow();
        assertThat(mean).isCloseTo(0, Offset.offset(6 * std / Math.sqrt(n)));
        assertThat(var).isCloseTo(std * std, Offset.offset(6 * std * std * Math.sqrt(2.0 / n)));
    }

    private static float[] toFloats(int[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = a[i];
        return f;
    }

}
