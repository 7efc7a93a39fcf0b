package dev.trapdoor.shell;

import java.util.List;

/**
 * A script's command-line arguments and {@code opt(name, default)}: the value after
 * {@code --name} (or {@code --name=value}), converted to the default's type; a bare flag gives true.
 */
public final class ScriptArgs {
    private final List<String> args;

    public ScriptArgs(List<String> args) {
        this.args = List.copyOf(args);
    }

    public List<String> list() { return args; }

    public String[] array() { return args.toArray(String[]::new); }

    public Object opt(String name, Object dflt) {
        String flag = "--" + name;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.startsWith(flag + "=")) return convert(name, a.substring(flag.length() + 1), dflt);
            if (a.equals(flag)) {
                boolean hasValue = i + 1 < args.size() && !args.get(i + 1).startsWith("--");
                if (dflt instanceof Boolean || !hasValue) return dflt instanceof Boolean || dflt == null ? Boolean.TRUE : convert(name, "true", dflt);
                return convert(name, args.get(i + 1), dflt);
            }
        }
        return dflt;
    }

    public boolean has(String name) {
        return args.contains("--" + name) || args.stream().anyMatch(a -> a.startsWith("--" + name + "="));
    }

    private static Object convert(String name, String v, Object dflt) {
        try {
            return switch (dflt) {
                case Integer i -> Long.decode(v).intValue();
                case Long l -> Long.decode(v);
                case Double d -> Double.parseDouble(v);
                case Boolean b -> Boolean.parseBoolean(v);
                case null, default -> v;
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " wants a number, not '" + v + "'");
        }
    }
}
