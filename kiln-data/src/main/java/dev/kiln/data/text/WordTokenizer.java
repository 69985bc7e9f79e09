package dev.kiln.data.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A word-level tokeniser in the manner of Keras {@code TextVectorization} (output mode "int"): text is
 * standardised (lower-cased, punctuation stripped), split on whitespace, and each word mapped to its
 * index in a vocabulary of the most frequent words seen by {@link #fit}. Index 0 is padding, index 1 the
 * out-of-vocabulary token (Keras's {@code "[UNK]"}), then words by falling frequency, ties broken by
 * first appearance so a fit is deterministic.
 *
 * <p>Immutable, thread-safe. Saved and restored with {@link #toJson()} / {@link Tokenizers#fromJson}.
 */
public final class WordTokenizer implements Tokenizer {
    static final String TYPE = "word";

    /** What happens to punctuation before splitting. */
    public enum Punctuation {
        /** Remove it ({@code "don't!"} → {@code "dont"}): Keras's default {@code lower_and_strip_punctuation}. */
        STRIP,
        /** Make each punctuation character its own token ({@code "hi!"} → {@code "hi", "!"}). */
        SPLIT,
        /** Leave it attached to the words ({@code "hi!"} stays {@code "hi!"}). */
        KEEP
    }

    /**
     * How to standardise text and how large the vocabulary may grow.
     *
     * @param maxTokens   the vocabulary size cap, padding and out-of-vocabulary included (as Keras's
     *                    {@code max_tokens}); at least 2
     * @param lowercase   whether to lower-case (in the root locale, so "I" is "i" on every machine)
     * @param punctuation what to do with punctuation: ASCII punctuation as Python's
     *                    {@code string.punctuation} plus Unicode punctuation (curly quotes, dashes)
     * @param oovToken    the text that stands for unknown words in {@link #decode} and {@link #vocabulary()}
     */
    public record Config(int maxTokens, boolean lowercase, Punctuation punctuation, String oovToken) {
        public Config {
            if (maxTokens < 2) {
                throw new IllegalArgumentException("maxTokens must be at least 2 (padding and the out-of-vocabulary token), got "
                        + maxTokens + "; use e.g. 10000, or Integer.MAX_VALUE for no cap");
            }
            Objects.requireNonNull(punctuation, "punctuation");
            if (oovToken == null || oovToken.isBlank()) {
                throw new IllegalArgumentException("oovToken must be non-blank text such as \"[UNK]\", got " + (oovToken == null ? "null" : "'" + oovToken + "'"));
            }
        }

        /** Keras's defaults with a vocabulary cap: lower-case, strip punctuation, {@code "[UNK]"}. */
        public static Config of(int maxTokens) {
            return new Config(maxTokens, true, Punctuation.STRIP, "[UNK]");
        }

        public Config withMaxTokens(int maxTokens) {
            return new Config(maxTokens, lowercase, punctuation, oovToken);
        }

        public Config withLowercase(boolean lowercase) {
            return new Config(maxTokens, lowercase, punctuation, oovToken);
        }

        public Config withPunctuation(Punctuation punctuation) {
            return new Config(maxTokens, lowercase, punctuation, oovToken);
        }

        public Config withOovToken(String oovToken) {
            return new Config(maxTokens, lowercase, punctuation, oovToken);
        }
    }

    /** The id every unknown word gets. */
    public static final int OOV = 1;

    private static final String ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private final Config config;
    private final List<String> words;            // index i holds the word of id i + 2
    private final Map<String, Integer> ids;

    private WordTokenizer(Config config, List<String> words) {
        this.config = config;
        this.words = List.copyOf(words);
        this.ids = new HashMap<>(words.size() * 2);
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.isEmpty() || w.codePoints().anyMatch(WordTokenizer::isWhiteSpace)) {
                throw new IllegalArgumentException("vocabulary word " + (i + 2) + " is '" + w + "'; words must be non-empty and hold no whitespace");
            }
            if (ids.put(w, i + 2) != null) {
                throw new IllegalArgumentException("vocabulary word '" + w + "' appears twice (ids " + ids.get(w) + " and " + (i + 2) + "); each word must appear once");
            }
        }
        if (words.size() + 2 > config.maxTokens()) {
            throw new IllegalArgumentException(words.size() + " words plus padding and out-of-vocabulary exceed maxTokens " + config.maxTokens());
        }
    }

    /** Fits a vocabulary on {@code texts}: the {@code maxTokens - 2} most frequent standardised words. */
    public static WordTokenizer fit(Iterable<String> texts, Config config) {
        Objects.requireNonNull(texts, "texts");
        Objects.requireNonNull(config, "config");
        Map<String, int[]> counts = new LinkedHashMap<>();   // insertion order = first appearance, for ties
        int index = 0;
        for (String text : texts) {
            if (text == null) throw new IllegalArgumentException("text " + index + " is null; give an empty string for an empty text");
            for (String w : split(text, config)) counts.computeIfAbsent(w, k -> new int[1])[0]++;
            index++;
        }
        List<Map.Entry<String, int[]>> entries = new ArrayList<>(counts.entrySet());
        entries.sort((a, b) -> Integer.compare(b.getValue()[0], a.getValue()[0]));   // stable: ties keep first appearance
        int keep = (int) Math.min(entries.size(), (long) config.maxTokens() - 2);
        List<String> words = new ArrayList<>(keep);
        for (int i = 0; i < keep; i++) words.add(entries.get(i).getKey());
        return new WordTokenizer(config, words);
    }

    /** A tokeniser over a given vocabulary (ids 2, 3, ... in order), e.g. one built elsewhere. */
    public static WordTokenizer of(List<String> vocabulary, Config config) {
        return new WordTokenizer(Objects.requireNonNull(config, "config"), Objects.requireNonNull(vocabulary, "vocabulary"));
    }

    /** The standardised words of {@code text}, in order, before the vocabulary lookup. */
    public List<String> standardize(String text) {
        return split(Objects.requireNonNull(text, "text"), config);
    }

    /*
     * One pass over the code points rather than regex replace-then-split: the same result (punctuation is
     * ASCII punctuation or Unicode category P, whitespace is Unicode White_Space) about ten times faster,
     * which matters when fitting on thousands of e-mails.
     */
    private static List<String> split(String text, Config config) {
        String s = config.lowercase() ? text.toLowerCase(Locale.ROOT) : text;
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (isWhiteSpace(cp)) {
                flush(word, out);
            } else if (config.punctuation() != Punctuation.KEEP && isPunctuation(cp)) {
                if (config.punctuation() == Punctuation.SPLIT) {
                    flush(word, out);
                    out.add(Character.toString(cp));
                }
            } else {
                word.appendCodePoint(cp);
            }
        }
        flush(word, out);
        return out;
    }

    private static void flush(StringBuilder word, List<String> out) {
        if (!word.isEmpty()) {
            out.add(word.toString());
            word.setLength(0);
        }
    }

    /** Python's {@code string.punctuation} (what Keras strips) or any Unicode punctuation (curly quotes, dashes). */
    static boolean isPunctuation(int cp) {
        if (cp < 128) return ASCII_PUNCTUATION.indexOf(cp) >= 0;
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** Unicode's White_Space property (which, unlike {@link Character#isWhitespace}, includes no-break spaces). */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    @Override
    public int[] encode(String text) {
        List<String> ws = standardize(text);
        int[] out = new int[ws.size()];
        for (int i = 0; i < out.length; i++) out[i] = ids.getOrDefault(ws.get(i), OOV);
        return out;
    }

    /** The words of {@code ids} joined by single spaces, unknown ones as the OOV token; padding skipped. */
    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            Json.checkId(ids[i], i, vocabularySize());
            if (ids[i] == PAD) continue;
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(ids[i] == OOV ? config.oovToken() : words.get(ids[i] - 2));
        }
        return sb.toString();
    }

    @Override
    public int vocabularySize() {
        return words.size() + 2;
    }

    @Override
    public int oovId() {
        return OOV;
    }

    public Config config() {
        return config;
    }

    /** Keras's {@code get_vocabulary()}: {@code ""} (padding), the OOV token, then the words by id. */
    public List<String> vocabulary() {
        List<String> v = new ArrayList<>(words.size() + 2);
        v.add("");
        v.add(config.oovToken());
        v.addAll(words);
        return v;
    }

    @Override
    public String toJson() {
        ObjectNode o = Json.header(TYPE);
        o.put("max_tokens", config.maxTokens());
        o.put("lowercase", config.lowercase());
        o.put("punctuation", config.punctuation().name());
        o.put("oov_token", config.oovToken());
        ArrayNode v = o.putArray("words");
        for (String w : words) v.add(w);
        return Json.write(o);
    }

    static WordTokenizer fromJson(JsonNode o) {
        int maxTokens = Json.intField(o, "max_tokens", TYPE);
        String p = Json.textField(o, "punctuation", TYPE);
        Punctuation punctuation;
        try {
            punctuation = Punctuation.valueOf(p);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("word tokeniser JSON field 'punctuation' is '" + p + "'; expected one of STRIP, SPLIT, KEEP");
        }
        Config config = new Config(maxTokens, Json.boolField(o, "lowercase", TYPE), punctuation,
                Json.textField(o, "oov_token", TYPE));
        List<String> words = new ArrayList<>();
        for (JsonNode w : Json.arrayField(o, "words", TYPE)) {
            if (!w.isTextual()) throw new IllegalArgumentException("word tokeniser JSON 'words' should hold strings, found " + w);
            words.add(w.textValue());
        }
        return new WordTokenizer(config, words);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WordTokenizer t && config.equals(t.config) && words.equals(t.words);
    }

    @Override
    public int hashCode() {
        return config.hashCode() * 31 + words.hashCode();
    }

    @Override
    public String toString() {
        return "WordTokenizer(" + vocabularySize() + " tokens, " + config + ")";
    }
}
