package dev.trapdoor.shell;

import dev.trapdoor.api.Action;
import dev.trapdoor.api.Exit;
import dev.trapdoor.api.ExitWatch;
import dev.trapdoor.api.Vm;
import dev.trapdoor.vmx.ExitReason;
import org.jline.builtins.Completers;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

import java.util.List;
import java.util.Map;

/**
 * Tab completion: shell commands, variables, API members after a dot ({@code vm.}, {@code vm.vcpu.},
 * {@code hv.}, {@code exit.} in a break condition), exit reason names, VM names, watch ids, files.
 */
final class ReplCompleter implements Completer {
    private final Session session;
    private final Completer files = new Completers.FileNameCompleter();

    ReplCompleter(Session session) {
        this.session = session;
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> out) {
        List<String> words = line.words();
        String word = line.word();
        int index = line.wordIndex();
        if (index == 0) {
            if (!word.contains(".")) for (String c : CommandLine.ALL) out.add(new Candidate(c, c, "commands", null, null, null, true));
            expression(word, Map.of(), out);
            return;
        }
        switch (words.get(0)) {
            case ":load" -> files.complete(reader, line, out);
            case ":js", ":groovy", ":quit", ":help", "run", "continue", "c", "regs", "exits", "breakpoints", "vms" -> { }
            case "break" -> {
                if (index == 1) for (String k : new String[] {"at", "insn", "port", "mmio", "vector"})
                    out.add(new Candidate(k, k, "debugger stops", null, null, null, true));
                if (index == 1) reasons(out);
                else if (index == 2) out.add(new Candidate("if", "if", null, "condition on the exit", null, null, true));
                else if ("if".equals(words.get(2))) expression(word, Map.of("exit", Exit.class), out);
            }
            case "use" -> {
                for (Vm v : session.hv().getVms()) out.add(new Candidate(v.getName(), v.getName(), "VMs", null, null, null, true));
            }
            case "delete" -> {
                Vm vm = session.vm();
                if (vm != null) for (ExitWatch w : vm.getWatches()) {
                    out.add(new Candidate(String.valueOf(w.id()), String.valueOf(w.id()), null, w.toString(), null, null, true));
                }
            }
            default -> expression(word, Map.of(), out);
        }
    }

    private static void reasons(List<Candidate> out) {
        for (ExitReason r : ExitReason.values()) out.add(new Candidate(r.name(), r.name(), "exit reasons", null, null, null, true));
    }

    /** A variable, or the members of what the chain before the last dot is. */
    private void expression(String word, Map<String, Class<?>> roots, List<Candidate> out) {
        int dot = word.lastIndexOf('.');
        if (dot < 0) {
            for (String v : session.variableNames()) out.add(new Candidate(v, v, "variables", null, null, null, false));
            for (String v : roots.keySet()) out.add(new Candidate(v, v, "variables", null, null, null, false));
            if (!word.isEmpty()) {
                for (ExitReason r : ExitReason.values()) out.add(new Candidate(r.name(), r.name(), "exit reasons", null, null, null, false));
                for (Action a : Action.values()) out.add(new Candidate(a.name(), a.name(), "actions", null, null, null, false));
            }
            return;
        }
        String prefix = word.substring(0, dot);
        Class<?> type = typeOf(prefix, roots);
        if (type == null) return;
        for (ApiMembers.Member m : ApiMembers.of(type)) {
            String value = prefix + "." + m.name() + (m.isMethod() ? "(" : "");
            String display = m.name() + (m.isMethod() ? "()" : "");
            out.add(new Candidate(value, display, m.isMethod() ? "methods" : "properties", null, null, null, false));
        }
    }

    /** The static type of a chain like vm.vcpu or hv.vm('a').mem: the root's runtime class, then member types. */
    private Class<?> typeOf(String chain, Map<String, Class<?>> roots) {
        List<String> segments = segments(chain);
        if (segments.isEmpty()) return null;
        String root = segments.get(0);
        Class<?> type = roots.get(root);
        if (type == null) {
            Object value = session.peekVariable(root);
            if (value == null) return null;
            type = value.getClass();
        }
        for (int i = 1; i < segments.size() && type != null; i++) type = ApiMembers.typeOf(type, segments.get(i));
        return type;
    }

    /** Splits at dots outside argument lists. */
    private static List<String> segments(String chain) {
        List<String> out = new java.util.ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < chain.length(); i++) {
            char c = chain.charAt(i);
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == '.' && depth == 0) {
                out.add(chain.substring(start, i));
                start = i + 1;
            }
        }
        out.add(chain.substring(start));
        return out;
    }
}
