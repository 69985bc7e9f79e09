package dev.kiln.nn.callbacks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.data.Dataset;
import dev.kiln.nn.History;
import dev.kiln.nn.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvLoggerTest {
    @TempDir Path dir;

    private final Dataset data = TinyRun.separable(64, 1);
    private final Dataset val = TinyRun.separable(32, 2);

    @Test
    void writesAHeaderAndOneRowPerEpochWithTheHistoryValues() throws IOException {
        Path csv = dir.resolve("log.csv");
        History h = TinyRun.model(0.05).fit(data, TinyRun.options(4).withValidationData(val), new CsvLogger(csv, false));

        List<String> lines = Files.readAllLines(csv);
        assertThat(lines).hasSize(5);
        assertThat(lines.getFirst()).isEqualTo("epoch,loss,accuracy,lr,val_loss,val_accuracy");
        List<String> keys = List.of("loss", "accuracy", "lr", "val_loss", "val_accuracy");
        for (int e = 0; e < 4; e++) {
            String[] cells = lines.get(e + 1).split(",");
            assertThat(cells).hasSize(6);
            assertThat(cells[0]).isEqualTo(Integer.toString(e + 1));
            for (int k = 0; k < keys.size(); k++) {
                assertThat(Double.parseDouble(cells[k + 1])).as("epoch %d %s", e + 1, keys.get(k)).isEqualTo(h.get(keys.get(k))[e]);
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).as("no temporary files are left behind").containsExactly(csv);
        }
    }

    @Test
    void eachEpochIsOnDiskBeforeTheNextBegins() throws IOException {
        Path csv = dir.resolve("log.csv");
        List<Integer> linesSeen = new java.util.ArrayList<>();
        Callback probe = new Callback() {
            @Override
            public void onEpochBegin(int epoch, TrainingState state) {
                try {
                    linesSeen.add(Files.exists(csv) ? Files.readAllLines(csv).size() : 0);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        TinyRun.model(0.05).fit(data, TinyRun.options(3), new CsvLogger(csv), probe);
        assertThat(linesSeen).containsExactly(0, 2, 3);
    }

    @Test
    void appendContinuesTheFileAndItsEpochNumbers() throws IOException {
        Path csv = dir.resolve("log.csv");
        Model model = TinyRun.model(0.05);
        model.fit(data, TinyRun.options(3), new CsvLogger(csv, true));
        History second = model.fit(data, TinyRun.options(2), new CsvLogger(csv, true));

        List<String> lines = Files.readAllLines(csv);
        assertThat(lines).hasSize(6);
        assertThat(lines.getFirst()).isEqualTo("epoch,loss,accuracy,lr");
        assertThat(lines.subList(1, 6)).extracting(l -> l.split(",")[0]).containsExactly("1", "2", "3", "4", "5");
        assertThat(Double.parseDouble(lines.get(5).split(",")[1])).isEqualTo(second.get("loss")[1]);
    }

    @Test
    void withoutAppendTheFileIsReplaced() throws IOException {
        Path csv = dir.resolve("log.csv");
        Files.writeString(csv, "old,content\n1,2\n3,4\n");
        TinyRun.model(0.05).fit(data, TinyRun.options(1), new CsvLogger(csv, false));
        assertThat(Files.readAllLines(csv)).hasSize(2).first().isEqualTo("epoch,loss,accuracy,lr");
    }

    @Test
    void appendingDifferentColumnsFailsAndLeavesTheFileAlone() throws IOException {
        Path csv = dir.resolve("log.csv");
        Model model = TinyRun.model(0.05);
        model.fit(data, TinyRun.options(1), new CsvLogger(csv, true));
        String before = Files.readString(csv);

        assertThatThrownBy(() -> model.fit(data, TinyRun.options(1).withValidationData(val), new CsvLogger(csv, true)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("[loss, accuracy, lr]")
                .hasMessageContaining("val_loss")
                .hasMessageContaining("append=false");
        assertThat(Files.readString(csv)).isEqualTo(before);
    }

    @Test
    void appendingToAFileThatIsNotACsvLogFails() throws IOException {
        Path csv = dir.resolve("notes.csv");
        Files.writeString(csv, "name,value\nx,1\n");
        assertThatThrownBy(() -> TinyRun.model(0.05).fit(data, TinyRun.options(1), new CsvLogger(csv, true)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a CsvLogger header");
    }
}
