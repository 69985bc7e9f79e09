package dev.kiln.cli;

import dev.kiln.data.DataSource;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Runs the {@code kiln} command in-process for tests, capturing its exit code and both streams. */
final class Cli {
    /** What one invocation did. */
    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
        }
    }

    private Cli() {}

    /** Runs with the system's usual dataset locations. */
    static Result run(String... args) {
        return run(DataSource.defaults(), args);
    }

    /** Runs looking for datasets only under {@code emptyRoot} (so the full datasets count as not installed). */
    static Result runWithoutDatasets(Path emptyRoot, String... args) {
        return run(new DataSource(null, null, emptyRoot.resolve("system"), emptyRoot.resolve("cache"), false, null), args);
    }

    static Result run(DataSource source, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(args, o, e, source, false);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
