package dev.kiln.cli;

/**
 * A failure at run time whose message is complete for the user (what was expected, what came, how to fix
 * it): {@code kiln} prints it as one {@code error:} line and exits with 1, without a stack trace.
 */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
