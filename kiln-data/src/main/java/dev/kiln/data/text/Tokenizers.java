package dev.kiln.data.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * Recreates a tokeniser from the JSON its {@link Tokenizer#toJson()} wrote, e.g. read back from a model
 * file's metadata. The JSON names one of a closed set of types ({@code "word"}, {@code "char"},
 * {@code "bpe"}) and holds only data; no class name is read and no code runs, so a hostile file can at
 * worst be refused.
 */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * @throws IllegalArgumentException naming what is wrong when the JSON is malformed, of an unknown type,
     *                                  of a newer version, or inconsistent (e.g. a damaged merge list)
     */
    public static Tokenizer fromJson(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode o;
        try {
            o = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tokeniser JSON is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (o == null || !o.isObject()) {
            throw new IllegalArgumentException("tokeniser JSON should be an object like {\"type\": \"word\", ...}, got "
                    + (o == null ? "nothing" : o.getNodeType()));
        }
        String type = Json.textField(o, "type", "a");
        int version = Json.intField(o, "version", type);
        if (version < 1 || version > Json.VERSION) {
            throw new IllegalArgumentException(type + " tokeniser JSON has version " + version + "; this Kiln reads versions 1 to "
                    + Json.VERSION + (version > Json.VERSION ? " (it was written by a newer Kiln: upgrade Kiln)" : ""));
        }
        return switch (type) {
            case WordTokenizer.TYPE -> WordTokenizer.fromJson(o);
            case CharTokenizer.TYPE -> CharTokenizer.fromJson(o);
            case BpeTokenizer.TYPE -> BpeTokenizer.fromJson(o);
            default -> throw new IllegalArgumentException("tokeniser JSON has type '" + type + "'; expected one of '"
                    + WordTokenizer.TYPE + "', '" + CharTokenizer.TYPE + "', '" + BpeTokenizer.TYPE + "'");
        };
    }
}
