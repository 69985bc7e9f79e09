package dev.kiln.report;

import dev.kiln.data.InvalidDataException;
import dev.kiln.nn.History;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code history.csv} that {@code kiln train} and {@link History#toCsv()} write (an {@code epoch}
 * column, then one column per metric; an empty cell where an epoch lacks a metric) back into a {@link History}.
 * {@link dev.kiln.nn.callbacks.CsvLogger} files have the same layout and read the same way.
 */
public final class HistoryFile {
    private HistoryFile() {}

    /**
     * @throws InvalidDataException naming the file and line when the header does not start with {@code epoch},
     *     a row has the wrong number of cells, or a cell is not a number
     */
    public static History read(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv).stream().filter(l -> !l.isBlank()).toList();
        if (lines.isEmpty()) throw new InvalidDataException(csv + " is empty; expected a header 'epoch,loss,...' and one row per epoch");
        String[] header = lines.getFirst().split(",", -1);
        if (!header[0].strip().equals("epoch")) {
            throw new InvalidDataException(csv + ", line 1: expected a header starting with 'epoch' (as kiln train writes), got '" + lines.getFirst() + "'");
        }
        History history = new History();
        for (int i = 1; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",", -1);
            if (cells.length != header.length) {
                throw new InvalidDataException(csv + ", line " + (i + 1) + ": " + cells.length + " cells but the header has " + header.length);
            }
            Map<String, Double> logs = new LinkedHashMap<>();
            for (int c = 1; c < cells.length; c++) {
                String cell = cells[c].strip();
                if (cell.isEmpty()) continue;
                try {
                    logs.put(header[c].strip(), Double.parseDouble(cell));
                } catch (NumberFormatException e) {
                    throw new InvalidDataException(csv + ", line " + (i + 1) + ", column " + header[c].strip() + ": '" + cell + "' is not a number");
                }
            }
            history.add(logs);
        }
        return history;
    }
}
