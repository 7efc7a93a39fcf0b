package dev.trapdoor.api;

/** One-line descriptions of exceptions thrown by script code (hooks, conditions). */
public final class ScriptErrors {
    private ScriptErrors() {}

    public static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String msg = root.getMessage();
        String name = root.getClass().getSimpleName();
        return msg == null || msg.isBlank() ? name : name + ": " + msg;
    }
}
