package dev.kiln.data.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A character-level tokeniser (Karpathy's char-rnn, nanoGPT's Shakespeare-char): one id per Unicode code
 * point seen in the corpus, so an emoji or an accented letter is one token, never half a surrogate pair.
 * Id 0 is padding, id 1 the out-of-vocabulary character (decoded as U+FFFD), then the corpus's code points
 * in ascending order, so the same corpus always gives the same ids.
 *
 * <p>Immutable, thread-safe. Saved and restored with {@link #toJson()} / {@link Tokenizers#fromJson}.
 */
public final class CharTokenizer implements Tokenizer {
    static final String TYPE = "char";

    /** The id of a character the corpus did not have. */
    public static final int OOV = 1;
    /** What {@link #decode} writes for {@link #OOV}. */
    public static final int REPLACEMENT = 0xFFFD;

    private final int[] codePoints;                 // id i + 2 is codePoints[i], ascending
    private final Map<Integer, Integer> ids;

    private CharTokenizer(int[] codePoints) {
        this.codePoints = codePoints;
        this.ids = new HashMap<>(codePoints.length * 2);
        for (int i = 0; i < codePoints.length; i++) {
            int c = codePoints[i];
            if (!Character.isValidCodePoint(c) || (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE)) {
                throw new IllegalArgumentException("character " + (i + 2) + " is " + c + ", which is not a Unicode scalar value");
            }
            if (i > 0 && codePoints[i - 1] >= c) {
                throw new IllegalArgumentException("characters must be distinct and ascending, but U+" + Integer.toHexString(c).toUpperCase()
                        + " follows U+" + Integer.toHexString(codePoints[i - 1]).toUpperCase());
            }
            ids.put(c, i + 2);
        }
    }

    /** The code points of {@code corpus} become the vocabulary. An empty corpus gives a tokeniser that knows nothing. */
    public static CharTokenizer fit(String corpus) {
        Objects.requireNonNull(corpus, "corpus");
        // Lone surrogates are not characters; they would encode as OOV anyway, so keep them out.
        int[] cps = corpus.codePoints().filter(c -> c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE)
                .distinct().sorted().toArray();
        return new CharTokenizer(cps);
    }

    /** A tokeniser over exactly the characters of {@code alphabet} (duplicates ignored). */
    public static CharTokenizer of(String alphabet) {
        return fit(alphabet);
    }

    @Override
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        return text.codePoints().map(c -> ids.getOrDefault(c, OOV)).toArray();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (int i = 0; i < ids.length; i++) {
            Json.checkId(ids[i], i, vocabularySize());
            if (ids[i] == PAD) continue;
            sb.appendCodePoint(ids[i] == OOV ? REPLACEMENT : codePoints[ids[i] - 2]);
        }
        return sb.toString();
    }

    @Override
    public int vocabularySize() {
        return codePoints.length + 2;
    }

    @Override
    public int oovId() {
        return OOV;
    }

    /** The known characters in id order (ids 2, 3, ...). */
    public String alphabet() {
        return new String(codePoints, 0, codePoints.length);
    }

    @Override
    public String toJson() {
        ObjectNode o = Json.header(TYPE);
        o.put("alphabet", alphabet());   // JSON strings carry any scalar value, so one string is the whole vocabulary
        return Json.write(o);
    }

    static CharTokenizer fromJson(JsonNode o) {
        String alphabet = Json.textField(o, "alphabet", TYPE);
        int[] cps = alphabet.codePoints().toArray();
        return new CharTokenizer(cps);   // checks ascending and distinct: a hand-edited file is refused, not reordered
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CharTokenizer t && Arrays.equals(codePoints, t.codePoints);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(codePoints);
    }

    @Override
    public String toString() {
        return "CharTokenizer(" + vocabularySize() + " tokens)";
    }
}
