package dev.kiln.nn.callbacks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.data.Dataset;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private final Dataset data = TinyRun.separable(64, 1);

    private String run(boolean live, int epochs, Callback... more) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Callback[] all = new Callback[more.length + 1];
        System.arraycopy(more, 0, all, 0, more.length);
        all[more.length] = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), live);
        TinyRun.model(0.05).fit(data, TinyRun.options(epochs), all);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void plainOutputIsOneLinePerEpochWithoutCarriageReturns() {
        String out = run(false, 3);
        assertThat(out).doesNotContain("\r").doesNotContain("\u001b");
        List<String> lines = out.lines().toList();
        assertThat(lines).hasSize(3);
        for (int e = 0; e < 3; e++) {
            assertThat(lines.get(e)).startsWith("Epoch " + (e + 1) + "/3 - 4/4 - ")
                    .contains("ms/step").contains(" samples/s").contains(" - loss: ").contains(" - accuracy: ")
                    .doesNotContain("lr:");
        }
    }

    @Test
    void anEarlyStopIsReportedOnItsOwnLine() {
        String out = run(false, 10, new EarlyStopping("loss", 1e9, 1, Monitor.Mode.MIN, false, 0));
        assertThat(out.lines().toList()).hasSize(3).last().asString().startsWith("Stopped: early stopping: loss did not improve for 1 epoch (");
    }

    @Test
    void theLiveBarRedrawsInPlace() {
        String out = run(true, 2);
        assertThat(out).contains("\r").contains("Epoch 1/2\n").contains("[==============================]");
    }
}
