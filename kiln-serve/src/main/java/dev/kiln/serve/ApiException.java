package dev.kiln.serve;

/**
 * A request the server answers with an error status and a JSON {@code {"error": {"code", "message"}}};
 * the message says what was expected, what came, and how to fix it. It carries no stack trace: it is an
 * answer, not a bug, and nothing of the server's insides goes into a response.
 */
final class ApiException extends RuntimeException {
    private final int status;

    ApiException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }
}
