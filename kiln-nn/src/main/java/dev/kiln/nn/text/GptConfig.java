package dev.kiln.nn.text;

/**
 * The shape of a small GPT (Radford et al. 2019, after nanoGPT's {@code GPTConfig}): vocabulary, context
 * length, model width, heads, layers, dropout. The MLP is 4× the width, as in GPT-2.
 */
public record GptConfig(int vocabSize, int contextLength, int dModel, int numHeads, int numLayers, double dropout) {
    public GptConfig {
        if (vocabSize < 2) throw new IllegalArgumentException("GptConfig vocabSize must be >= 2, got " + vocabSize);
        if (contextLength < 1) throw new IllegalArgumentException("GptConfig contextLength must be >= 1, got " + contextLength);
        if (numHeads < 1 || numLayers < 1) throw new IllegalArgumentException("GptConfig needs numHeads >= 1 and numLayers >= 1, got " + numHeads + " and " + numLayers);
        if (dModel < 1 || dModel % numHeads != 0) {
            throw new IllegalArgumentException("GptConfig dModel " + dModel + " must be a positive multiple of numHeads " + numHeads);
        }
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("GptConfig dropout must be in [0, 1), got " + dropout);
    }

    /** The character-level model: 4 layers, 4 heads, width 128, context 128, no dropout. */
    public static GptConfig small(int vocabSize) {
        return new GptConfig(vocabSize, 128, 128, 4, 4, 0);
    }

    public GptConfig withContextLength(int v) { return new GptConfig(vocabSize, v, dModel, numHeads, numLayers, dropout); }

    public GptConfig withDModel(int v) { return new GptConfig(vocabSize, contextLength, v, numHeads, numLayers, dropout); }

    public GptConfig withLayers(int layers, int heads) { return new GptConfig(vocabSize, contextLength, dModel, heads, layers, dropout); }

    public GptConfig withDropout(double v) { return new GptConfig(vocabSize, contextLength, dModel, numHeads, numLayers, v); }
}
