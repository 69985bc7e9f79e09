package dev.kiln.nn.text;

/**
 * The shape of a small GPT (Radford et al. 2019, after nanoGPT's {@code GPTConfig}): vocabulary, context
 * length, model width, heads, layers, dropout, and how the weights start ({@code init}). The MLP is 4× the
 * width, as in GPT-2.
 *
 * <p>{@code init}: {@code "pytorch"} starts every layer as PyTorch's modules do (token embedding N(0, 1), linear
 * weights and biases U(±1/√fan_in)), {@code "keras"} as Keras's (embedding U(±0.05), glorot_uniform kernels, zero
 * biases). Learned positions start N(0, 0.02) and layer norms at ones/zeros either way. Gpt.build writes the choice
 * into the layers' initialiser settings, so a saved model records it.
 */
public record GptConfig(int vocabSize, int contextLength, int dModel, int numHeads, int numLayers, double dropout, String init) {
    /** PyTorch's module defaults. */
    public static final String PYTORCH = "pytorch";
    /** Keras's layer defaults (Kiln's only initialisation before the choice existed). */
    public static final String KERAS = "keras";
    /**
     * The init a config gets when none is named. Measured on the char-GPT (shipped corpus, batch 32, AdamW,
     * clip 1; GptBench seeds 42, 7, 1, 2), loss over steps 16-20 / mean of steps 191-200: pytorch 2.634 / 2.351,
     * keras 2.770 / 2.316 (lower at 200 steps on all four seeds, by 0.004-0.061); PyTorch itself (seed 42) 2.628 /
     * 2.357. The pytorch init tracks PyTorch early, keras trains further by step 200, so keras stays the default.
     */
    public static final String DEFAULT_INIT = KERAS;

    public GptConfig {
        if (init == null) init = DEFAULT_INIT;
        init = init.trim().toLowerCase(java.util.Locale.ROOT);
        if (!init.equals(PYTORCH) && !init.equals(KERAS)) {
            throw new IllegalArgumentException("GptConfig init must be \"" + PYTORCH + "\" or \"" + KERAS + "\", got \"" + init + "\"");
        }
        if (vocabSize < 2) throw new IllegalArgumentException("GptConfig vocabSize must be >= 2, got " + vocabSize);
        if (contextLength < 1) throw new IllegalArgumentException("GptConfig contextLength must be >= 1, got " + contextLength);
        if (numHeads < 1 || numLayers < 1) throw new IllegalArgumentException("GptConfig needs numHeads >= 1 and numLayers >= 1, got " + numHeads + " and " + numLayers);
        if (dModel < 1 || dModel % numHeads != 0) {
            throw new IllegalArgumentException("GptConfig dModel " + dModel + " must be a positive multiple of numHeads " + numHeads);
        }
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("GptConfig dropout must be in [0, 1), got " + dropout);
    }

    /** A config with the default {@link #DEFAULT_INIT init}. */
    public GptConfig(int vocabSize, int contextLength, int dModel, int numHeads, int numLayers, double dropout) {
        this(vocabSize, contextLength, dModel, numHeads, numLayers, dropout, null);
    }

    /** The character-level model: 4 layers, 4 heads, width 128, context 128, no dropout. */
    public static GptConfig small(int vocabSize) {
        return new GptConfig(vocabSize, 128, 128, 4, 4, 0);
    }

    public GptConfig withContextLength(int v) { return new GptConfig(vocabSize, v, dModel, numHeads, numLayers, dropout, init); }

    public GptConfig withDModel(int v) { return new GptConfig(vocabSize, contextLength, v, numHeads, numLayers, dropout, init); }

    public GptConfig withLayers(int layers, int heads) { return new GptConfig(vocabSize, contextLength, dModel, heads, layers, dropout, init); }

    public GptConfig withDropout(double v) { return new GptConfig(vocabSize, contextLength, dModel, numHeads, numLayers, v, init); }

    /** {@code "pytorch"} or {@code "keras"}; see the class comment. */
    public GptConfig withInit(String v) { return new GptConfig(vocabSize, contextLength, dModel, numHeads, numLayers, dropout, v); }
}
