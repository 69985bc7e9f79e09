package dev.kiln.cli;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.LayerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a {@link TrainConfig} from YAML. Every mistake (a YAML syntax error, an unknown key or layer type, a
 * value out of range) becomes one message naming the file, the line, the key path ({@code model.layers[1]})
 * and the valid choices.
 *
 * <p>Binding goes straight from the YAML parser, not through a tree, so Jackson's errors carry the line.
 * Stateless and thread-safe.
 */
final class ConfigReader {
    private static final ObjectMapper YAML = JsonMapper.builder(new YAMLFactory())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ConfigReader() {}

    static TrainConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        String text = Files.readString(file);
        return parse(text, file.toString());
    }

    /** Parses YAML text; {@code source} names it in messages. */
    static TrainConfig parse(String text, String source) {
        JsonNode tree;
        Map<String, Integer> lines;
        try {
            tree = YAML.readTree(text);
            lines = keyLines(text);
        } catch (JsonProcessingException e) {
            throw new CliException(source + describe(e, null, Map.of()), e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading YAML from a string cannot fail", e);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            throw new CliException(source + ": the config is empty; see examples/fashion-mnist-mlp.yaml for every key");
        }
        try {
            return withKerasDefaults(YAML.readValue(text, TrainConfig.class), tree);
        } catch (JsonProcessingException e) {
            throw new CliException(source + describe(e, tree, lines), e);
        }
    }

    /**
     * A boolean left out of a YAML layer binds as false, but Keras's defaults for the ones layers have are
     * true ({@code use_bias}); the model file always writes every key, so only YAML needs this.
     */
    private static TrainConfig withKerasDefaults(TrainConfig config, JsonNode tree) {
        JsonNode layerNodes = tree.path("model").path("layers");
        List<LayerConfig> layers = new ArrayList<>(config.model().layers());
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i) instanceof Dense.Config d && !layerNodes.path(i).has("use_bias")) layers.set(i, d.withUseBias(true));
        }
        return config.withModel(new TrainConfig.ModelSpec(config.model().inputShape(), layers));
    }

    /**
     * {@code :<line>: <key path>: <what is wrong>}, to follow the file name. The line comes from
     * {@code lines} where the path is known: Jackson reports some errors only once the enclosing mapping has
     * ended, with the location of its end.
     */
    private static String describe(JsonProcessingException e, JsonNode tree, Map<String, Integer> lines) {
        if (e.getCause() instanceof MarkedYAMLException y) return yamlSyntax(y);
        JsonLocation at = e.getLocation();
        int line = at == null ? -1 : at.getLineNr();
        String path = e instanceof JsonMappingException m ? path(m) : "";
        String where = path;
        String message;
        if (e instanceof UnrecognizedPropertyException u) {
            where = parentPath(path);   // the path ends with the unknown key itself
            message = "unknown key '" + u.getPropertyName() + "'; valid keys here: " + String.join(", ", keysOf(YAML.constructType(u.getReferringClass())));
        } else if (e instanceof InvalidTypeIdException t) {
            Class<?> base = t.getBaseType() == null ? null : t.getBaseType().getRawClass();
            String what = base == LayerConfig.class ? "layer type" : base == TrainConfig.CallbackSpec.class ? "callback type" : "type";
            String valid = base == null ? "" : "; valid types: " + typeNames(base);
            message = (t.getTypeId() == null ? "missing 'type' (the " + what + ")" : "unknown " + what + " '" + t.getTypeId() + "'") + valid;
        } else if (e instanceof InvalidFormatException f) {
            message = "expected " + article(f.getTargetType().getSimpleName()) + " but got '" + f.getValue() + "'";
        } else if (e.getCause() instanceof IllegalArgumentException || e.getCause() instanceof IllegalStateException) {
            message = e.getCause().getMessage();
        } else {
            String msg = e.getOriginalMessage();
            if (msg != null && msg.startsWith("Duplicate field")) msg = "duplicate key" + msg.substring("Duplicate field".length()) + "; each key may appear once";
            int nl = msg == null ? -1 : msg.indexOf('\n');
            message = nl < 0 ? msg : msg.substring(0, nl).trim();
        }
        if (e instanceof ValueInstantiationException v && tree != null) {
            // Jackson builds a record before it reports the keys it did not use, so a misspelt key shows up as
            // the constructor's complaint about the value it left out ("units must be >= 1"): name the key instead.
            String unknown = unknownKey(at(tree, v), v.getType());
            if (unknown != null) {
                message = "unknown key '" + unknown + "'; valid keys here: " + String.join(", ", keysOf(v.getType()));
                path = path.isEmpty() ? unknown : path + "." + unknown;
            }
        }
        line = lines.getOrDefault(path, line);
        return (line < 1 ? "" : ":" + line) + ": " + (where.isEmpty() ? "" : where + ": ") + message;
    }

    /**
     * The line of every key and list item in a YAML document, by key path ({@code model.layers[1].units}),
     * read with the streaming parser, which knows where each token starts.
     */
    static Map<String, Integer> keyLines(String text) throws IOException {
        final class Frame {
            final boolean list;
            int index = -1;
            String key;

            Frame(boolean list) {
                this.list = list;
            }
        }
        Map<String, Integer> out = new HashMap<>();
        Deque<Frame> stack = new ArrayDeque<>();
        try (JsonParser p = YAML.createParser(text)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                Frame top = stack.peekLast();
                if (t == JsonToken.FIELD_NAME && top != null) {
                    top.key = p.currentName();
                } else if (top != null && top.list && t != JsonToken.END_ARRAY) {
                    top.index++;
                }
                if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                    stack.pollLast();
                    continue;
                }
                if (t == JsonToken.FIELD_NAME || top != null && top.list) {
                    StringBuilder path = new StringBuilder();
                    for (Frame f : stack) {
                        if (f.list) path.append('[').append(f.index).append(']');
                        else path.append(path.isEmpty() ? "" : ".").append(f.key);
                    }
                    out.putIfAbsent(path.toString(), p.currentTokenLocation().getLineNr());
                }
                if (t == JsonToken.START_OBJECT) stack.addLast(new Frame(false));
                if (t == JsonToken.START_ARRAY) stack.addLast(new Frame(true));
            }
        }
        return out;
    }

    /** A YAML syntax error: the problem and the line where it was found (and where the construct began). */
    private static String yamlSyntax(MarkedYAMLException y) {
        StringBuilder sb = new StringBuilder();
        if (y.getProblemMark() != null) sb.append(':').append(y.getProblemMark().getLine() + 1);
        sb.append(": YAML syntax: ").append(y.getProblem());
        if (y.getContext() != null && y.getContextMark() != null) {
            sb.append(" (").append(y.getContext()).append(" that starts on line ").append(y.getContextMark().getLine() + 1).append(')');
        }
        return sb.toString();
    }

    /** The YAML node a mapping error is about. */
    private static JsonNode at(JsonNode tree, JsonMappingException e) {
        JsonNode node = tree;
        for (JsonMappingException.Reference r : e.getPath()) {
            node = r.getFieldName() != null ? node.path(r.getFieldName()) : node.path(r.getIndex());
        }
        return node;
    }

    /** The first key of {@code node} that {@code type} does not have, or null. */
    private static String unknownKey(JsonNode node, JavaType type) {
        if (type == null || !node.isObject()) return null;
        List<String> known = keysOf(type);
        for (String key : (Iterable<String>) node::fieldNames) {
            if (!key.equals("type") && !known.contains(key)) return key;
        }
        return null;
    }

    /** The YAML keys of a config record, in declaration order. */
    static List<String> keysOf(Class<?> type) {
        return keysOf(YAML.constructType(type));
    }

    private static List<String> keysOf(JavaType type) {
        List<String> known = new ArrayList<>();
        for (BeanPropertyDefinition p : YAML.getDeserializationConfig().introspect(type).findProperties()) known.add(p.getName());
        return known;
    }

    /** The key path of a mapping error: {@code model.layers[1].units}. */
    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) sb.append(sb.isEmpty() ? "" : ".").append(r.getFieldName());
            else if (r.getIndex() >= 0) sb.append('[').append(r.getIndex()).append(']');
        }
        return sb.toString();
    }

    private static String parentPath(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? "" : path.substring(0, dot);
    }

    /** The {@code type} names a polymorphic config accepts, from its own annotation so they never drift. */
    static String typeNames(Class<?> base) {
        JsonSubTypes types = base.getAnnotation(JsonSubTypes.class);
        if (types == null) return "?";
        return Arrays.stream(types.value()).map(JsonSubTypes.Type::name).collect(Collectors.joining(", "));
    }

    private static String article(String type) {
        String t = switch (type) {
            case "Integer", "int", "Long", "long" -> "whole number";
            case "Double", "double", "Float", "float" -> "number";
            case "Boolean", "boolean" -> "true or false";
            case "String" -> "text";
            default -> type;
        };
        return t.startsWith("true") ? t : "a " + t;
    }
}
