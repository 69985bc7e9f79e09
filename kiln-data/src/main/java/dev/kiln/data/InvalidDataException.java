package dev.kiln.data;

/**
 * A file or stream that Kiln can read but whose contents are wrong: a bad magic number, a truncated
 * IDX file, a CSV cell that is not a number. The message names the source (file name, line, column),
 * what was expected and what came.
 *
 * <p>Unchecked, like every data-loading failure in Kiln: a training script rarely can do anything but stop
 * and show the message.
 */
public final class InvalidDataException extends RuntimeException {
    public InvalidDataException(String message) {
        super(message);
    }

    public InvalidDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
