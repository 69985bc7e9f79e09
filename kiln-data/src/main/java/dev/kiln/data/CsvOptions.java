package dev.kiln.data;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How {@link Csv} reads a table.
 *
 * @param delimiter      the field separator, e.g. {@code ','} or {@code ';'} or {@code '\t'}; fields may be
 *                       quoted with {@code "} (a doubled {@code ""} is one quote inside)
 * @param labelColumn    the header name of the class column
 * @param featureColumns the header names of the feature columns, in the order wanted; empty means every
 *                       column except the label column, in file order
 * @param labels         how label cells become class indices
 */
public record CsvOptions(char delimiter, String labelColumn, List<String> featureColumns, Labels labels) {

    /** How label cells become class indices {@code 0..C-1}. */
    public enum Labels {
        /**
         * {@link #IDS} if every label cell is a non-negative integer, else {@link #SORTED}. Sorted rather than
         * first-appearance order, so that a shuffled copy of the same file maps classes the same way.
         */
        AUTO,
        /** Cells are class indices; there are {@code max + 1} classes, named {@code "0"}, {@code "1"}, …. */
        IDS,
        /** Distinct strings numbered in the order they first appear in the file. */
        FIRST_APPEARANCE,
        /** Distinct strings numbered in sorted ({@link String#compareTo}) order. */
        SORTED
    }

    public CsvOptions {
        Objects.requireNonNull(labelColumn, "labelColumn");
        Objects.requireNonNull(featureColumns, "featureColumns");
        Objects.requireNonNull(labels, "labels");
        if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
            throw new IllegalArgumentException("the CSV delimiter cannot be a quote or a line break, got "
                    + (delimiter == '"' ? "'\"'" : "a line break") + "; use ',', ';' or '\\t'");
        }
        if (labelColumn.isBlank()) throw new IllegalArgumentException("label column name is blank; name the header of the class column");
        featureColumns = List.copyOf(featureColumns);
        Set<String> seen = new HashSet<>();
        for (String c : featureColumns) {
            if (!seen.add(c)) throw new IllegalArgumentException("feature column \"" + c + "\" is listed twice");
            if (c.equals(labelColumn)) {
                throw new IllegalArgumentException("\"" + c + "\" is both the label column and a feature column; a label must not be a feature");
            }
        }
    }

    /** Comma-separated, every other column a feature, labels {@link Labels#AUTO}. */
    public static CsvOptions of(String labelColumn) {
        return new CsvOptions(',', labelColumn, List.of(), Labels.AUTO);
    }

    public CsvOptions withDelimiter(char delimiter) {
        return new CsvOptions(delimiter, labelColumn, featureColumns, labels);
    }

    public CsvOptions withFeatureColumns(List<String> featureColumns) {
        return new CsvOptions(delimiter, labelColumn, featureColumns, labels);
    }

    public CsvOptions withLabels(Labels labels) {
        return new CsvOptions(delimiter, labelColumn, featureColumns, labels);
    }
}
