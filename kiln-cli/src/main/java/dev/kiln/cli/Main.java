package dev.kiln.cli;

import dev.kiln.data.DataSource;
import dev.kiln.nn.Kiln;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code kiln} command: {@code train}, {@code evaluate}, {@code predict} and {@code summary}.
 *
 * <p>Exit codes: 0 on success; 2 for bad arguments (unknown command or option, wrong number of arguments,
 * a file that does not exist), printed as one {@code error:} line plus the usage; 1 for failures at run time
 * (a damaged model file, a dataset that cannot be found, a training run that diverged), printed as
 * {@code error: ...} without a stack trace unless {@code --verbose} is given or {@code KILN_DEBUG=1} is set.
 *
 * <p>{@link #run} executes in-process and never calls {@code System.exit}, so tests drive the real command.
 * Not thread-safe: one instance per invocation.
 */
@Command(name = "kiln", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Kiln: deep learning for the JVM, in pure Java.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, SummaryCommand.class, GenerateCommand.class, ReportCommand.class,
                ServeCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
                "  kiln train examples/fashion-mnist-mlp.yaml",
                "  kiln evaluate runs/fashion-mnist-mlp/model.kiln fashion-mnist",
                "  kiln predict runs/fashion-mnist-mlp/model.kiln fashion-mnist:test:0",
                "  kiln summary runs/fashion-mnist-mlp/model.kiln",
                "  kiln report runs/fashion-mnist-mlp",
                "  kiln serve runs/fashion-mnist-mlp/model.kiln --port 8080"})
public final class Main implements Callable<Integer> {
    /** Exit code for bad arguments (as picocli and most Unix tools use). */
    static final int USAGE = 2;
    /** Exit code for failures at run time. */
    static final int FAILURE = 1;

    private final PrintStream out;
    private final PrintStream err;
    private final DataSource dataSource;

    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces of errors (also: KILN_DEBUG=1).")
    boolean verbose;

    Main(PrintStream out, PrintStream err, DataSource dataSource) {
        this.out = out;
        this.err = err;
        this.dataSource = dataSource;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs {@code kiln args...} writing to the given streams; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, DataSource.defaults(), "1".equals(System.getenv("KILN_DEBUG")));
    }

    /**
     * Runs with an explicit place to look for datasets (tests point it away from the system-wide copy) and
     * debug switch.
     */
    static int run(String[] args, PrintStream out, PrintStream err, DataSource dataSource, boolean debug) {
        CommandLine cl = new CommandLine(new Main(out, err, dataSource));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((ex, ignored) -> usageError(ex, err));
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> failure(ex, err, debug || verboseRequested(parseResult)));
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            err.println("error: out of memory (" + e.getMessage() + "); give the JVM more heap, e.g. KILN_JAVA_OPTS=-Xmx8g, or use a smaller batch_size");
            return FAILURE;
        } finally {
            out.flush();
            err.flush();
        }
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: choose one of train, evaluate, predict, summary, generate, report, serve");
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    DataSource dataSource() {
        return dataSource;
    }

    private static int usageError(ParameterException ex, PrintStream err) {
        CommandLine c = ex.getCommandLine();
        String message = ex.getMessage();
        if (ex instanceof UnmatchedArgumentException u && c.getParent() == null && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().getFirst().startsWith("-")) {
            message = "unknown command '" + u.getUnmatched().getFirst() + "'; choose one of " + String.join(", ", c.getSubcommands().keySet());
        }
        err.println("error: " + message);
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.print(c.getUsageMessage());
        return USAGE;
    }

    private static int failure(Exception ex, PrintStream err, boolean verbose) {
        err.println("error: " + describe(ex));
        if (verbose) {
            ex.printStackTrace(err);
        } else if (!expected(ex)) {
            err.println("(this looks like a bug in Kiln; run again with --verbose or KILN_DEBUG=1 for the stack trace)");
        }
        return FAILURE;
    }

    /** Failures that are about the user's files, data or settings, whose message is the whole story. */
    private static boolean expected(Throwable ex) {
        return ex instanceof CliException || ex instanceof IOException || ex instanceof UncheckedIOException
                || ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                || ex instanceof dev.kiln.data.InvalidDataException || ex instanceof dev.kiln.data.DownloadException
                || ex instanceof dev.kiln.nn.TrainingFailedException;
    }

    /** The message to show: Java's messages for missing or unreadable files are only a path, so say what it is. */
    static String describe(Throwable ex) {
        Throwable t = ex instanceof UncheckedIOException u
                && (u.getCause() instanceof NoSuchFileException || u.getCause() instanceof AccessDeniedException) ? u.getCause() : ex;
        if (t instanceof NoSuchFileException e) return "no such file: " + e.getFile() + (e.getReason() == null ? "" : " (" + e.getReason() + ")");
        if (t instanceof AccessDeniedException e) return "permission denied: " + e.getFile();
        String m = t.getMessage();
        if (m == null || m.isBlank()) return t.getClass().getSimpleName();
        return expected(ex) || t instanceof CliException ? m : t.getClass().getSimpleName() + ": " + m;
    }

    private static boolean verboseRequested(ParseResult pr) {
        for (ParseResult p = pr; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) return true;
        }
        return false;
    }

    /** {@code kiln --version}: the Kiln version, then the JVM and platform it runs on. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "kiln " + Kiln.VERSION,
                "JDK " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + "), "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch")};
        }
    }
}
