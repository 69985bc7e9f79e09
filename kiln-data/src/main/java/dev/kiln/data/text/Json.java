package dev.kiln.data.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON plumbing the tokenisers share: a plain tree mapper (never polymorphic typing, so reading a
 * tokeniser cannot instantiate arbitrary classes) and field readers whose errors say which field of which
 * tokeniser is wrong.
 */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
    /** Bumped when a tokeniser's JSON changes incompatibly; readers refuse newer versions. */
    static final int VERSION = 1;

    private Json() {}

    static ObjectNode header(String type) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("type", type);
        o.put("version", VERSION);
        return o;
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write tokeniser JSON: " + e.getMessage(), e);
        }
    }

    static JsonNode field(JsonNode o, String name, String type) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(type + " tokeniser JSON lacks the field '" + name
                    + "'; was it written by Tokenizer.toJson() and stored whole?");
        }
        return v;
    }

    static int intField(JsonNode o, String name, String type) {
        JsonNode v = field(o, name, type);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(type + " tokeniser JSON field '" + name + "' should be an integer, got " + v);
        }
        return v.intValue();
    }

    static boolean boolField(JsonNode o, String name, String type) {
        JsonNode v = field(o, name, type);
        if (!v.isBoolean()) throw new IllegalArgumentException(type + " tokeniser JSON field '" + name + "' should be true or false, got " + v);
        return v.booleanValue();
    }

    static String textField(JsonNode o, String name, String type) {
        JsonNode v = field(o, name, type);
        if (!v.isTextual()) throw new IllegalArgumentException(type + " tokeniser JSON field '" + name + "' should be a string, got " + v);
        return v.textValue();
    }

    static JsonNode arrayField(JsonNode o, String name, String type) {
        JsonNode v = field(o, name, type);
        if (!v.isArray()) throw new IllegalArgumentException(type + " tokeniser JSON field '" + name + "' should be an array, got " + v.getNodeType());
        return v;
    }

    /** Checks an id handed to {@code decode}; shared so all tokenisers word the error alike. */
    static void checkId(int id, int position, int vocabularySize) {
        if (id < 0 || id >= vocabularySize) {
            throw new IllegalArgumentException("token id " + id + " at position " + position + " is outside the vocabulary [0, "
                    + vocabularySize + "); was it produced by a different tokeniser, or by a model with a larger output?");
        }
    }
}
