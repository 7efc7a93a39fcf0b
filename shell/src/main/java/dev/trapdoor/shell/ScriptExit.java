package dev.trapdoor.shell;

/** Thrown by a script's {@code exit(n)}: ends the script with a status, not an error. */
public final class ScriptExit extends RuntimeException {
    private final int status;

    public ScriptExit(int status) {
        super("exit(" + status + ")", null, false, false);
        this.status = status;
    }

    public int status() { return status; }
}
