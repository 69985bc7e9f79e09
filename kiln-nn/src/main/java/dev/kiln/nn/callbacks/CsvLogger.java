package dev.kiln.nn.callbacks;

import dev.kiln.nn.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes one CSV row per epoch, like Keras's {@code keras.callbacks.CSVLogger}: a header
 * {@code epoch,loss,accuracy,lr,val_loss,...} taken from the first epoch's log keys (in the loop's order,
 * where Keras sorts them), then one row per epoch.
 *
 * <p>Two deliberate differences from Keras: {@code epoch} is 1-based, matching {@code History.toCsv()} and
 * the progress output (Keras writes the 0-based index); and values are written with {@link Double#toString}
 * (the shortest text that parses back to the same double, {@code NaN} for NaN), so the file holds exactly
 * the values in {@code History}.
 *
 * <p><b>Crash safety.</b> After every epoch the whole file is rewritten through {@link AtomicFiles}, so a
 * crash or kill at any moment leaves either the previous complete file or the new one, never a half row.
 * Rewriting costs O(epochs) per epoch, negligible next to an epoch of training.
 *
 * <p><b>Appending.</b> With {@code append = true} and a non-empty file, the existing rows are kept, the
 * existing header is reused and epoch numbers continue from the file's last row, so a resumed run's log
 * reads 1..N without repeats. The new run must log the same columns; otherwise the first epoch fails with
 * a message naming both column lists. With {@code append = false} the file is replaced when the first epoch ends.
 *
 * <p>Single-threaded, like every callback.
 */
public final class CsvLogger implements Callback {
    private final Path file;
    private final boolean append;
    private final StringBuilder content = new StringBuilder();
    private List<String> columns;     // log keys after "epoch", fixed by the header
    private int epochOffset;          // epochs already in the file when appending

    /**
     * @param file   the CSV file; its directory must exist
     * @param append keep an existing file's rows and continue it, instead of replacing it
     */
    public CsvLogger(Path file, boolean append) {
        if (file == null) throw new IllegalArgumentException("CsvLogger needs a file path, got null");
        this.file = file;
        this.append = append;
    }

    /** Replaces {@code file} (Keras's default {@code append=False}). */
    public CsvLogger(Path file) {
        this(file, false);
    }

    public Path file() {
        return file;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        content.setLength(0);
        columns = null;
        epochOffset = 0;
        if (!append || !Files.exists(file)) return;
        try {
            String existing = Files.readString(file);
            List<String> lines = existing.lines().filter(l -> !l.isBlank()).toList();
            if (lines.isEmpty()) return;
            List<String> header = Arrays.asList(lines.getFirst().split(",", -1));
            if (!header.getFirst().equals("epoch")) {
                throw new IllegalStateException("cannot append to " + file + ": its first line '" + lines.getFirst()
                        + "' is not a CsvLogger header starting with 'epoch'; choose another file or append=false");
            }
            columns = List.copyOf(header.subList(1, header.size()));
            for (String line : lines) content.append(line).append('\n');
            epochOffset = lastEpoch(lines);
        } catch (IOException e) {
            throw new UncheckedIOException("CsvLogger could not read " + file + " to append to it: " + e.getMessage(), e);
        }
    }

    private static int lastEpoch(List<String> lines) {
        if (lines.size() < 2) return 0;
        String last = lines.getLast();
        int comma = last.indexOf(',');
        try {
            return Integer.parseInt(comma < 0 ? last : last.substring(0, comma));
        } catch (NumberFormatException e) {
            return lines.size() - 1;   // not one of ours; count rows instead
        }
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        if (columns == null) {
            columns = List.copyOf(logs.keySet());
            content.append("epoch");
            for (String k : columns) content.append(',').append(k);
            content.append('\n');
        } else if (!columns.containsAll(logs.keySet()) || !logs.keySet().containsAll(columns)) {
            throw new IllegalStateException("CsvLogger: " + file + " has the columns " + columns + " but this epoch logs " + logs.keySet()
                    + "; every row must have the header's columns: log to a new file or use append=false");
        }
        content.append(epochOffset + epoch + 1);
        for (String k : columns) content.append(',').append(Double.toString(logs.get(k)));
        content.append('\n');
        try {
            AtomicFiles.writeString(file, content.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("CsvLogger could not write " + file + ": " + e.getMessage()
                    + "; check that the directory exists and is writable", e);
        }
    }
}
