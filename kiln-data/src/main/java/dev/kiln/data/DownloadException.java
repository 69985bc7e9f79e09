package dev.kiln.data;

/**
 * A download that failed: an HTTP error status, a checksum mismatch, a refused URL or a network error.
 * The message names the URL and, for a mismatch, the expected and actual digests. Nothing is left at the
 * target path when this is thrown.
 */
public final class DownloadException extends RuntimeException {
    public DownloadException(String message) {
        super(message);
    }

    public DownloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
