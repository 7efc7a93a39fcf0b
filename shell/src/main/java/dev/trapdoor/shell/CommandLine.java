package dev.trapdoor.shell;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Tells a shell command from script code and splits it into its word and the rest. Debugger
 * words take their usual syntax only: {@code run} alone is the command, {@code run = 5} is Groovy.
 */
record CommandLine(String word, String rest) {
    /** Commands that take no argument. */
    static final Set<String> BARE = Set.of("run", "continue", "c", "regs", "exits", "breakpoints", "vms", "reset", "exit", "quit",
            "vmcs", "devices");
    static final List<String> ALL = List.of(":help", ":load", ":js", ":groovy", ":quit",
            "break", "watch", "delete", "breakpoints", "run", "continue", "c", "reset", "regs", "exits", "mem", "poke", "vms", "use", "gdb", "dis", "translate", "vmcs", "devices", "step", "until",
            "snapshot", "restore", "record", "rc", "reverse-step");
    private static final Pattern IDS = Pattern.compile("\\d+(\\s+\\d+)*");
    private static final Pattern GDB_ARGS = Pattern.compile("|\\d+|stop");
    private static final Pattern NAME = Pattern.compile("[\\w.-]+");
    /** A snapshot name or a file path, bare or quoted. */
    private static final Pattern NAME_OR_FILE = Pattern.compile("[\\w./~-]+|\"[^\"]+\"|'[^']+'");
    private static final Pattern RECORD_ARGS = Pattern.compile("|\\d+|stop|replay");

    /** The command on this line, or null if the line is script code. */
    static CommandLine parse(String line) {
        String t = line.strip();
        if (t.isEmpty() || t.contains("\n")) return null;
        int sp = indexOfSpace(t);
        String word = sp < 0 ? t : t.substring(0, sp);
        String rest = sp < 0 ? "" : t.substring(sp).strip();
        if (word.startsWith(":")) return new CommandLine(word, rest);
        if (BARE.contains(word)) return rest.isEmpty() ? new CommandLine(word, rest) : null;
        return switch (word) {
            case "break" -> new CommandLine(word, rest);
            case "delete" -> IDS.matcher(rest).matches() ? new CommandLine(word, rest) : null;
            case "gdb" -> GDB_ARGS.matcher(rest).matches() ? new CommandLine(word, rest) : null;
            case "use" -> NAME.matcher(rest).matches() ? new CommandLine(word, rest) : null;
            case "watch" -> !rest.isEmpty() && (startsArgument(rest.charAt(0)) || rest.startsWith("phys ")) ? new CommandLine(word, rest) : null;
            case "mem", "poke", "translate", "until" -> !rest.isEmpty() && startsArgument(rest.charAt(0)) ? new CommandLine(word, rest) : null;
            case "dis", "step" -> rest.isEmpty() || startsArgument(rest.charAt(0)) ? new CommandLine(word, rest) : null;
            case "snapshot" -> rest.isEmpty() || NAME_OR_FILE.matcher(rest).matches() ? new CommandLine(word, rest) : null;
            case "restore" -> NAME_OR_FILE.matcher(rest).matches() ? new CommandLine(word, rest) : null;
            case "record" -> RECORD_ARGS.matcher(rest).matches() ? new CommandLine(word, rest) : null;
            case "rc" -> rest.isEmpty() || NAME.matcher(rest).matches() ? new CommandLine(word, rest) : null;
            case "reverse-step", "rs" -> rest.isEmpty() || IDS.matcher(rest).matches() && !rest.contains(" ") ? new CommandLine(word, rest) : null;
            default -> null;
        };
    }

    /** An argument starts with something that cannot continue an expression ({@code mem = x}, {@code mem.read(...)}). */
    private static boolean startsArgument(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$' || c == '"' || c == '\'' || c == '(';
    }

    private static int indexOfSpace(String s) {
        for (int i = 0; i < s.length(); i++) if (Character.isWhitespace(s.charAt(i))) return i;
        return -1;
    }
}
