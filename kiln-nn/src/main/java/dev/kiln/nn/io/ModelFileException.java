package dev.kiln.nn.io;

import java.io.IOException;

/**
 * A model or weights file that exists and can be read but is damaged, truncated or not in the expected
 * format. The message names the file, says what was expected and what was found, and how to fix it.
 *
 * <p>It extends {@link IOException} so that callers who only care "could the model be loaded" need one
 * catch; callers who want to tell "file is bad" from "disk is bad" catch this first.
 */
public final class ModelFileException extends IOException {
    public ModelFileException(String message) {
        super(message);
    }

    public ModelFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
