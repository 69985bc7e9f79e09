package dev.kiln.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Reads a classification table from CSV: a header row, numeric feature columns and one label column
 * ({@link CsvOptions}). The result has sample shape {@code (F,)} for {@code F} feature columns.
 *
 * <p>Fields follow RFC 4180: a field may be quoted with {@code "}, and then hold delimiters, line breaks
 * and doubled quotes; unquoted fields are trimmed. Blank lines are skipped, a UTF-8 byte-order mark is
 * ignored. Bad cells (empty, not a number, a row with the wrong number of fields) do not stop the reading
 * at the first one: up to {@value #MAX_REPORTED} are reported together, each with its line number and
 * column name, so one run shows what to fix. Numbers are plain decimals ({@code -1.5e3}); {@code NaN},
 * {@code Inf} and {@code NA} are reported as problems, because a silent NaN poisons training.
 */
public final class Csv {
    private Csv() {}

    static final int MAX_REPORTED = 10;
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern CLASS_ID = Pattern.compile("\\+?\\d{1,9}");

    /** Reads a UTF-8 CSV file. */
    public static Dataset load(Path file, CsvOptions options) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in, file.toString(), options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CSV file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads CSV text from {@code reader} (not closed); {@code sourceName} names it in error messages.
     *
     * @throws InvalidDataException listing up to {@value #MAX_REPORTED} problems with line and column
     */
    public static Dataset read(Reader reader, String sourceName, CsvOptions options) {
        Objects.requireNonNull(reader, "reader");
        Objects.requireNonNull(options, "options");
        try {
            return parse(new Tokenizer(reader, options.delimiter(), sourceName), sourceName, options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CSV from " + sourceName + ": " + e.getMessage(), e);
        }
    }

    private static Dataset parse(Tokenizer tok, String name, CsvOptions options) throws IOException {
        List<String> header = tok.next();
        if (header == null) throw new InvalidDataException(name + " is empty; expected a header row naming the columns");
        if (!header.isEmpty() && header.getFirst().startsWith("\uFEFF")) header.set(0, header.getFirst().substring(1));
        Map<String, Integer> column = new LinkedHashMap<>();
        for (int i = 0; i < header.size(); i++) {
            if (column.putIfAbsent(header.get(i), i) != null) {
                throw new InvalidDataException(name + ", line " + tok.recordLine + ": column \"" + header.get(i)
                        + "\" appears twice in the header; column names must be unique");
            }
        }
        int labelCol = columnIndex(column, options.labelColumn(), name, "label");
        int[] featureCols;
        if (options.featureColumns().isEmpty()) {
            featureCols = column.values().stream().mapToInt(Integer::intValue).filter(i -> i != labelCol).toArray();
        } else {
            featureCols = options.featureColumns().stream().mapToInt(c -> columnIndex(column, c, name, "feature")).toArray();
        }
        if (featureCols.length == 0) {
            throw new InvalidDataException(name + " has no feature columns besides the label column \"" + options.labelColumn() + "\"");
        }

        Problems problems = new Problems(name);
        int f = featureCols.length;
        float[] x = new float[f * 64];
        float[] row = new float[f];
        List<String> labelCells = new ArrayList<>();
        List<Integer> labelLines = new ArrayList<>();
        for (List<String> rec; (rec = tok.next()) != null; ) {
            if (rec.size() == 1 && rec.getFirst().isEmpty()) continue;   // blank line
            int line = tok.recordLine;
            if (rec.size() != header.size()) {
                problems.add("line " + line + ": " + rec.size() + " fields, expected " + header.size() + " as in the header");
                continue;
            }
            boolean ok = true;
            for (int j = 0; j < f; j++) {
                String cell = rec.get(featureCols[j]);
                String why = numberProblem(cell);
                if (why == null) {
                    row[j] = Float.parseFloat(cell);
                    if (Float.isInfinite(row[j])) why = "\"" + cell + "\" is beyond the float range";
                }
                if (why != null) {
                    problems.add("line " + line + ", column \"" + header.get(featureCols[j]) + "\": " + why);
                    ok = false;
                }
            }
            String label = rec.get(labelCol);
            if (label.isEmpty()) {
                problems.add("line " + line + ", column \"" + header.get(labelCol) + "\": empty label");
                ok = false;
            }
            if (!ok) continue;
            int n = labelCells.size();
            if ((n + 1) * f > x.length) x = Arrays.copyOf(x, Math.multiplyExact(Math.max(x.length, f), 2));
            System.arraycopy(row, 0, x, n * f, f);
            labelCells.add(label);
            labelLines.add(line);
        }
        problems.throwIfAny();
        if (labelCells.isEmpty()) throw new InvalidDataException(name + " has a header but no data rows");
        x = Arrays.copyOf(x, labelCells.size() * f);
        return labelled(x, f, labelCells, labelLines, header.get(labelCol), options.labels(), problems);
    }

    private static int columnIndex(Map<String, Integer> column, String wanted, String name, String role) {
        Integer i = column.get(wanted);
        if (i == null) {
            throw new InvalidDataException(name + " has no " + role + " column \"" + wanted + "\"; its header has "
                    + String.join(", ", column.keySet().stream().map(c -> "\"" + c + "\"").toList()));
        }
        return i;
    }

    /** Why {@code cell} is not a finite decimal number, or null when it is one. */
    private static String numberProblem(String cell) {
        if (cell.isEmpty()) return "empty value";
        if (!NUMBER.matcher(cell).matches()) return "\"" + cell + "\" is not a number";
        return null;
    }

    private static Dataset labelled(float[] x, int f, List<String> cells, List<Integer> lines, String labelName,
                                    CsvOptions.Labels mode, Problems problems) {
        boolean allIds = cells.stream().allMatch(c -> CLASS_ID.matcher(c).matches());
        if (mode == CsvOptions.Labels.AUTO) mode = allIds ? CsvOptions.Labels.IDS : CsvOptions.Labels.SORTED;
        int[] y = new int[cells.size()];
        List<String> names;
        switch (mode) {
            case IDS -> {
                int max = 0;
                for (int i = 0; i < y.length; i++) {
                    String c = cells.get(i);
                    if (!CLASS_ID.matcher(c).matches()) {
                        problems.add("line " + lines.get(i) + ", column \"" + labelName + "\": \"" + c
                                + "\" is not a class index (a non-negative integer); use Labels.SORTED or FIRST_APPEARANCE for names");
                        continue;
                    }
                    y[i] = Integer.parseInt(c);
                    max = Math.max(max, y[i]);
                }
                problems.throwIfAny();
                names = new ArrayList<>();
                for (int k = 0; k <= max; k++) names.add(Integer.toString(k));
            }
            case FIRST_APPEARANCE, SORTED -> {
                List<String> order = List.copyOf(mode == CsvOptions.Labels.SORTED ? new TreeSet<>(cells) : new LinkedHashSet<>(cells));
                Map<String, Integer> index = new HashMap<>();
                for (int k = 0; k < order.size(); k++) index.put(order.get(k), k);
                for (int i = 0; i < y.length; i++) y[i] = index.get(cells.get(i));
                names = order;
            }
            default -> throw new AssertionError(mode);
        }
        return new Dataset(x, new int[] {f}, y, names);
    }

    /** The first few problems and a count of all, thrown together so one run shows what to fix. */
    private static final class Problems {
        private final String source;
        private final List<String> shown = new ArrayList<>();
        private int total;

        Problems(String source) {
            this.source = source;
        }

        void add(String problem) {
            if (total++ < MAX_REPORTED) shown.add(problem);
        }

        void throwIfAny() {
            if (total == 0) return;
            StringBuilder sb = new StringBuilder(source).append(": ").append(total)
                    .append(total == 1 ? " problem" : " problems").append(" in the CSV data");
            if (total > shown.size()) sb.append(" (the first ").append(shown.size()).append(" shown)");
            sb.append(":\n");
            for (String p : shown) sb.append("  ").append(p).append('\n');
            sb.append("Every feature cell must be a finite number and every label non-empty; fix or drop these rows.");
            throw new InvalidDataException(sb.toString());
        }
    }

    /** Splits CSV text into records of fields, tracking the line each record starts on. */
    private static final class Tokenizer {
        private final Reader in;
        private final char delimiter;
        private final String name;
        private int line = 1;
        private int pushedBack = -2;   // -2: none
        int recordLine;

        Tokenizer(Reader in, char delimiter, String name) {
            this.in = in instanceof BufferedReader ? in : new BufferedReader(in);
            this.delimiter = delimiter;
            this.name = name;
        }

        private int read() throws IOException {
            if (pushedBack != -2) {
                int c = pushedBack;
                pushedBack = -2;
                return c;
            }
            return in.read();
        }

        /** Consumes a line break starting with {@code c} ({@code \n}, {@code \r} or {@code \r\n}). */
        private void endLine(int c) throws IOException {
            if (c == '\r') {
                int d = read();
                if (d != '\n') pushedBack = d;
            }
            line++;
        }

        /** The next record's fields, or null at the end of the input. */
        List<String> next() throws IOException {
            int c = read();
            if (c == -1) return null;
            recordLine = line;
            List<String> fields = new ArrayList<>();
            StringBuilder sb = new StringBuilder();
            boolean quoted = false;   // the current field was quoted: keep its spaces
            while (true) {
                if (c == -1 || c == '\n' || c == '\r' || c == delimiter) {
                    fields.add(quoted ? sb.toString() : sb.toString().strip());
                    sb.setLength(0);
                    quoted = false;
                    if (c == -1) return fields;
                    if (c != delimiter) {
                        endLine(c);
                        return fields;
                    }
                } else if (c == '"' && !quoted && sb.toString().isBlank()) {
                    quoted = true;
                    sb.setLength(0);
                    readQuoted(sb);
                } else if (!(quoted && Character.isWhitespace(c))) {
                    sb.append((char) c);   // text after a closing quote is kept, as most readers do
                }
                c = read();
            }
        }

        /** Reads a quoted field's content up to and including its closing quote. */
        private void readQuoted(StringBuilder sb) throws IOException {
            int opened = line;
            while (true) {
                int c = read();
                if (c == -1) {
                    throw new InvalidDataException(name + ": the quote opened on line " + opened
                            + " is never closed; add the closing \" (write a quote inside a field as \"\")");
                }
                if (c == '"') {
                    int d = read();
                    if (d != '"') {
                        pushedBack = d;
                        return;
                    }
                    sb.append('"');
                } else {
                    sb.append((char) c);
                    if (c == '\r') pushedBack = read();   // peek: \r\n counts as one line break
                    if (c == '\n' || (c == '\r' && pushedBack != '\n')) line++;
                }
            }
        }
    }
}
