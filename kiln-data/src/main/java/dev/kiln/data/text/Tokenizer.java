package dev.kiln.data.text;

/**
 * Turns text into token ids and back. Every tokeniser reserves id {@value #PAD} for padding (what
 * {@link Sequences#padSequences} fills with and what an {@code Embedding(maskZero)} ignores), so real
 * tokens start at 1.
 *
 * <p>Implementations are immutable once fitted or trained, hence safe to share between threads. They are
 * made by their own {@code fit}/{@code train} factories and saved as JSON with {@link #toJson()}; {@link
 * Tokenizers#fromJson} recreates any of them from that JSON alone (a closed set of types, no class names,
 * no code), which is how a tokeniser travels inside a model file's metadata.
 *
 * <p>Input hygiene: {@code encode} accepts any string of any length (the empty string gives an empty
 * array, never an error); cutting to a model's length is the job of {@link Sequences#padSequences}.
 * {@code decode} accepts any ids within {@code [0, vocabularySize())}, skips padding, and rejects
 * others with an error naming the position.
 */
public sealed interface Tokenizer permits WordTokenizer, CharTokenizer, BpeTokenizer {
    /** The padding id, the same for every tokeniser. */
    int PAD = 0;

    /** What {@link #oovId()} returns for a tokeniser that can encode every string (byte-level BPE). */
    int NONE = -1;

    /** The token ids of {@code text}, none of them {@link #PAD}; empty for an empty text. */
    int[] encode(String text);

    /** The text of {@code ids}; {@link #PAD} ids are skipped. */
    String decode(int[] ids);

    /** Number of ids, padding and out-of-vocabulary included: every id is in {@code [0, vocabularySize())}. */
    int vocabularySize();

    /** Always {@link #PAD} (0). */
    default int padId() {
        return PAD;
    }

    /** The id unknown words or characters get, or {@link #NONE} when nothing can be unknown. */
    int oovId();

    /** A self-contained JSON description that {@link Tokenizers#fromJson} turns back into an equal tokeniser. */
    String toJson();
}
