package dev.kiln.nn.callbacks;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Keras-style progress: a live bar redrawn in place in a terminal; in logs and CI (no terminal, or the
 * {@code CI} environment variable set) one plain line per epoch, without carriage returns or colour codes,
 * so log files and CI consoles stay readable. The per-epoch line reports wall time, time per step and
 * training samples per second next to the epoch's metrics.
 */
public final class ProgressBar implements Callback {
    private final PrintStream out;
    private final boolean live;
    private long epochStart;
    private long lastDraw;

    /** Live when the JVM's console is an interactive terminal ({@link Console#isTerminal()}) and {@code CI} is unset. */
    public ProgressBar(PrintStream out) {
        this(out, isInteractiveTerminal());
    }

    public ProgressBar(PrintStream out, boolean live) {
        this.out = out;
        this.live = live;
    }

    /**
     * Since JDK 22 {@code System.console()} is non-null even when output is redirected (it may be backed by
     * JLine), so {@link Console#isTerminal()} is what tells a terminal from a log file or pipe.
     */
    static boolean isInteractiveTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal() && System.getenv("CI") == null;
    }

    @Override
    public void onEpochBegin(int epoch, TrainingState state) {
        epochStart = System.nanoTime();
        lastDraw = 0;
        // The header gets its own line only above a live bar; plain output puts it at the start of the epoch's line.
        if (live) out.println(header(epoch, state));
    }

    private static String header(int epoch, TrainingState state) {
        return "Epoch " + (epoch + 1) + "/" + state.epochs();
    }

    @Override
    public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
        if (!live) return;
        long now = System.nanoTime();
        int total = state.stepsPerEpoch();
        if (batch + 1 < total && now - lastDraw < 100_000_000L) return; // redraw at most 10 times a second
        lastDraw = now;
        int width = 30;
        int done = (int) ((long) (batch + 1) * width / Math.max(1, total));
        String bar = "=".repeat(Math.max(0, done - 1)) + (done < width ? ">" : "=") + ".".repeat(Math.max(0, width - done));
        double elapsed = (now - epochStart) / 1e9;
        double eta = elapsed / (batch + 1) * (total - batch - 1);
        out.print(String.format(Locale.ROOT, "\r%d/%d [%s] - ETA %ds%s", batch + 1, total, bar, Math.round(eta), metrics(logs, false)));
        out.flush();
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        double secs = (System.nanoTime() - epochStart) / 1e9;
        double perStep = secs * 1000 / Math.max(1, state.stepsPerEpoch());
        String line = String.format(Locale.ROOT, "%d/%d - %.1fs %.2fms/step - %.0f samples/s%s", state.stepsPerEpoch(), state.stepsPerEpoch(),
                secs, perStep, state.samples() / Math.max(secs, 1e-9), metrics(logs, true));
        out.println(live ? "\r" + line + " ".repeat(10) : header(epoch, state) + " - " + line);
    }

    @Override
    public void onTrainEnd(TrainingState state) {
        if (state.stopReason() != null) out.println("Stopped: " + state.stopReason());
    }

    private static String metrics(Map<String, Double> logs, boolean withVal) {
        StringBuilder sb = new StringBuilder();
        for (var e : logs.entrySet()) {
            if (e.getKey().equals("lr") || (!withVal && e.getKey().startsWith("val_"))) continue;
            sb.append(String.format(Locale.ROOT, " - %s: %.4f", e.getKey(), e.getValue()));
        }
        return sb.toString();
    }
}
